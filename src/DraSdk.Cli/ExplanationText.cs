using DraSdk.Allocation;

namespace DraSdk.Cli;

/// <summary>Renders an explanation as tables for the terminal.</summary>
internal static class ExplanationText
{
    private static readonly Dictionary<ExclusionReason, string> Labels = new()
    {
        [ExclusionReason.ClassSelector] = "class selector",
        [ExclusionReason.RequestSelector] = "request selector",
        [ExclusionReason.Node] = "not on node",
        [ExclusionReason.Pool] = "pool incomplete/invalid",
        [ExclusionReason.Unsupported] = "feature disabled",
        [ExclusionReason.InUse] = "in use",
        [ExclusionReason.Taint] = "taint",
        [ExclusionReason.Counters] = "counters",
        [ExclusionReason.Capacity] = "capacity",
        [ExclusionReason.Constraint] = "constraint",
    };

    /// <summary>The pod's part: who serves each extended resource on the node and which claim request serves which container.</summary>
    public static void WritePod(PodInput pod, string node, TextWriter writer, bool colors)
    {
        writer.WriteLine($"Pod {pod.Id} on node {node}:");
        foreach (var claim in pod.Claims)
        {
            var from = claim.Template is null ? "" : $" (from ResourceClaimTemplate {claim.Template})";
            var state = claim.Claim.Object.Status?.Allocation is null ? "" : ", already allocated";
            writer.WriteLine($"  claim {claim.PodClaimName}: ResourceClaim {claim.Claim.Object.Metadata.NamespaceProperty}/{claim.Claim.Object.Metadata.Name}{from}{state}");
        }
        foreach (var r in pod.Extended.Resources)
        {
            var text = r.Source switch
            {
                ExtendedResourceSource.Dra => $"DRA, DeviceClass {r.DeviceClass}" + (r.NodeAllocatable is 0 ? " (the node advertises 0)" : ""),
                ExtendedResourceSource.DevicePlugin => CliApp.Paint($"the device plugin (node allocatable {r.NodeAllocatable})", "33", colors)
                    + (r.DeviceClass is null ? "" : $"; DeviceClass {r.DeviceClass} maps it, but not on this node"),
                _ => CliApp.Paint("nobody: no DeviceClass maps it and the node does not advertise it; the pod does NOT fit", "31", colors),
            };
            writer.WriteLine($"  extended resource {r.ResourceName}: served by {text}");
        }
        if (pod.ExtendedClaim is { } extended)
        {
            writer.WriteLine($"  extended-resource claim {extended.Object.Metadata.NamespaceProperty}/{extended.Object.Metadata.Name} ({ExtendedResources.ClaimAnnotation}: \"true\"):");
            foreach (var m in pod.Extended.RequestMappings)
            {
                var request = extended.Object.Spec?.Devices?.Requests?.FirstOrDefault(q => q.Name == m.RequestName);
                var count = request?.Exactly?.Count is { } c ? $", {c} device(s)" : "";
                writer.WriteLine($"    container {m.ContainerName} {m.ResourceName} -> request {m.RequestName}{count}");
            }
        }
        writer.WriteLine();
    }

    public static void Write(AllocationExplanation explanation, TextWriter writer, bool colors)
    {
        var verdict = explanation.Fits
            ? CliApp.Paint("the claims fit", "32", colors)
            : CliApp.Paint("the claims do NOT fit", "31", colors);
        writer.WriteLine($"Node {explanation.Node}: {verdict}.");
        if (explanation.Error is not null)
        {
            writer.WriteLine(CliApp.Paint($"Error: {explanation.Error}", "31", colors));
        }
        foreach (var claim in explanation.Claims)
        {
            writer.WriteLine();
            writer.WriteLine($"ResourceClaim {claim.Namespace}/{claim.Name}");
            if (claim.Requests.Count == 0)
            {
                writer.WriteLine("  (no requests)");
            }
            foreach (var request in claim.Requests)
            {
                var mark = request.Satisfiable ? CliApp.Paint("ok", "32", colors) : CliApp.Paint("NOT ENOUGH", "31", colors);
                var need = request.AllocationMode == "All" ? $"all ({request.Needed} on node)" : request.Needed.ToString(System.Globalization.CultureInfo.InvariantCulture);
                writer.WriteLine($"  request {request.Request}  class {request.DeviceClass}  needs {need}: {mark}");
                var rows = new List<(string Label, string Value)> { ("devices in scope", request.InScope.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
                foreach (var (reason, count) in request.Removed)
                {
                    if (count > 0)
                    {
                        rows.Add(("- " + Labels[reason], count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    }
                }
                rows.Add(("= available", request.Available.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                var width = rows.Max(r => r.Label.Length);
                var valueWidth = rows.Max(r => r.Value.Length);
                var rule = "    +" + new string('-', width + 2) + "+" + new string('-', valueWidth + 2) + "+";
                writer.WriteLine(rule);
                foreach (var (label, value) in rows)
                {
                    writer.WriteLine($"    | {label.PadRight(width)} | {value.PadLeft(valueWidth)} |");
                }
                writer.WriteLine(rule);
                if (request.SelectorError is not null)
                {
                    writer.WriteLine(CliApp.Paint($"    selector error: {request.SelectorError}", "33", colors));
                }
            }
        }
    }
}
