using System.Globalization;
using k8s.Models;

namespace DraSdk.Allocation.Internal;

/// <summary>Node selection as core/v1 node affinity defines it: terms are ORed, requirements ANDed.</summary>
internal static class NodeSelectors
{
    public static bool Matches(AllocationNode node, string? nodeName, bool allNodes, V1NodeSelector? selector)
    {
        if (!string.IsNullOrEmpty(nodeName))
        {
            return node.Name == nodeName;
        }
        if (allNodes)
        {
            return true;
        }
        return selector is not null && Matches(node, selector);
    }

    public static bool IsNodeLocal(string? nodeName, bool allNodes, V1NodeSelector? selector) =>
        !string.IsNullOrEmpty(nodeName) || allNodes || selector is not null;

    public static bool Matches(AllocationNode node, V1NodeSelector selector)
    {
        foreach (var term in selector.NodeSelectorTerms ?? [])
        {
            if (term is null)
            {
                continue;
            }
            var expressions = term.MatchExpressions ?? [];
            var fields = term.MatchFields ?? [];
            if (expressions.Count == 0 && fields.Count == 0)
            {
                // An empty term matches no node.
                continue;
            }
            if (expressions.All(r => RequirementMatches(r, node.Labels)) &&
                fields.All(r => FieldMatches(r, node)))
            {
                return true;
            }
        }
        return false;
    }

    private static bool FieldMatches(V1NodeSelectorRequirement requirement, AllocationNode node)
    {
        if (requirement.Key != "metadata.name")
        {
            throw new AllocationException($"unsupported node selector field {requirement.Key}");
        }
        var fields = new Dictionary<string, string>(StringComparer.Ordinal) { ["metadata.name"] = node.Name };
        return RequirementMatches(requirement, fields);
    }

    private static bool RequirementMatches(V1NodeSelectorRequirement requirement, IReadOnlyDictionary<string, string> labels)
    {
        var has = labels.TryGetValue(requirement.Key ?? "", out var value);
        var values = requirement.Values ?? [];
        switch (requirement.OperatorProperty)
        {
            case "In":
                return has && values.Contains(value);
            case "NotIn":
                return !has || !values.Contains(value);
            case "Exists":
                return has;
            case "DoesNotExist":
                return !has;
            case "Gt":
            case "Lt":
                if (!has || values.Count != 1 ||
                    !long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var actual) ||
                    !long.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var bound))
                {
                    return false;
                }
                return requirement.OperatorProperty == "Gt" ? actual > bound : actual < bound;
            default:
                throw new AllocationException($"unsupported node selector operator {requirement.OperatorProperty}");
        }
    }
}
