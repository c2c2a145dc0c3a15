using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DraSdk.Testing;

/// <summary>
/// The resource.k8s.io/v1 ResourceSlice rules of kube-apiserver 1.36, rule for rule: the same verdicts, reasons and
/// field paths. Lengths are counted in UTF-8 bytes, as Go counts them. A list over its limit is reported once and its
/// items are not checked further, as the real server does. The SDK's client-side validation
/// (<c>DraSdk.ResourceSlices.Internal.ResourceValidation</c>) keeps the same rules; tests run one table of cases
/// against both.
/// </summary>
internal static partial class BuiltInValidation
{
    public const int MaxAttributesAndCapacitiesPerDevice = 32;
    public const int MaxAttributeValuesPerDevice = 48;
    public const int MaxAttributeValueLength = 64;
    public const int MaxIdLength = 32;
    public const int MaxDomainLength = 63;
    public const int MaxDriverNameLength = 63;
    public const int MaxPoolNameLength = 253;
    public const int MaxTaintsPerDevice = 16;
    public const int MaxCounterSetsPerSlice = 8;
    public const int MaxCountersPerSet = 32;
    public const int MaxCounterConsumptionsPerDevice = 2;
    public const int MaxBindingConditions = 4;
    public const int MaxValidValues = 10;

    /// <summary>Map keys longer than this are shortened in the middle in field paths (a domain, '/' and an identifier).</summary>
    private const int MaxKeyLengthInPath = MaxDomainLength + 1 + MaxIdLength;

    private const string PerDeviceSelection = "exactly one of `nodeName`, `nodeSelector`, or `allNodes` is required when `perDeviceNodeSelection` is set to true in the ResourceSlice spec";

    private static readonly string[] ListAttributeKinds = ["bools", "ints", "strings", "versions"];
    private static readonly string[] AttributeKinds = ["bool", "int", "string", "version", .. ListAttributeKinds];

    /// <summary>Whether a device lowers the per-slice device limit to 64 (taints, counter consumption or list attributes).</summary>
    private static bool UsesTaintsCountersOrLists(JsonNode? device) =>
        device?["taints"] is JsonArray { Count: > 0 }
        || device?["consumesCounters"] is JsonArray { Count: > 0 }
        || (device?["attributes"] is JsonObject attributes && attributes.Any(a => a.Value is JsonObject v && ListAttributeKinds.Any(k => v[k] is not null)));

    /// <summary>The whole ResourceSlice check, on create (<paramref name="old"/> null) and update.</summary>
    private static IEnumerable<ApiFieldError> ResourceSliceRules(JsonObject obj, JsonObject? old)
    {
        foreach (var error in CheckResourceSlice(obj, old))
        {
            yield return error;
        }
    }

