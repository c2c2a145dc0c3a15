using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DraSdk.Testing;

/// <summary>The resource.k8s.io/v1 ResourceSlice limits the real API server enforces beyond the basic structure.</summary>
internal static partial class BuiltInValidation
{
    public const int MaxAttributesAndCapacitiesPerDevice = 32;
    public const int MaxAttributeValuesPerDevice = 48;
    public const int MaxAttributeValueLength = 64;
    public const int MaxIdLength = 32;
    public const int MaxDomainLength = 63;
    public const int MaxTaintsPerDevice = 16;
    public const int MaxCounterSetsPerSlice = 8;
    public const int MaxCountersPerSet = 32;
    public const int MaxCounterConsumptionsPerDevice = 2;
    public const int MaxBindingConditions = 4;
    public const int MaxValidValues = 10;

    private static readonly string[] TaintEffects = ["None", "NoSchedule", "NoExecute"];
    private static readonly string[] ListAttributeKinds = ["ints", "bools", "strings", "versions"];
    private static readonly string[] AttributeKinds = ["int", "bool", "string", "version", .. ListAttributeKinds];

    /// <summary>Whether a device lowers the per-slice device limit to 64 (taints, counter consumption or list attributes).</summary>
    private static bool UsesTaintsCountersOrLists(JsonNode? device) =>
        device?["taints"] is JsonArray { Count: > 0 }
        || device?["consumesCounters"] is JsonArray { Count: > 0 }
        || (device?["attributes"] is JsonObject attributes && attributes.Any(a => a.Value is JsonObject v && ListAttributeKinds.Any(k => v[k] is not null)));

    private static IEnumerable<ApiFieldError> ResourceSliceLimits(JsonObject spec)
    {
        var devices = spec["devices"] as JsonArray;
        var counterSets = spec["sharedCounters"] as JsonArray;
        if (devices is { Count: > 0 } && counterSets is { Count: > 0 })
        {
            yield return ApiFieldError.Invalid("spec", "{`devices`, `sharedCounters`}", "only one of `devices` or `sharedCounters` may be set");
        }

        if (spec["nodeSelector"] is JsonObject selector && (selector["nodeSelectorTerms"] as JsonArray)?.Count != 1)
        {
            yield return ApiFieldError.Invalid("spec.nodeSelector.nodeSelectorTerms", "null", "must have exactly one node selector term");
        }

        if (counterSets is not null)
        {
            if (counterSets.Count > MaxCounterSetsPerSlice)
            {
                yield return ApiFieldError.TooMany("spec.sharedCounters", counterSets.Count, MaxCounterSetsPerSlice);
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < counterSets.Count; i++)
            {
                var path = Index("spec.sharedCounters", i);
                if (Str(counterSets[i]?["name"]) is not { Length: > 0 } name)
                {
                    yield return ApiFieldError.Required(path + ".name");
                }
                else
                {
                    foreach (var e in DnsLabel(path + ".name", name))
                    {
                        yield return e;
                    }

                    if (!names.Add(name))
                    {
                        yield return ApiFieldError.Duplicate(path + ".name", name);
                    }
                }

                foreach (var e in Counters(path + ".counters", counterSets[i]?["counters"], required: true))
                {
                    yield return e;
                }
            }
        }

        if (devices is null)
        {
            yield break;
        }

        var perDevice = Bool(spec["perDeviceNodeSelection"]);
        for (var i = 0; i < devices.Count; i++)
        {
            if (devices[i] is JsonObject device)
            {
                foreach (var e in Device(Index("spec.devices", i), device, perDevice))
                {
                    yield return e;
                }
            }
        }
    }

