using System.Globalization;
using System.Text.RegularExpressions;
using k8s.Models;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>
/// The resource.k8s.io/v1 limits the API server enforces, checked before anything is sent, with messages that name
/// the pool, slice, device and field. Per-slice limits (device count, counter sets per slice) are not errors here:
/// <see cref="SliceSplitter"/> splits slices to fit them.
/// </summary>
internal static partial class ResourceValidation
{
    public const int MaxDevicesPerSlice = 128;
    public const int MaxDevicesPerSliceWithTaintsOrCounters = 64;
    public const int MaxCounterSetsPerSlice = 8;
    public const int MaxAttributesAndCapacities = 32;
    public const int MaxAttributeValues = 48;
    public const int MaxValueLength = 64;
    public const int MaxIdLength = 32;
    public const int MaxDomainLength = 63;
    public const int MaxDriverNameLength = 63;
    public const int MaxPoolNameLength = 253;
    public const int MaxTaints = 16;
    public const int MaxCountersPerSet = 32;
    public const int MaxConsumptions = 2;
    public const int MaxBindingConditions = 4;
    public const int MaxValidValues = 10;
    private const int MaxErrorsShown = 20;

    private static readonly string[] TaintEffects = ["None", "NoSchedule", "NoExecute"];

    /// <summary>Whether a device lowers the device limit of its slice to 64.</summary>
    public static bool LowersDeviceLimit(V1Device device) =>
        device.Taints is { Count: > 0 }
        || device.ConsumesCounters is { Count: > 0 }
        || device.Attributes?.Values.Any(a => a is not null && (a.Ints is not null || a.Bools is not null || a.Strings is not null || a.Versions is not null)) == true;

    /// <summary>Checks <paramref name="resources"/> for a publisher of <paramref name="driverName"/>; a null <paramref name="nodeName"/> means network-attached pools.</summary>
    /// <exception cref="ArgumentException">Something is not valid; the message lists what and where.</exception>
    public static void Validate(DriverResources resources, string driverName, string? nodeName)
    {
        ArgumentNullException.ThrowIfNull(resources);
        if (resources.Pools is null)
        {
            throw new ArgumentException("DriverResources.Pools must not be null.", nameof(resources));
        }

        var errors = new List<string>();
        if (driverName.Length > MaxDriverNameLength)
        {
            errors.Add($"the driver name is {driverName.Length} characters long; a ResourceSlice's spec.driver allows at most {MaxDriverNameLength}");
        }

        foreach ((string poolName, Pool? pool) in resources.Pools.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            ValidatePool(errors, poolName, pool, nodeName);
        }

        if (errors.Count > 0)
        {
            string shown = string.Join("; ", errors.Take(MaxErrorsShown));
            string more = errors.Count > MaxErrorsShown ? string.Create(CultureInfo.InvariantCulture, $" (and {errors.Count - MaxErrorsShown} more)") : string.Empty;
            throw new ArgumentException($"The resources of driver '{driverName}' are not valid: {shown}{more}.", nameof(resources));
        }
    }