    private static List<ApiFieldError> CheckResourceSlice(JsonObject obj, JsonObject? old)
    {
        var errors = new List<ApiFieldError>();
        if (obj["spec"] is not JsonObject spec)
        {
            errors.Add(ApiFieldError.Required("spec"));
            return errors;
        }

        var oldSpec = old?["spec"] as JsonObject;
        errors.AddRange(DriverName("spec.driver", Str(spec["driver"])));
        var pool = spec["pool"] as JsonObject ?? [];
        errors.AddRange(PoolName("spec.pool.name", Str(pool["name"])));
        if ((Long(pool["resourceSliceCount"]) ?? 0) <= 0)
        {
            errors.Add(ApiFieldError.Invalid("spec.pool.resourceSliceCount", Long(pool["resourceSliceCount"]) ?? 0, "must be greater than zero"));
        }

        if (Long(pool["generation"]) is < 0)
        {
            errors.Add(ApiFieldError.Invalid("spec.pool.generation", Long(pool["generation"]), "must be greater than or equal to zero"));
        }

        // On update the driver, the pool's name and the node name stay as they are.
        if (oldSpec is not null)
        {
            foreach (var (path, now, before) in new (string, JsonNode?, JsonNode?)[]
            {
                ("spec.pool.name", pool["name"], oldSpec["pool"]?["name"]),
                ("spec.driver", spec["driver"], oldSpec["driver"]),
                ("spec.nodeName", spec["nodeName"], oldSpec["nodeName"]),
            })
            {
                if (!JsonNode.DeepEquals(now, before))
                {
                    errors.Add(ApiFieldError.Invalid(path, Str(now), "field is immutable"));
                }
            }
        }

        var set = new List<string>();
        if (spec["nodeName"] is JsonValue nodeName)
        {
            if (Str(nodeName) is { Length: > 0 } name)
            {
                set.Add("`nodeName`");
                errors.AddRange(DnsSubdomain("spec.nodeName", name));
            }
            else
            {
                errors.Add(ApiFieldError.Invalid("spec.nodeName", "", "must be either unset or set to a non-empty string"));
            }
        }

        if (spec["nodeSelector"] is JsonObject selector)
        {
            set.Add("`nodeSelector`");
            errors.AddRange(NodeSelector("spec.nodeSelector", selector));
            if ((selector["nodeSelectorTerms"] as JsonArray)?.Count != 1)
            {
                errors.Add(ApiFieldError.Invalid("spec.nodeSelector.nodeSelectorTerms", "null", "must have exactly one node selector term"));
            }
        }

        foreach (var flag in (string[])["allNodes", "perDeviceNodeSelection"])
        {
            if (spec[flag] is JsonValue value && value.TryGetValue<bool>(out var on))
            {
                if (on)
                {
                    set.Add("`" + flag + "`");
                }
                else
                {
                    errors.Add(ApiFieldError.Invalid("spec." + flag, false, "must be either unset or set to true"));
                }
            }
        }

        if (set.Count == 0)
        {
            errors.Add(ApiFieldError.Required("spec", NodeSelection));
        }
        else if (set.Count > 1)
        {
            errors.Add(ApiFieldError.Invalid("spec", "{" + string.Join(", ", set) + "}", NodeSelection + ", but multiple fields are set"));
        }

        var devices = spec["devices"] as JsonArray;
        var counterSets = spec["sharedCounters"] as JsonArray;
        if (devices is not null && counterSets is not null)
        {
            errors.Add(ApiFieldError.Invalid("spec", "", "only one of `sharedCounters` or `devices` is allowed"));
        }

        if (devices is not null)
        {
            var maxDevices = devices.Any(UsesTaintsCountersOrLists) ? MaxDevicesPerSliceWithTaintsOrCounters : MaxDevicesPerSlice;
            if (devices.Count > maxDevices)
            {
                errors.Add(ApiFieldError.TooMany("spec.devices", devices.Count, maxDevices));
            }
            else
            {
                var perDevice = Bool(spec["perDeviceNodeSelection"]);
                var oldDevices = (oldSpec?["devices"] as JsonArray ?? []).OfType<JsonObject>().ToList();
                var names = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < devices.Count; i++)
                {
                    var device = devices[i] as JsonObject ?? [];
                    var name = Str(device["name"]) ?? "";
                    var oldDevice = oldDevices.FirstOrDefault(d => Str(d["name"]) == name);
                    Device(errors, Index("spec.devices", i), device, oldDevice, perDevice);
                    if (!names.Add(name))
                    {
                        errors.Add(ApiFieldError.Duplicate(Index("spec.devices", i), name));
                    }
                }
            }
        }