    private static IEnumerable<ApiFieldError> Device(string path, JsonObject device, bool perDeviceNodeSelection)
    {
        var attributes = device["attributes"] as JsonObject;
        var capacity = device["capacity"] as JsonObject;
        var combined = (attributes?.Count ?? 0) + (capacity?.Count ?? 0);
        if (combined > MaxAttributesAndCapacitiesPerDevice)
        {
            yield return ApiFieldError.TooMany(path + ".attributes", combined, MaxAttributesAndCapacitiesPerDevice);
        }

        var values = 0;
        foreach (var (name, value) in attributes ?? [])
        {
            var field = path + ".attributes[" + name + "]";
            foreach (var e in QualifiedName(field, name))
            {
                yield return e;
            }

            var kinds = AttributeKinds.Where(k => value?[k] is not null).ToList();
            if (kinds.Count != 1)
            {
                yield return kinds.Count == 0
                    ? ApiFieldError.Required(field, "exactly one value must be specified")
                    : ApiFieldError.Invalid(field, "{" + string.Join(", ", kinds.Select(k => "`" + k + "`")) + "}", "exactly one value must be specified");
                continue;
            }

            var kind = kinds[0];
            var items = value![kind] is JsonArray list ? [.. list] : new List<JsonNode?> { value[kind] };
            values += items.Count;
            if (items.Count == 0)
            {
                yield return ApiFieldError.Required(field + "." + kind, "must not be empty");
            }

            if (kind is "string" or "strings" or "version" or "versions")
            {
                for (var j = 0; j < items.Count; j++)
                {
                    var itemField = kind.EndsWith('s') ? Index(field + "." + kind, j) : field + "." + kind;
                    var text = Str(items[j]) ?? "";
                    if (text.Length > MaxAttributeValueLength)
                    {
                        yield return ApiFieldError.TooLong(itemField, MaxAttributeValueLength);
                    }
                    else if (kind.StartsWith("version", StringComparison.Ordinal) && !SemVerRegex().IsMatch(text))
                    {
                        yield return ApiFieldError.Invalid(itemField, text, "must be a string compatible with semver.org spec 2.0.0");
                    }
                }
            }
        }

        if (values > MaxAttributeValuesPerDevice)
        {
            yield return ApiFieldError.TooMany(path + ".attributes", values, MaxAttributeValuesPerDevice);
        }

        var multiple = Bool(device["allowMultipleAllocations"]);
        foreach (var (name, value) in capacity ?? [])
        {
            var field = path + ".capacity[" + name + "]";
            foreach (var e in QualifiedName(field, name))
            {
                yield return e;
            }

            if (value?["value"] is null)
            {
                yield return ApiFieldError.Required(field + ".value");
            }

            if (value?["requestPolicy"] is JsonObject policy)
            {
                if (!multiple)
                {
                    yield return ApiFieldError.Forbidden(field + ".requestPolicy", "allowed only when allowMultipleAllocations is true");
                }

                if (policy["validValues"] is JsonArray valid && valid.Count > MaxValidValues)
                {
                    yield return ApiFieldError.TooMany(field + ".requestPolicy.validValues", valid.Count, MaxValidValues);
                }

                if ((policy["validValues"] is not null || policy["validRange"] is not null) && policy["default"] is null)
                {
                    yield return ApiFieldError.Required(field + ".requestPolicy.default", "required when validValues or validRange is set");
                }

                if (policy["validValues"] is JsonArray ordered)
                {
                    for (int k = 1; k < ordered.Count; k++)
                    {
                        if (Quantity(ordered[k]) is { } current && Quantity(ordered[k - 1]) is { } previous && current <= previous)
                        {
                            yield return ApiFieldError.Invalid($"{field}.requestPolicy.validValues[{k}]", Str(ordered[k]), "must be sorted in ascending order");
                            break;
                        }
                    }
                }

                if (policy["validRange"] is JsonObject range && Quantity(range["min"]) is { } min && Quantity(range["step"]) is { } step && step > 0
                    && Quantity(policy["default"]) is { } defaultValue && (defaultValue - min) % step != 0)
                {
                    yield return ApiFieldError.Invalid(field + ".requestPolicy.default", Str(policy["default"]), "must be min plus a multiple of step");
                }
            }
        }

        if (device["taints"] is JsonArray taints)
        {
            if (taints.Count > MaxTaintsPerDevice)
            {
                yield return ApiFieldError.TooMany(path + ".taints", taints.Count, MaxTaintsPerDevice);
            }

            for (var j = 0; j < taints.Count; j++)
            {
                var field = Index(path + ".taints", j);
                if (Str(taints[j]?["key"]) is not { Length: > 0 } key)
                {
                    yield return ApiFieldError.Required(field + ".key");
                }
                else if (!LabelKeyRegex().IsMatch(key) || key.Split('/')[^1].Length > 63 || (key.Contains('/', StringComparison.Ordinal) && key.Split('/')[0].Length > 253))
                {
                    yield return ApiFieldError.Invalid(field + ".key", key, "must be a qualified name");
                }

                if (Str(taints[j]?["value"]) is { Length: > 0 } taintValue && (taintValue.Length > 63 || !LabelValueRegex().IsMatch(taintValue)))
                {
                    yield return ApiFieldError.Invalid(field + ".value", taintValue, "must be a valid label value");
                }

                if (Str(taints[j]?["effect"]) is not { Length: > 0 } effect)
                {
                    yield return ApiFieldError.Required(field + ".effect");
                }
                else if (!TaintEffects.Contains(effect))
                {
                    yield return ApiFieldError.NotSupported(field + ".effect", effect, TaintEffects);
                }
            }
        }

        if (device["consumesCounters"] is JsonArray consumptions)
        {
            if (consumptions.Count > MaxCounterConsumptionsPerDevice)
            {
                yield return ApiFieldError.TooMany(path + ".consumesCounters", consumptions.Count, MaxCounterConsumptionsPerDevice);
            }

            var sets = new HashSet<string>(StringComparer.Ordinal);
            for (var j = 0; j < consumptions.Count; j++)
            {
                var field = Index(path + ".consumesCounters", j);
                if (Str(consumptions[j]?["counterSet"]) is not { Length: > 0 } set)
                {
                    yield return ApiFieldError.Required(field + ".counterSet");
                }
                else
                {
                    foreach (var e in DnsLabel(field + ".counterSet", set))
                    {
                        yield return e;
                    }

                    if (!sets.Add(set))
                    {
                        yield return ApiFieldError.Duplicate(field + ".counterSet", set);
                    }
                }

                foreach (var e in Counters(field + ".counters", consumptions[j]?["counters"], required: true))
                {
                    yield return e;
                }
            }
        }

        foreach (var conditions in (string[])["bindingConditions", "bindingFailureConditions"])
        {
            if (device[conditions] is JsonArray list && list.Count > MaxBindingConditions)
            {
                yield return ApiFieldError.TooMany(path + "." + conditions, list.Count, MaxBindingConditions);
            }

            if (device[conditions] is JsonArray names)
            {
                for (int k = 0; k < names.Count; k++)
                {
                    if (Str(names[k]) is not { } name || !IsLabelName(name))
                    {
                        yield return ApiFieldError.Invalid($"{path}.{conditions}[{k}]", Str(names[k]), "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
                    }
                }
            }
        }

        // Binding conditions need failure conditions, and the two lists are disjoint.
        if (device["bindingConditions"] is JsonArray { Count: > 0 } binding)
        {
            if (device["bindingFailureConditions"] is not JsonArray { Count: > 0 } failure)
            {
                yield return ApiFieldError.Required(path + ".bindingFailureConditions", "bindingFailureConditions are required when bindingConditions are set");
            }
            else
            {
                var set = binding.Select(Str).ToHashSet(StringComparer.Ordinal);
                for (int k = 0; k < failure.Count; k++)
                {
                    if (set.Contains(Str(failure[k])))
                    {
                        yield return ApiFieldError.Invalid($"{path}.bindingFailureConditions[{k}]", Str(failure[k]), "must not also be in bindingConditions");
                    }
                }
            }
        }

        var selection = new List<string>();
        if (Str(device["nodeName"]) is { Length: > 0 })
        {
            selection.Add("`nodeName`");
        }

        if (device["nodeSelector"] is JsonObject)
        {
            selection.Add("`nodeSelector`");
        }

        if (Bool(device["allNodes"]))
        {
            selection.Add("`allNodes`");
        }

        if (perDeviceNodeSelection && selection.Count != 1)
        {
            yield return selection.Count == 0
                ? ApiFieldError.Required(path, "exactly one of `nodeName`, `nodeSelector`, `allNodes` is required when `perDeviceNodeSelection` is set")
                : ApiFieldError.Invalid(path, "{" + string.Join(", ", selection) + "}", "exactly one of `nodeName`, `nodeSelector`, `allNodes` is required, but multiple fields are set");
        }
        else if (!perDeviceNodeSelection && selection.Count > 0)
        {
            yield return ApiFieldError.Forbidden(path, "`nodeName`, `nodeSelector` and `allNodes` may only be set when `perDeviceNodeSelection` is set");
        }
    }

    private static IEnumerable<ApiFieldError> Counters(string path, JsonNode? counters, bool required)
    {
        if (counters is not JsonObject map || map.Count == 0)
        {
            if (required)
            {
                yield return ApiFieldError.Required(path);
            }

            yield break;
        }

        if (map.Count > MaxCountersPerSet)
        {
            yield return ApiFieldError.TooMany(path, map.Count, MaxCountersPerSet);
        }

        foreach (var (name, _) in map)
        {
            foreach (var e in DnsLabel(path + "[" + name + "]", name))
            {
                yield return e;
            }
        }
    }

    /// <summary>A quantity's value, or null when it is not one (reported elsewhere).</summary>
    private static decimal? Quantity(System.Text.Json.Nodes.JsonNode? node)
    {
        try
        {
            return Str(node) is { Length: > 0 } text ? new k8s.Models.ResourceQuantity(text).ToDecimal() : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>A label name (qualified name): an optional DNS subdomain prefix and '/', then at most 63 characters.</summary>
    private static bool IsLabelName(string value)
    {
        int slash = value.IndexOf('/', StringComparison.Ordinal);
        string name = slash < 0 ? value : value[(slash + 1)..];
        if (slash >= 0 && (slash == 0 || slash > 253 || !SubdomainRegex().IsMatch(value[..slash])))
        {
            return false;
        }

        return name.Length is > 0 and <= 63 && LabelNamePartRegex().IsMatch(name);
    }

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex LabelNamePartRegex();

    /// <summary>An attribute or capacity name: a C identifier of at most 32 characters, optionally after a DNS subdomain domain of at most 63 and '/'.</summary>
    private static IEnumerable<ApiFieldError> QualifiedName(string field, string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var domain = slash < 0 ? null : name[..slash];
        var id = slash < 0 ? name : name[(slash + 1)..];
        if (domain is not null)
        {
            if (domain.Length > MaxDomainLength)
            {
                yield return ApiFieldError.TooLong(field, MaxDomainLength);
            }
            else if (!SubdomainRegex().IsMatch(domain.ToLowerInvariant()))
            {
                // kube-apiserver 1.36 accepts upper case in an attribute's domain (Example.com/model).
                yield return ApiFieldError.Invalid(field, domain, SubdomainMessage);
            }
        }

        if (id.Length > MaxIdLength)
        {
            yield return ApiFieldError.TooLong(field, MaxIdLength);
        }
        else if (!CIdentifierRegex().IsMatch(id))
        {
            yield return ApiFieldError.Invalid(field, id, "a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName', regex used for validation is '[A-Za-z_][A-Za-z0-9_]*')");
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex CIdentifierRegex();

    [GeneratedRegex("^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex LabelKeyRegex();

    [GeneratedRegex("^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")]
    private static partial Regex LabelValueRegex();

    [GeneratedRegex("^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$")]
    private static partial Regex SemVerRegex();
}