    /// <summary>Pool names: at most 253 characters, '/'-separated DNS subdomains.</summary>
    public static string? ValidatePoolName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "it must not be empty";
        }

        if (name.Length > MaxPoolNameLength)
        {
            return $"it must be no more than 253 characters (it has {name.Length})";
        }

        return name.Split('/').All(segment => DnsSubdomain().IsMatch(segment))
            ? null
            : "it must consist of DNS subdomains (lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character), optionally separated by '/'";
    }

    private static void ValidatePool(List<string> errors, string poolName, Pool? pool, string? nodeName)
    {
        string where = $"pool '{poolName}'";
        if (ValidatePoolName(poolName) is { } problem)
        {
            errors.Add($"{where}: the name is not valid: {problem}");
        }

        if (pool?.Slices is null || pool.Slices.Count == 0)
        {
            errors.Add($"{where} has no slices; give it at least one slice (a slice may have no devices)");
            return;
        }

        if (pool.Generation < 0)
        {
            errors.Add($"{where}: Generation must not be negative");
        }

        bool perDevice = pool.Slices.Any(s => s?.PerDeviceNodeSelection == true);
        if (nodeName is not null)
        {
            if (pool.NodeSelector is not null || pool.AllNodes || perDevice)
            {
                errors.Add($"{where}: a node-local pool is published for node '{nodeName}'; NodeSelector, AllNodes and PerDeviceNodeSelection are for network-attached pools (AddNetworkResourceSlicePublisher)");
            }
        }
        else
        {
            int selections = (pool.NodeSelector is null ? 0 : 1) + (pool.AllNodes ? 1 : 0) + (perDevice ? 1 : 0);
            if (selections != 1)
            {
                errors.Add($"{where}: a network-attached pool needs exactly one of NodeSelector, AllNodes or PerDeviceNodeSelection (it has {selections})");
            }

            if (perDevice && pool.Slices.Any(s => s is not null && !s.PerDeviceNodeSelection))
            {
                errors.Add($"{where}: PerDeviceNodeSelection must be set on every slice of the pool or on none");
            }

            if (pool.NodeSelector is not null && pool.NodeSelector.NodeSelectorTerms?.Count != 1)
            {
                errors.Add($"{where}: NodeSelector must have exactly one term (it has {pool.NodeSelector.NodeSelectorTerms?.Count ?? 0})");
            }
        }

        // Counter sets are unique in the pool; devices anywhere in the pool may consume them.
        var counterSets = new Dictionary<string, V1CounterSet>(StringComparer.Ordinal);
        for (int i = 0; i < pool.Slices.Count; i++)
        {
            foreach (V1CounterSet? set in pool.Slices[i]?.SharedCounters ?? [])
            {
                string at = $"{where}, slice {i}, counter set '{set?.Name}'";
                if (set is null || string.IsNullOrEmpty(set.Name))
                {
                    errors.Add($"{where}, slice {i}: a counter set is null or has no name");
                    continue;
                }

                CheckDnsLabel(errors, at, "the name", set.Name);
                if (!counterSets.TryAdd(set.Name, set))
                {
                    errors.Add($"{at}: the name appears more than once in the pool");
                }

                CheckCounters(errors, at, set.Counters, MaxCountersPerSet);
            }
        }

        var deviceNames = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < pool.Slices.Count; i++)
        {
            Slice? slice = pool.Slices[i];
            if (slice?.Devices is null || slice.SharedCounters is null)
            {
                errors.Add($"{where}, slice {i} is null or has null Devices or SharedCounters");
                continue;
            }

            foreach (V1Device? device in slice.Devices)
            {
                if (device is null || string.IsNullOrEmpty(device.Name))
                {
                    errors.Add($"{where}, slice {i}: a device is null or has no name");
                    continue;
                }

                string at = $"{where}, slice {i}, device '{device.Name}'";
                if (!deviceNames.Add(device.Name))
                {
                    errors.Add($"{at}: device '{device.Name}' appears more than once in pool '{poolName}'");
                }

                ValidateDevice(errors, at, device, slice.PerDeviceNodeSelection, counterSets);
            }
        }
    }

    private static void ValidateDevice(List<string> errors, string at, V1Device device, bool perDeviceNodeSelection, Dictionary<string, V1CounterSet> counterSets)
    {
        CheckDnsLabel(errors, at, "the name", device.Name);
        int combined = (device.Attributes?.Count ?? 0) + (device.Capacity?.Count ?? 0);
        if (combined > MaxAttributesAndCapacities)
        {
            errors.Add($"{at}: {combined} attributes and capacities, more than the {MaxAttributesAndCapacities} allowed together");
        }

        int values = 0;
        foreach ((string name, V1DeviceAttribute? value) in device.Attributes ?? new Dictionary<string, V1DeviceAttribute>())
        {
            string where = $"{at}, attribute '{name}'";
            CheckQualifiedName(errors, where, name);
            values += CheckAttribute(errors, where, value);
        }

        if (values > MaxAttributeValues)
        {
            errors.Add($"{at}: {values} attribute values (list elements count one each), more than the {MaxAttributeValues} allowed");
        }

        foreach ((string name, V1DeviceCapacity? capacity) in device.Capacity ?? new Dictionary<string, V1DeviceCapacity>())
        {
            string where = $"{at}, capacity '{name}'";
            CheckQualifiedName(errors, where, name);
            if (capacity?.Value is null)
            {
                errors.Add($"{where}: Value is required");
            }

            if (capacity?.RequestPolicy is { } policy)
            {
                if (device.AllowMultipleAllocations != true)
                {
                    errors.Add($"{where}: RequestPolicy is allowed only when the device sets AllowMultipleAllocations");
                }

                if (policy.ValidValues is { Count: > MaxValidValues })
                {
                    errors.Add($"{where}: {policy.ValidValues.Count} ValidValues, more than the {MaxValidValues} allowed");
                }

                if ((policy.ValidValues is not null || policy.ValidRange is not null) && policy.DefaultProperty is null)
                {
                    errors.Add($"{where}: RequestPolicy.Default is required when ValidValues or ValidRange is set");
                }

                // As the API server: valid values in ascending order, and a default that a stepped range can reach.
                if (policy.ValidValues is { Count: > 1 } validValues)
                {
                    for (int i = 1; i < validValues.Count; i++)
                    {
                        if (validValues[i]?.ToDecimal() <= validValues[i - 1]?.ToDecimal())
                        {
                            errors.Add($"{where}: RequestPolicy.ValidValues must be in strictly ascending order ({validValues[i - 1]} then {validValues[i]})");
                            break;
                        }
                    }
                }

                if (policy.ValidRange is { Min: { } min, Step: { } step } && policy.DefaultProperty is { } defaultValue
                    && step.ToDecimal() > 0 && (defaultValue.ToDecimal() - min.ToDecimal()) % step.ToDecimal() != 0)
                {
                    errors.Add($"{where}: RequestPolicy.Default {defaultValue} is not Min {min} plus a multiple of Step {step}");
                }
            }
        }

        if (device.Taints is { } taints)
        {
            if (taints.Count > MaxTaints)
            {
                errors.Add($"{at}: {taints.Count} taints, more than the {MaxTaints} allowed");
            }

            foreach (V1DeviceTaint? taint in taints)
            {
                string where = $"{at}, taint '{taint?.Key}'";
                if (taint is null || string.IsNullOrEmpty(taint.Key))
                {
                    errors.Add($"{at}: a taint is null or has no key");
                    continue;
                }

                if (!LabelKey().IsMatch(taint.Key) || taint.Key.Split('/')[^1].Length > 63)
                {
                    errors.Add($"{where}: the key must be a qualified name such as 'example.com/unhealthy'");
                }

                if (!string.IsNullOrEmpty(taint.Value) && (taint.Value.Length > 63 || !LabelValue().IsMatch(taint.Value)))
                {
                    errors.Add($"{where}: the value '{taint.Value}' must be a label value (at most 63 characters)");
                }

                if (!TaintEffects.Contains(taint.Effect, StringComparer.Ordinal))
                {
                    errors.Add($"{where}: the effect '{taint.Effect}' must be one of None, NoSchedule, NoExecute");
                }
            }
        }

        if (device.ConsumesCounters is { } consumptions)
        {
            if (consumptions.Count > MaxConsumptions)
            {
                errors.Add($"{at}: consumes counters of {consumptions.Count} counter sets, more than the {MaxConsumptions} allowed");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (V1DeviceCounterConsumption? consumption in consumptions)
            {
                string where = $"{at}, consumption of counter set '{consumption?.CounterSet}'";
                if (consumption is null || string.IsNullOrEmpty(consumption.CounterSet))
                {
                    errors.Add($"{at}: a counter consumption is null or names no counter set");
                    continue;
                }

                if (!seen.Add(consumption.CounterSet))
                {
                    errors.Add($"{where}: the counter set is consumed more than once");
                }

                CheckCounters(errors, where, consumption.Counters, MaxCountersPerSet);
                if (!counterSets.TryGetValue(consumption.CounterSet, out V1CounterSet? set))
                {
                    errors.Add($"{where}: the pool has no counter set '{consumption.CounterSet}'");
                    continue;
                }

                foreach ((string counter, V1Counter? consumed) in consumption.Counters ?? new Dictionary<string, V1Counter>())
                {
                    if (set.Counters is null || !set.Counters.TryGetValue(counter, out V1Counter? available))
                    {
                        errors.Add($"{where}: counter set '{consumption.CounterSet}' has no counter '{counter}'");
                    }
                    else if (consumed?.Value is { } need && available?.Value is { } have && Exceeds(need, have))
                    {
                        errors.Add($"{where}: consumes {need} of counter '{counter}', more than the {have} the counter set has: the device could never be allocated");
                    }
                }
            }
        }

        if (device.BindingConditions is { Count: > MaxBindingConditions })
        {
            errors.Add($"{at}: {device.BindingConditions.Count} binding conditions, more than the {MaxBindingConditions} allowed");
        }

        if (device.BindingFailureConditions is { Count: > MaxBindingConditions })
        {
            errors.Add($"{at}: {device.BindingFailureConditions.Count} binding failure conditions, more than the {MaxBindingConditions} allowed");
        }

        // As the API server: binding conditions need failure conditions, the two lists are disjoint, and every entry is
        // a label name (an optional DNS subdomain and '/', then at most 63 alphanumerics, '-', '_' or '.').
        if (device.BindingConditions is { Count: > 0 } && device.BindingFailureConditions is null or { Count: 0 })
        {
            errors.Add($"{at}: binding conditions need binding failure conditions too (the API server requires them)");
        }

        foreach (string condition in (device.BindingConditions ?? []).Concat(device.BindingFailureConditions ?? []))
        {
            if (!IsLabelName(condition))
            {
                errors.Add($"{at}: binding condition '{condition}' is not a label name (an optional DNS subdomain and '/', then at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character)");
            }
        }

        foreach (string both in (device.BindingConditions ?? []).Intersect(device.BindingFailureConditions ?? [], StringComparer.Ordinal))
        {
            errors.Add($"{at}: '{both}' is both a binding condition and a binding failure condition");
        }

        int selections = (string.IsNullOrEmpty(device.NodeName) ? 0 : 1) + (device.NodeSelector is null ? 0 : 1) + (device.AllNodes == true ? 1 : 0);
        if (perDeviceNodeSelection && selections != 1)
        {
            errors.Add($"{at}: with PerDeviceNodeSelection every device needs exactly one of NodeName, NodeSelector or AllNodes (it has {selections})");
        }
        else if (!perDeviceNodeSelection && selections > 0)
        {
            errors.Add($"{at}: NodeName, NodeSelector and AllNodes may only be set on a device of a slice with PerDeviceNodeSelection");
        }
    }

    /// <summary>Checks one attribute value and returns how many values it counts for.</summary>
    private static int CheckAttribute(List<string> errors, string where, V1DeviceAttribute? value)
    {
        if (value is null)
        {
            errors.Add($"{where}: the value is null");
            return 0;
        }

        int kinds = (value.IntValue is null ? 0 : 1) + (value.BoolValue is null ? 0 : 1) + (value.StringValue is null ? 0 : 1) + (value.Version is null ? 0 : 1)
            + (value.Ints is null ? 0 : 1) + (value.Bools is null ? 0 : 1) + (value.Strings is null ? 0 : 1) + (value.Versions is null ? 0 : 1);
        if (kinds != 1)
        {
            errors.Add($"{where}: exactly one of IntValue, BoolValue, StringValue, Version (or a list form) must be set (it has {kinds})");
            return 0;
        }

        IEnumerable<string?> strings = value.StringValue is not null ? [value.StringValue] : value.Strings ?? [];
        foreach (string? s in strings)
        {
            if (s is not null && s.Length > MaxValueLength)
            {
                errors.Add($"{where}: the string value is {s.Length} characters long, more than the {MaxValueLength} allowed");
            }
        }

        IEnumerable<string?> versions = value.Version is not null ? [value.Version] : value.Versions ?? [];
        foreach (string? v in versions)
        {
            if (v is null || v.Length > MaxValueLength)
            {
                errors.Add($"{where}: the version is {v?.Length ?? 0} characters long, more than the {MaxValueLength} allowed");
            }
            else if (!SemVer().IsMatch(v))
            {
                errors.Add($"{where}: the version '{v}' is not a semantic version (semver.org 2.0.0, e.g. '1.2.3')");
            }
        }

        int count = value.Ints?.Count ?? value.Bools?.Count ?? value.Strings?.Count ?? value.Versions?.Count ?? 1;
        if (count == 0)
        {
            errors.Add($"{where}: a list value must not be empty");
        }

        return count;
    }

    private static void CheckCounters(List<string> errors, string where, IDictionary<string, V1Counter>? counters, int max)
    {
        if (counters is null || counters.Count == 0)
        {
            errors.Add($"{where}: at least one counter is required");
            return;
        }

        if (counters.Count > max)
        {
            errors.Add($"{where}: {counters.Count} counters, more than the {max} allowed");
        }

        foreach ((string name, V1Counter? counter) in counters)
        {
            CheckDnsLabel(errors, where, $"counter '{name}'", name);
            if (counter?.Value is null)
            {
                errors.Add($"{where}, counter '{name}': Value is required");
            }
        }
    }

    /// <summary>Whether quantity <paramref name="need"/> is more than <paramref name="have"/>; false when either does not parse (reported elsewhere).</summary>
    private static bool Exceeds(ResourceQuantity need, ResourceQuantity have)
    {
        try
        {
            return need.ToDecimal() > have.ToDecimal();
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            return false;
        }
    }

    private static void CheckQualifiedName(List<string> errors, string where, string name)
    {
        int slash = name.IndexOf('/', StringComparison.Ordinal);
        string id = slash < 0 ? name : name[(slash + 1)..];
        if (slash >= 0)
        {
            string domain = name[..slash];
            if (domain.Length > MaxDomainLength)
            {
                errors.Add($"{where}: the domain '{domain}' is {domain.Length} characters long, more than the {MaxDomainLength} allowed");
            }
            else if (!DnsSubdomain().IsMatch(domain.ToLowerInvariant()))
            {
                // The API server accepts upper case in the domain (Example.com/model).
                errors.Add($"{where}: the domain '{domain}' is not a DNS subdomain");
            }
        }

        if (id.Length > MaxIdLength)
        {
            errors.Add($"{where}: the name '{id}' is {id.Length} characters long, more than the {MaxIdLength} allowed");
        }
        else if (!CIdentifier().IsMatch(id))
        {
            errors.Add($"{where}: the name '{id}' must be a C identifier (a letter or '_', then letters, digits or '_'), optionally after a domain and '/'");
        }
    }

    /// <summary>A Kubernetes label name (qualified name): an optional DNS subdomain prefix and '/', then the name part.</summary>
    internal static bool IsLabelName(string value)
    {
        int slash = value.IndexOf('/', StringComparison.Ordinal);
        string name = slash < 0 ? value : value[(slash + 1)..];
        if (slash >= 0 && (slash == 0 || slash > 253 || !DnsSubdomain().IsMatch(value[..slash])))
        {
            return false;
        }

        return name.Length is > 0 and <= 63 && LabelNamePart().IsMatch(name);
    }

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex LabelNamePart();

    private static void CheckDnsLabel(List<string> errors, string where, string what, string value)
    {
        if (value.Length > 63 || !DnsLabel().IsMatch(value))
        {
            errors.Add($"{where}: {what} '{value}' must be a DNS label (at most 63 lower case alphanumeric characters or '-', starting and ending with an alphanumeric character)");
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    internal static partial Regex DnsSubdomain();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex CIdentifier();

    [GeneratedRegex("^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex LabelKey();

    [GeneratedRegex("^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")]
    private static partial Regex LabelValue();

    [GeneratedRegex("^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$")]
    private static partial Regex SemVer();
}