        if (counterSets is not null)
        {
            if (counterSets.Count > MaxCounterSetsPerSlice)
            {
                errors.Add(ApiFieldError.TooMany("spec.sharedCounters", counterSets.Count, MaxCounterSetsPerSlice));
            }
            else
            {
                var names = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < counterSets.Count; i++)
                {
                    var path = Index("spec.sharedCounters", i);
                    var name = Str((counterSets[i] as JsonObject)?["name"]) ?? "";
                    if (name.Length == 0)
                    {
                        errors.Add(ApiFieldError.Required(path + ".name"));
                    }
                    else
                    {
                        errors.AddRange(DnsLabel(path + ".name", name));
                    }

                    Counters(errors, path + ".counters", (counterSets[i] as JsonObject)?["counters"]);
                    if (!names.Add(name))
                    {
                        errors.Add(ApiFieldError.Duplicate(path, name));
                    }
                }
            }
        }

        return errors;
    }

    private static void Device(List<ApiFieldError> errors, string path, JsonObject device, JsonObject? oldDevice, bool perDeviceNodeSelection)
    {
        errors.AddRange(DnsLabel(path + ".name", Str(device["name"]) ?? ""));
        var attributes = device["attributes"] as JsonObject;
        var capacity = device["capacity"] as JsonObject;
        var combined = (attributes?.Count ?? 0) + (capacity?.Count ?? 0);
        if (combined > MaxAttributesAndCapacitiesPerDevice)
        {
            errors.Add(ApiFieldError.Invalid(path, combined, string.Create(CultureInfo.InvariantCulture, $"the total number of attributes and capacities must not exceed {MaxAttributesAndCapacitiesPerDevice}")));
        }

        // A scalar counts one, a list each of its items (an empty list one).
        var values = (attributes ?? []).Sum(a => ListAttributeKinds.Sum(k => ((a.Value as JsonObject)?[k] as JsonArray)?.Count ?? 0) is var items and > 0 ? items : 1);
        if (values > MaxAttributeValuesPerDevice)
        {
            errors.Add(ApiFieldError.Invalid(path, values, string.Create(CultureInfo.InvariantCulture, $"the total number of attribute values must not exceed {MaxAttributeValuesPerDevice}")));
        }

        foreach (var (name, value) in attributes ?? [])
        {
            // A key's own problems are reported on the map, its value's under the key.
            errors.AddRange(AttributeName(path + ".attributes", name));
            Attribute(errors, path + ".attributes[" + KeyInPath(name) + "]", value as JsonObject ?? []);
        }

        // Unchanged capacities and taints of a stored device are not checked again.
        if (oldDevice is null || !JsonNode.DeepEquals(oldDevice["capacity"], device["capacity"]))
        {
            var multiple = Bool(device["allowMultipleAllocations"]);
            foreach (var (name, value) in capacity ?? [])
            {
                errors.AddRange(AttributeName(path + ".capacity", name));
                var field = path + ".capacity[" + KeyInPath(name) + "].requestPolicy";
                if (value?["requestPolicy"] is JsonObject policy)
                {
                    if (multiple)
                    {
                        RequestPolicy(errors, field, Quantity(value["value"]) ?? 0, policy);
                    }
                    else
                    {
                        errors.Add(ApiFieldError.Forbidden(field, "allowMultipleAllocations must be true"));
                    }
                }
            }
        }

        if (device["taints"] is JsonArray taints && (oldDevice is null || !JsonNode.DeepEquals(oldDevice["taints"], taints)))
        {
            if (taints.Count > MaxTaintsPerDevice)
            {
                errors.Add(ApiFieldError.TooMany(path + ".taints", taints.Count, MaxTaintsPerDevice));
            }
            else
            {
                for (var j = 0; j < taints.Count; j++)
                {
                    var field = Index(path + ".taints", j);
                    errors.AddRange(LabelName(field + ".key", Str((taints[j] as JsonObject)?["key"]) ?? ""));
                    if (Str((taints[j] as JsonObject)?["value"]) is { Length: > 0 } taintValue)
                    {
                        errors.AddRange(LabelValue(field + ".value", taintValue));
                    }

                    if (Str((taints[j] as JsonObject)?["effect"]) is not { Length: > 0 } effect)
                    {
                        errors.Add(ApiFieldError.Required(field + ".effect"));
                    }
                    else if (!TaintEffects.Contains(effect))
                    {
                        errors.Add(ApiFieldError.NotSupported(field + ".effect", effect, TaintEffects));
                    }
                }
            }
        }

        if (device["consumesCounters"] is JsonArray consumptions)
        {
            if (consumptions.Count > MaxCounterConsumptionsPerDevice)
            {
                errors.Add(ApiFieldError.TooMany(path + ".consumesCounters", consumptions.Count, MaxCounterConsumptionsPerDevice));
            }
            else
            {
                var sets = new HashSet<string>(StringComparer.Ordinal);
                for (var j = 0; j < consumptions.Count; j++)
                {
                    var field = Index(path + ".consumesCounters", j);
                    var set = Str((consumptions[j] as JsonObject)?["counterSet"]) ?? "";
                    if (set.Length == 0)
                    {
                        errors.Add(ApiFieldError.Required(field + ".counterSet"));
                    }
                    else
                    {
                        errors.AddRange(DnsLabel(field + ".counterSet", set));
                    }

                    Counters(errors, field + ".counters", (consumptions[j] as JsonObject)?["counters"]);
                    if (!sets.Add(set))
                    {
                        errors.Add(ApiFieldError.Duplicate(field, set));
                    }
                }
            }
        }

        NodeSelectionOfDevice(errors, path, device, perDeviceNodeSelection);
        errors.AddRange(BindingParameters(path, device));
    }

    private static void NodeSelectionOfDevice(List<ApiFieldError> errors, string path, JsonObject device, bool perDeviceNodeSelection)
    {
        var nodeName = device["nodeName"] as JsonValue;
        var selector = device["nodeSelector"] as JsonObject;
        var allNodes = device["allNodes"] as JsonValue;
        if (!perDeviceNodeSelection)
        {
            if (nodeName is not null || selector is not null || allNodes is not null)
            {
                errors.Add(ApiFieldError.Invalid(path, null, "`nodeName`, `nodeSelector` and `allNodes` can only be set if `perDeviceNodeSelection` is set to true in the ResourceSlice spec"));
            }

            return;
        }

        var set = new List<string>();
        if (nodeName is not null)
        {
            if (Str(nodeName) is { Length: > 0 } name)
            {
                set.Add("`nodeName`");
                errors.AddRange(DnsSubdomain(path + ".nodeName", name));
            }
            else
            {
                errors.Add(ApiFieldError.Invalid(path + ".nodeName", "", "must not be empty"));
            }
        }

        if (selector is not null)
        {
            set.Add("`nodeSelector`");
            errors.AddRange(NodeSelector(path + ".nodeSelector", selector));
        }

        if (allNodes is not null)
        {
            if (Bool(allNodes))
            {
                set.Add("`allNodes`");
            }
            else
            {
                errors.Add(ApiFieldError.Invalid(path + ".allNodes", false, "must be either unset or set to true"));
            }
        }

        if (set.Count == 0)
        {
            errors.Add(ApiFieldError.Required(path, PerDeviceSelection));
        }
        else if (set.Count > 1)
        {
            errors.Add(ApiFieldError.Invalid(path, "{" + string.Join(", ", set) + "}", PerDeviceSelection));
        }
    }

    private static void Attribute(List<ApiFieldError> errors, string path, JsonObject value)
    {
        var kinds = AttributeKinds.Where(k => value[k] is not null).ToList();
        foreach (var kind in kinds)
        {
            var field = path + "." + kind;
            if (kind is "string")
            {
                StringValue(errors, field, Str(value[kind]) ?? "");
            }
            else if (kind is "version")
            {
                VersionValue(errors, field, Str(value[kind]) ?? "");
            }
            else if (value[kind] is JsonArray list)
            {
                if (list.Count == 0)
                {
                    errors.Add(ApiFieldError.Invalid(field, "[]", "must not be empty if specified"));
                }

                for (var j = 0; j < list.Count && kind is "strings" or "versions"; j++)
                {
                    if (kind is "strings")
                    {
                        StringValue(errors, Index(field, j), Str(list[j]) ?? "");
                    }
                    else
                    {
                        VersionValue(errors, Index(field, j), Str(list[j]) ?? "");
                    }
                }
            }
        }

        if (kinds.Count == 0)
        {
            errors.Add(ApiFieldError.Invalid(path, "", "exactly one value must be specified"));
        }
        else if (kinds.Count > 1)
        {
            errors.Add(ApiFieldError.Invalid(path, "{" + string.Join(", ", kinds.Select(k => "`" + k + "`")) + "}", "exactly one value must be specified"));
        }
    }

    private static void StringValue(List<ApiFieldError> errors, string field, string text)
    {
        if (Bytes(text) > MaxAttributeValueLength)
        {
            errors.Add(ApiFieldError.TooLong(field, MaxAttributeValueLength));
        }
    }

    private static void VersionValue(List<ApiFieldError> errors, string field, string text)
    {
        if (!SemVerRegex().IsMatch(text))
        {
            errors.Add(ApiFieldError.Invalid(field, text, "must be a string compatible with semver.org spec 2.0.0"));
        }

        StringValue(errors, field, text);
    }

    /// <summary>A consumable capacity's request policy, checked against the capacity's value.</summary>
    private static void RequestPolicy(List<ApiFieldError> errors, string path, decimal capacity, JsonObject policy)
    {
        var validValues = policy["validValues"] as JsonArray;
        var range = policy["validRange"] as JsonObject;
        var defaultValue = Quantity(policy["default"]);
        if (validValues is { Count: > 0 } && range is not null)
        {
            errors.Add(ApiFieldError.Forbidden(path, "exactly one policy can be specified, cannot specify \"validValues\" and \"validRange\" at the same time"));
        }
        else if (validValues is { Count: > 0 })
        {
            if (defaultValue is not { } d)
            {
                errors.Add(ApiFieldError.Required(path + ".default", "required when validValues is defined"));
            }
            else
            {
                ValidValues(errors, path + ".validValues", d, capacity, validValues);
            }
        }
        else if (range is not null)
        {
            if (defaultValue is not { } d)
            {
                errors.Add(ApiFieldError.Required(path + ".default", "required when validRange is defined"));
            }
            else
            {
                ValidRange(errors, path + ".validRange", d, capacity, range);
            }
        }
    }

    private static void ValidValues(List<ApiFieldError> errors, string path, decimal defaultValue, decimal capacity, JsonArray values)
    {
        var options = values.Select(Quantity).ToList();
        for (var i = 0; i + 1 < options.Count; i++)
        {
            if (options[i] > options[i + 1])
            {
                errors.Add(ApiFieldError.Invalid(Index(path, i + 1), Str(values[i + 1]), "values must be sorted in ascending order"));
            }
        }

        var foundDefault = false;
        if (options.Count > MaxValidValues)
        {
            errors.Add(ApiFieldError.TooMany(path, options.Count, MaxValidValues));
        }
        else
        {
            // Duplicates are told apart by their whole units, rounded up.
            var seen = new HashSet<decimal>();
            for (var i = 0; i < options.Count; i++)
            {
                if (options[i] is not { } option)
                {
                    continue;
                }

                if (option > capacity)
                {
                    errors.Add(ApiFieldError.Invalid(Index(path, i), Str(values[i]), "option is larger than capacity value: " + Format(capacity)));
                }

                foundDefault |= option == defaultValue;
                if (!seen.Add(decimal.Ceiling(option)))
                {
                    errors.Add(ApiFieldError.Duplicate(Index(path, i), Format(decimal.Ceiling(option))));
                }
            }
        }

        if (!foundDefault)
        {
            errors.Add(ApiFieldError.Invalid(path, Format(defaultValue), "default value is not valid according to the requestPolicy"));
        }
    }

    private static void ValidRange(List<ApiFieldError> errors, string path, decimal defaultValue, decimal capacity, JsonObject range)
    {
        if (Quantity(range["min"]) is not { } min)
        {
            errors.Add(ApiFieldError.Required(path + ".min", "required when validRange is defined"));
            return;
        }

        if (min > capacity)
        {
            errors.Add(ApiFieldError.Invalid(path + ".min", Format(min), "min is larger than capacity value: " + Format(capacity)));
        }

        if (defaultValue < min)
        {
            errors.Add(ApiFieldError.Invalid(path + ".default", Format(defaultValue), "default is less than min: " + Format(min)));
        }

        var max = Quantity(range["max"]);
        if (max is { } m)
        {
            if (min > m)
            {
                errors.Add(ApiFieldError.Invalid(path + ".max", Format(min), "min is larger than max: " + Format(m)));
            }

            if (m > capacity)
            {
                errors.Add(ApiFieldError.Invalid(path + ".max", Format(m), "max is larger than capacity value: " + Format(capacity)));
            }

            if (defaultValue > m)
            {
                errors.Add(ApiFieldError.Invalid(path + ".default", Format(defaultValue), "default is more than max: " + Format(m)));
            }
        }

        if (Quantity(range["step"]) is not { } step)
        {
            return;
        }

        if (step <= 0)
        {
            errors.Add(ApiFieldError.Invalid(path + ".step", Format(step), "must be greater than zero"));
            return;
        }

        if (min + step > capacity)
        {
            errors.Add(ApiFieldError.Invalid(path + ".step", Format(step), $"one step {Format(min + step)} is larger than capacity value: {Format(capacity)}"));
        }

        // Whole units, rounded up, as the server compares them (fractional ranges are a later feature gate).
        foreach (var value in max is { } top ? new[] { defaultValue, top } : new[] { defaultValue })
        {
            if ((decimal.Ceiling(value) - decimal.Ceiling(min)) % decimal.Ceiling(step) != 0)
            {
                errors.Add(ApiFieldError.Invalid(path + ".step", Format(value), $"value is not a multiple of a given step ({Format(step)}) from ({Format(min)})"));
            }
        }
    }

    private static void Counters(List<ApiFieldError> errors, string path, JsonNode? counters)
    {
        if (counters is not JsonObject map || map.Count == 0)
        {
            errors.Add(ApiFieldError.Required(path));
            return;
        }

        if (map.Count > MaxCountersPerSet)
        {
            errors.Add(ApiFieldError.TooMany(path, map.Count, MaxCountersPerSet));
            return;
        }

        foreach (var (name, _) in map)
        {
            errors.AddRange(DnsLabel(path, name));
        }
    }

    /// <summary>A map key as the server shows it in a field path: keys over 96 bytes shortened in the middle.</summary>
    private static string KeyInPath(string key)
    {
        if (key.Length <= MaxKeyLengthInPath)
        {
            return key;
        }

        var remaining = MaxKeyLengthInPath - 3;
        return key[..((remaining + 1) / 2)] + "..." + key[^(remaining / 2)..];
    }

    private static string Format(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A quantity's value, or null when it is not one (reported elsewhere).</summary>
    private static decimal? Quantity(JsonNode? node)
    {
        try
        {
            return Str(node) is { Length: > 0 } text ? new k8s.Models.ResourceQuantity(text).ToDecimal() : null;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            return null;
        }
    }

    [GeneratedRegex("^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$")]
    private static partial Regex SemVerRegex();
}
