using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>One problem found by <see cref="ResourceValidation"/>.</summary>
/// <param name="Where">The pool, slice, device and field, as a reader names them.</param>
/// <param name="Field">
/// The field path kube-apiserver reports for the same problem in the ResourceSlice the slice becomes
/// (<c>spec.devices[0].attributes[model].string</c>; device and counter set indexes count within the given slice).
/// </param>
/// <param name="Message">What is wrong.</param>
/// <param name="BeyondServer">Whether only the SDK checks this: the API server would accept it (see docs/guides/resource-slices.md).</param>
internal readonly record struct ValidationProblem(string Where, string? Field, string Message, bool BeyondServer)
{
    public override string ToString() => Field is null ? $"{Where}: {Message}" : $"{Where}: {Message} ({Field})";
}

/// <summary>
/// The resource.k8s.io/v1 rules kube-apiserver 1.36 enforces on ResourceSlices, checked before anything is sent, with
/// messages that name the pool, slice, device and field and the field path the server would report. Lengths count
/// UTF-8 bytes, as the server does. Per-slice limits (device count, counter sets per slice) are not errors here:
/// <see cref="SliceSplitter"/> splits slices to fit them. The in-memory API server of DraSdk.Testing keeps the same
/// rules (<c>BuiltInValidation.ResourceSlice.cs</c>); one table of cases in the tests runs against both.
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

    /// <summary>The feature gate behind list-type attributes; off by default in Kubernetes 1.36.</summary>
    public const string ListTypeAttributesGate = "DRAListTypeAttributes";

    private static readonly string[] TaintEffects = ["NoExecute", "NoSchedule", "None"];

    /// <summary>Whether a device lowers the device limit of its slice to 64.</summary>
    public static bool LowersDeviceLimit(V1Device device) =>
        device.Taints is { Count: > 0 }
        || device.ConsumesCounters is { Count: > 0 }
        || device.Attributes?.Values.Any(a => a is not null && IsList(a)) == true;

    /// <summary>Checks <paramref name="resources"/> for a publisher of <paramref name="driverName"/>; a null <paramref name="nodeName"/> means network-attached pools.</summary>
    /// <param name="resources">The resources.</param>
    /// <param name="driverName">The driver.</param>
    /// <param name="nodeName">The node of a node-local publisher; null for network-attached pools.</param>
    /// <param name="listTypeAttributes">Whether the cluster has the <c>DRAListTypeAttributes</c> gate enabled.</param>
    /// <exception cref="ArgumentException">Something is not valid; the message lists what and where.</exception>
    public static void Validate(DriverResources resources, string driverName, string? nodeName, bool listTypeAttributes = false)
    {
        List<ValidationProblem> problems = Check(resources, driverName, nodeName, listTypeAttributes);
        if (problems.Count > 0)
        {
            string shown = string.Join("; ", problems.Take(MaxErrorsShown));
            string more = problems.Count > MaxErrorsShown ? string.Create(CultureInfo.InvariantCulture, $" (and {problems.Count - MaxErrorsShown} more)") : string.Empty;
            throw new ArgumentException($"The resources of driver '{driverName}' are not valid: {shown}{more}.", nameof(resources));
        }
    }

    /// <summary>Every problem of <paramref name="resources"/>, in pool order; empty when they are valid.</summary>
    public static List<ValidationProblem> Check(DriverResources resources, string driverName, string? nodeName, bool listTypeAttributes = false)
    {
        ArgumentNullException.ThrowIfNull(resources);
        if (resources.Pools is null)
        {
            throw new ArgumentException("DriverResources.Pools must not be null.", nameof(resources));
        }

        var checker = new Checker(listTypeAttributes);
        checker.DriverName(driverName);
        if (nodeName is not null)
        {
            checker.NodeName(nodeName);
        }

        foreach ((string poolName, Pool? pool) in resources.Pools.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            checker.Pool(poolName, pool, nodeName);
        }

        return checker.Problems;
    }

    /// <summary>Pool names: at most 253 bytes, '/'-separated DNS subdomains.</summary>
    public static string? ValidatePoolName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "it must not be empty";
        }

        if (Bytes(name) > MaxPoolNameLength)
        {
            return $"it must be no more than 253 bytes (it has {Bytes(name)})";
        }

        return name.Split('/').All(IsSubdomain)
            ? null
            : "it must consist of DNS subdomains (lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character), optionally separated by '/'";
    }

    /// <summary>A Kubernetes label name (qualified name): an optional DNS subdomain prefix and '/', then the name part.</summary>
    internal static bool IsLabelName(string value)
    {
        string[] parts = value.Split('/');
        if (parts.Length > 2 || (parts.Length == 2 && !IsSubdomain(parts[0])))
        {
            return false;
        }

        string name = parts[^1];
        return Bytes(name) is > 0 and <= 63 && LabelNamePart().IsMatch(name);
    }

    private static bool IsLabelValue(string value) => Bytes(value) <= 63 && LabelValue().IsMatch(value);

    private static bool IsSubdomain(string value) => Bytes(value) <= 253 && DnsSubdomain().IsMatch(value);

    private static bool IsDnsLabel(string value) => Bytes(value) <= 63 && DnsLabel().IsMatch(value);

    private static bool IsList(V1DeviceAttribute a) => a.Ints is not null || a.Bools is not null || a.Strings is not null || a.Versions is not null;

    /// <summary>A string's length as the API server (Go) counts it: UTF-8 bytes.</summary>
    private static int Bytes(string text) => Encoding.UTF8.GetByteCount(text);

    /// <summary>A map key as the API server shows it in a field path: keys over 96 characters shortened in the middle.</summary>
    private static string KeyInPath(string key)
    {
        const int Max = MaxDomainLength + 1 + MaxIdLength;
        return key.Length <= Max ? key : key[..((Max - 2) / 2)] + "..." + key[^((Max - 3) / 2)..];
    }

    private static string Index(string field, int i) => string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]");

    /// <summary>A quantity as a number, or null when it does not parse.</summary>
    private static decimal? Dec(ResourceQuantity? q)
    {
        try
        {
            return q?.ToDecimal();
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            return null;
        }
    }

    private sealed class Checker(bool listTypeAttributes)
    {
        public List<ValidationProblem> Problems { get; } = [];

        private void Add(string where, string? field, string message) => Problems.Add(new(where, field, message, BeyondServer: false));

        private void Beyond(string where, string? field, string message) => Problems.Add(new(where, field, message, BeyondServer: true));

        public void DriverName(string driverName)
        {
            if (Bytes(driverName) > MaxDriverNameLength)
            {
                Add("the driver name", "spec.driver", $"it is {Bytes(driverName)} bytes long; a ResourceSlice's spec.driver allows at most {MaxDriverNameLength}");
            }

            // As the API server: a DNS subdomain, upper case allowed.
            if (!DnsSubdomain().IsMatch(driverName.ToLowerInvariant()))
            {
                Add("the driver name", "spec.driver", $"'{driverName}' is not a DNS subdomain");
            }
        }

        public void NodeName(string nodeName)
        {
            if (nodeName.Length == 0)
            {
                Add("the node name", "spec.nodeName", "it must not be empty");
            }
            else if (!IsSubdomain(nodeName))
            {
                Add("the node name", "spec.nodeName", $"'{nodeName}' is not a DNS subdomain of at most 253 bytes");
            }
        }

        public void Pool(string poolName, Pool? pool, string? nodeName)
        {
            string where = $"pool '{poolName}'";
            if (ValidatePoolName(poolName) is { } problem)
            {
                Add(where, "spec.pool.name", $"the name is not valid: {problem}");
            }

            if (pool?.Slices is null || pool.Slices.Count == 0)
            {
                Beyond(where, null, "it has no slices; give it at least one slice (a slice may have no devices)");
                return;
            }

            if (pool.Generation < 0)
            {
                Add(where, "spec.pool.generation", "Generation must not be negative");
            }

            bool perDevice = pool.Slices.Any(s => s?.PerDeviceNodeSelection == true);
            if (nodeName is not null)
            {
                if (pool.NodeSelector is not null || pool.AllNodes || perDevice)
                {
                    Beyond(where, null, $"a node-local pool is published for node '{nodeName}'; NodeSelector, AllNodes and PerDeviceNodeSelection are for network-attached pools (AddNetworkResourceSlicePublisher)");
                }
            }
            else
            {
                int selections = (pool.NodeSelector is null ? 0 : 1) + (pool.AllNodes ? 1 : 0) + (perDevice ? 1 : 0);
                if (selections != 1)
                {
                    Add(where, "spec", $"a network-attached pool needs exactly one of NodeSelector, AllNodes or PerDeviceNodeSelection (it has {selections})");
                }

                if (perDevice && pool.Slices.Any(s => s is not null && !s.PerDeviceNodeSelection))
                {
                    Beyond(where, null, "PerDeviceNodeSelection must be set on every slice of the pool or on none");
                }

                if (pool.NodeSelector is { } selector)
                {
                    NodeSelector($"{where}, NodeSelector", "spec.nodeSelector", selector);
                    if (selector.NodeSelectorTerms?.Count != 1)
                    {
                        Add(where, "spec.nodeSelector.nodeSelectorTerms", $"NodeSelector must have exactly one term (it has {selector.NodeSelectorTerms?.Count ?? 0})");
                    }
                }
            }

            // Counter sets are unique in the pool; devices anywhere in the pool may consume them.
            var counterSets = new Dictionary<string, V1CounterSet>(StringComparer.Ordinal);
            for (int i = 0; i < pool.Slices.Count; i++)
            {
                IReadOnlyList<V1CounterSet?> sets = pool.Slices[i]?.SharedCounters ?? [];
                for (int k = 0; k < sets.Count; k++)
                {
                    V1CounterSet? set = sets[k];
                    string path = Index("spec.sharedCounters", k);
                    if (set is null)
                    {
                        Beyond($"{where}, slice {i}", path, "a counter set is null");
                        continue;
                    }

                    string at = $"{where}, slice {i}, counter set '{set.Name}'";
                    if (string.IsNullOrEmpty(set.Name))
                    {
                        Add($"{where}, slice {i}", path + ".name", "a counter set has no name");
                    }
                    else
                    {
                        CheckDnsLabel(at, path + ".name", "the name", set.Name);
                        if (!counterSets.TryAdd(set.Name, set))
                        {
                            Add(at, path, "the name appears more than once in the pool");
                        }
                    }

                    Counters(at, path + ".counters", set.Counters);
                }
            }

            var deviceNames = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < pool.Slices.Count; i++)
            {
                Slice? slice = pool.Slices[i];
                if (slice?.Devices is null || slice.SharedCounters is null)
                {
                    Beyond($"{where}, slice {i}", null, "the slice is null or has null Devices or SharedCounters");
                    continue;
                }

                for (int j = 0; j < slice.Devices.Count; j++)
                {
                    V1Device? device = slice.Devices[j];
                    string path = Index("spec.devices", j);
                    if (device is null)
                    {
                        Beyond($"{where}, slice {i}", path, "a device is null");
                        continue;
                    }

                    string at = $"{where}, slice {i}, device '{device.Name}'";
                    if (string.IsNullOrEmpty(device.Name))
                    {
                        Add($"{where}, slice {i}", path + ".name", "a device has no name");
                    }
                    else
                    {
                        CheckDnsLabel(at, path + ".name", "the name", device.Name);
                        if (!deviceNames.Add(device.Name))
                        {
                            Add(at, path, $"device '{device.Name}' appears more than once in pool '{poolName}'");
                        }
                    }

                    Device(at, path, device, slice.PerDeviceNodeSelection, counterSets);
                }
            }
        }

        private void Device(string at, string path, V1Device device, bool perDeviceNodeSelection, Dictionary<string, V1CounterSet> counterSets)
        {
            int combined = (device.Attributes?.Count ?? 0) + (device.Capacity?.Count ?? 0);
            if (combined > MaxAttributesAndCapacities)
            {
                Add(at, path, $"{combined} attributes and capacities, more than the {MaxAttributesAndCapacities} allowed together");
            }

            // A scalar counts one value, a list each of its items.
            int values = (device.Attributes?.Values ?? []).Sum(a => a is null ? 1 : (a.Ints?.Count ?? 0) + (a.Bools?.Count ?? 0) + (a.Strings?.Count ?? 0) + (a.Versions?.Count ?? 0) is var n and > 0 ? n : 1);
            if (values > MaxAttributeValues)
            {
                Add(at, path, $"{values} attribute values (list elements count one each), more than the {MaxAttributeValues} allowed");
            }

            foreach ((string name, V1DeviceAttribute? value) in device.Attributes ?? new Dictionary<string, V1DeviceAttribute>())
            {
                string where = $"{at}, attribute '{name}'";
                QualifiedName(where, path + ".attributes", name);
                Attribute(where, $"{path}.attributes[{KeyInPath(name)}]", value);
            }

            foreach ((string name, V1DeviceCapacity? capacity) in device.Capacity ?? new Dictionary<string, V1DeviceCapacity>())
            {
                string where = $"{at}, capacity '{name}'";
                string field = $"{path}.capacity[{KeyInPath(name)}]";
                QualifiedName(where, path + ".capacity", name);
                if (capacity?.Value is null)
                {
                    Beyond(where, field + ".value", "Value is required");
                }

                if (capacity?.RequestPolicy is { } policy)
                {
                    if (device.AllowMultipleAllocations != true)
                    {
                        Add(where, field + ".requestPolicy", "RequestPolicy is allowed only when the device sets AllowMultipleAllocations");
                    }
                    else
                    {
                        RequestPolicy(where, field + ".requestPolicy", Dec(capacity.Value) ?? 0, policy);
                    }
                }
            }

            Taints(at, path + ".taints", device.Taints);
            Consumptions(at, path + ".consumesCounters", device.ConsumesCounters, counterSets);
            DeviceNodeSelection(at, path, device, perDeviceNodeSelection);
            BindingConditions(at, path, device);
        }

        private void Attribute(string where, string field, V1DeviceAttribute? value)
        {
            if (value is null)
            {
                Add(where, field, "the value is null; exactly one of IntValue, BoolValue, StringValue or Version must be set");
                return;
            }

            int kinds = (value.IntValue is null ? 0 : 1) + (value.BoolValue is null ? 0 : 1) + (value.StringValue is null ? 0 : 1) + (value.Version is null ? 0 : 1)
                + (value.Ints is null ? 0 : 1) + (value.Bools is null ? 0 : 1) + (value.Strings is null ? 0 : 1) + (value.Versions is null ? 0 : 1);
            if (kinds != 1)
            {
                Add(where, field, $"exactly one of IntValue, BoolValue, StringValue, Version (or a list form) must be set (it has {kinds})");
            }

            if (IsList(value) && !listTypeAttributes)
            {
                // A 1.36 server with the gate off drops the list and answers "exactly one value must be specified".
                Add(where, field, $"a list-type attribute (Ints, Bools, Strings, Versions) needs the {ListTypeAttributesGate} feature gate, which Kubernetes 1.36 has off by default; set ResourceSlicePublisherOptions.ListTypeAttributes when the cluster enables it");
            }

            if (value.StringValue is { } s)
            {
                StringValue(where, field + ".string", s);
            }

            if (value.Version is { } v)
            {
                VersionValue(where, field + ".version", v);
            }

            foreach ((string kind, int? count) in new[] { ("bools", value.Bools?.Count), ("ints", value.Ints?.Count), ("strings", value.Strings?.Count), ("versions", value.Versions?.Count) })
            {
                if (count == 0)
                {
                    Add(where, $"{field}.{kind}", "a list value must not be empty");
                }
            }

            for (int i = 0; i < (value.Strings?.Count ?? 0); i++)
            {
                StringValue(where, Index(field + ".strings", i), value.Strings![i] ?? "");
            }

            for (int i = 0; i < (value.Versions?.Count ?? 0); i++)
            {
                VersionValue(where, Index(field + ".versions", i), value.Versions![i] ?? "");
            }
        }

        private void StringValue(string where, string field, string s)
        {
            if (Bytes(s) > MaxValueLength)
            {
                Add(where, field, $"the string value is {Bytes(s)} bytes long (UTF-8), more than the {MaxValueLength} allowed");
            }
        }

        private void VersionValue(string where, string field, string v)
        {
            if (Bytes(v) > MaxValueLength)
            {
                Add(where, field, $"the version is {Bytes(v)} bytes long, more than the {MaxValueLength} allowed");
            }

            if (!SemVer().IsMatch(v))
            {
                Add(where, field, $"the version '{v}' is not a semantic version (semver.org 2.0.0, e.g. '1.2.3')");
            }
        }

        private void RequestPolicy(string where, string field, decimal capacity, V1CapacityRequestPolicy policy)
        {
            decimal? defaultValue = Dec(policy.DefaultProperty);
            if (policy.ValidValues is { Count: > 0 } && policy.ValidRange is not null)
            {
                Add(where, field, "RequestPolicy may have ValidValues or ValidRange, not both");
            }
            else if (policy.ValidValues is { Count: > 0 } validValues)
            {
                if (defaultValue is not { } d)
                {
                    Add(where, field + ".default", "RequestPolicy.Default is required when ValidValues is set");
                }
                else
                {
                    ValidValues(where, field + ".validValues", d, capacity, validValues);
                }
            }
            else if (policy.ValidRange is { } range)
            {
                if (defaultValue is not { } d)
                {
                    Add(where, field + ".default", "RequestPolicy.Default is required when ValidRange is set");
                }
                else
                {
                    ValidRange(where, field + ".validRange", d, policy.DefaultProperty, capacity, range);
                }
            }
        }

        private void ValidValues(string where, string field, decimal defaultValue, decimal capacity, IList<ResourceQuantity> validValues)
        {
            List<decimal?> options = [.. validValues.Select(Dec)];
            for (int i = 0; i + 1 < options.Count; i++)
            {
                if (options[i] > options[i + 1])
                {
                    Add(where, Index(field, i + 1), $"RequestPolicy.ValidValues must be sorted in ascending order ({validValues[i]} then {validValues[i + 1]})");
                }
            }

            bool foundDefault = false;
            if (options.Count > MaxValidValues)
            {
                Add(where, field, $"{options.Count} ValidValues, more than the {MaxValidValues} allowed");
            }
            else
            {
                // As the API server: duplicates are compared in whole units, rounded up.
                var seen = new HashSet<decimal>();
                for (int i = 0; i < options.Count; i++)
                {
                    if (options[i] is not { } option)
                    {
                        continue;
                    }

                    if (option > capacity)
                    {
                        Add(where, Index(field, i), $"RequestPolicy.ValidValues {validValues[i]} is more than the capacity's Value");
                    }

                    foundDefault |= option == defaultValue;
                    if (!seen.Add(decimal.Ceiling(option)))
                    {
                        Add(where, Index(field, i), $"RequestPolicy.ValidValues has {validValues[i]} more than once");
                    }
                }
            }

            if (!foundDefault)
            {
                Add(where, field, "RequestPolicy.Default is not one of ValidValues");
            }
        }

        private void ValidRange(string where, string field, decimal defaultValue, ResourceQuantity shownDefault, decimal capacity, V1CapacityRequestPolicyRange range)
        {
            if (Dec(range.Min) is not { } min)
            {
                Add(where, field + ".min", "RequestPolicy.ValidRange.Min is required");
                return;
            }

            if (min > capacity)
            {
                Add(where, field + ".min", $"RequestPolicy.ValidRange.Min {range.Min} is more than the capacity's Value");
            }

            if (defaultValue < min)
            {
                Add(where, field + ".default", $"RequestPolicy.Default is less than Min {range.Min}");
            }

            decimal? max = Dec(range.Max);
            if (max is { } m)
            {
                if (min > m)
                {
                    Add(where, field + ".max", $"RequestPolicy.ValidRange.Min {range.Min} is more than Max {range.Max}");
                }

                if (m > capacity)
                {
                    Add(where, field + ".max", $"RequestPolicy.ValidRange.Max {range.Max} is more than the capacity's Value");
                }

                if (defaultValue > m)
                {
                    Add(where, field + ".default", $"RequestPolicy.Default is more than Max {range.Max}");
                }
            }

            if (Dec(range.Step) is not { } step)
            {
                return;
            }

            if (step <= 0)
            {
                Add(where, field + ".step", "RequestPolicy.ValidRange.Step must be greater than zero");
                return;
            }

            if (min + step > capacity)
            {
                Add(where, field + ".step", $"one Step from Min ({range.Min} + {range.Step}) is more than the capacity's Value");
            }

            // As the API server: whole units, rounded up.
            foreach ((string what, decimal value, ResourceQuantity shown) in max is { } top ? new[] { ("Default", defaultValue, shownDefault), ("ValidRange.Max", top, range.Max!) } : [("Default", defaultValue, shownDefault)])
            {
                if ((decimal.Ceiling(value) - decimal.Ceiling(min)) % decimal.Ceiling(step) != 0)
                {
                    Add(where, field + ".step", $"RequestPolicy.{what} {shown} is not Min {range.Min} plus a multiple of Step {range.Step}");
                }
            }
        }

        private void Taints(string at, string field, IList<V1DeviceTaint>? taints)
        {
            if (taints is null)
            {
                return;
            }

            if (taints.Count > MaxTaints)
            {
                Add(at, field, $"{taints.Count} taints, more than the {MaxTaints} allowed");
                return;
            }

            for (int t = 0; t < taints.Count; t++)
            {
                V1DeviceTaint? taint = taints[t];
                string path = Index(field, t);
                string where = $"{at}, taint '{taint?.Key}'";
                if (taint is null)
                {
                    Add(at, path, "a taint is null");
                    continue;
                }

                if (!IsLabelName(taint.Key ?? ""))
                {
                    Add(where, path + ".key", "the key must be a qualified name such as 'example.com/unhealthy'");
                }

                if (!string.IsNullOrEmpty(taint.Value) && !IsLabelValue(taint.Value))
                {
                    Add(where, path + ".value", $"the value '{taint.Value}' must be a label value (at most 63 bytes)");
                }

                if (string.IsNullOrEmpty(taint.Effect))
                {
                    Add(where, path + ".effect", "the effect is required (None, NoSchedule or NoExecute)");
                }
                else if (!TaintEffects.Contains(taint.Effect, StringComparer.Ordinal))
                {
                    Add(where, path + ".effect", $"the effect '{taint.Effect}' must be one of None, NoSchedule, NoExecute");
                }
            }
        }

        private void Consumptions(string at, string field, IList<V1DeviceCounterConsumption>? consumptions, Dictionary<string, V1CounterSet> counterSets)
        {
            if (consumptions is null)
            {
                return;
            }

            if (consumptions.Count > MaxConsumptions)
            {
                Add(at, field, $"consumes counters of {consumptions.Count} counter sets, more than the {MaxConsumptions} allowed");
                return;
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int c = 0; c < consumptions.Count; c++)
            {
                V1DeviceCounterConsumption? consumption = consumptions[c];
                string path = Index(field, c);
                string where = $"{at}, consumption of counter set '{consumption?.CounterSet}'";
                if (consumption is null)
                {
                    Add(at, path, "a counter consumption is null");
                    continue;
                }

                if (string.IsNullOrEmpty(consumption.CounterSet))
                {
                    Add(at, path + ".counterSet", "a counter consumption names no counter set");
                }
                else
                {
                    CheckDnsLabel(where, path + ".counterSet", "the counter set", consumption.CounterSet);
                }

                if (!seen.Add(consumption.CounterSet ?? ""))
                {
                    Add(where, path, "the counter set is consumed more than once");
                }

                Counters(where, path + ".counters", consumption.Counters);
                if (string.IsNullOrEmpty(consumption.CounterSet))
                {
                    continue;
                }

                // Beyond the API server: a device that could never be allocated.
                if (!counterSets.TryGetValue(consumption.CounterSet, out V1CounterSet? set))
                {
                    Beyond(where, path + ".counterSet", $"the pool has no counter set '{consumption.CounterSet}'");
                    continue;
                }

                foreach ((string counter, V1Counter? consumed) in consumption.Counters ?? new Dictionary<string, V1Counter>())
                {
                    if (set.Counters is null || !set.Counters.TryGetValue(counter, out V1Counter? available))
                    {
                        Beyond(where, $"{path}.counters[{counter}]", $"counter set '{consumption.CounterSet}' has no counter '{counter}'");
                    }
                    else if (Dec(consumed?.Value) is { } need && Dec(available?.Value) is { } have && need > have)
                    {
                        Beyond(where, $"{path}.counters[{counter}]", $"consumes {consumed!.Value} of counter '{counter}', more than the {available!.Value} the counter set has: the device could never be allocated");
                    }
                }
            }
        }

        private void DeviceNodeSelection(string at, string path, V1Device device, bool perDeviceNodeSelection)
        {
            if (!perDeviceNodeSelection)
            {
                if (device.NodeName is not null || device.NodeSelector is not null || device.AllNodes is not null)
                {
                    Add(at, path, "NodeName, NodeSelector and AllNodes may only be set on a device of a slice with PerDeviceNodeSelection");
                }

                return;
            }

            int selections = 0;
            if (device.NodeName is { } nodeName)
            {
                if (nodeName.Length == 0)
                {
                    Add(at, path + ".nodeName", "NodeName must not be empty (leave it null)");
                }
                else
                {
                    selections++;
                    if (!IsSubdomain(nodeName))
                    {
                        Add(at, path + ".nodeName", $"NodeName '{nodeName}' is not a DNS subdomain of at most 253 bytes");
                    }
                }
            }

            if (device.NodeSelector is { } selector)
            {
                selections++;
                NodeSelector($"{at}, NodeSelector", path + ".nodeSelector", selector);
            }

            if (device.AllNodes is { } allNodes)
            {
                if (allNodes)
                {
                    selections++;
                }
                else
                {
                    Add(at, path + ".allNodes", "AllNodes must be true or null, not false");
                }
            }

            if (selections != 1)
            {
                Add(at, path, $"with PerDeviceNodeSelection every device needs exactly one of NodeName, NodeSelector or AllNodes (it has {selections})");
            }
        }

        private void BindingConditions(string at, string path, V1Device device)
        {
            List<string> binding = [.. device.BindingConditions ?? []];
            List<string> failure = [.. device.BindingFailureConditions ?? []];
            foreach ((string field, string what, List<string> list) in new[] { (path + ".bindingConditions", "binding conditions", binding), (path + ".bindingFailureConditions", "binding failure conditions", failure) })
            {
                if (list.Count > MaxBindingConditions)
                {
                    Add(at, field, $"{list.Count} {what}, more than the {MaxBindingConditions} allowed");
                }
                else
                {
                    for (int k = 0; k < list.Count; k++)
                    {
                        if (!IsLabelName(list[k] ?? ""))
                        {
                            Add(at, Index(field, k), $"binding condition '{list[k]}' is not a label name (an optional DNS subdomain and '/', then at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character)");
                        }
                    }
                }

                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (int k = 0; k < list.Count; k++)
                {
                    if (!seen.Add(list[k] ?? ""))
                    {
                        Add(at, Index(field, k), $"'{list[k]}' appears more than once in the {what}");
                    }

                    if (list == failure && binding.Contains(list[k], StringComparer.Ordinal))
                    {
                        Add(at, Index(field, k), $"'{list[k]}' is both a binding condition and a binding failure condition");
                    }
                }
            }

            // As the API server: neither list without the other.
            if (binding.Count > 0 && failure.Count == 0)
            {
                Add(at, path + ".bindingFailureConditions", "binding conditions need binding failure conditions too (the API server requires them)");
            }

            if (failure.Count > 0 && binding.Count == 0)
            {
                Add(at, path + ".bindingConditions", "binding failure conditions need binding conditions too (the API server requires them)");
            }
        }

        private void NodeSelector(string where, string path, V1NodeSelector selector)
        {
            if (selector.NodeSelectorTerms is not { Count: > 0 } terms)
            {
                Add(where, path + ".nodeSelectorTerms", "at least one node selector term is required");
                return;
            }

            for (int i = 0; i < terms.Count; i++)
            {
                string term = Index(path + ".nodeSelectorTerms", i);
                IList<V1NodeSelectorRequirement> expressions = terms[i]?.MatchExpressions ?? [];
                for (int j = 0; j < expressions.Count; j++)
                {
                    Requirement($"{where}, term {i}, expression {j}", Index(term + ".matchExpressions", j), expressions[j] ?? new V1NodeSelectorRequirement());
                }

                IList<V1NodeSelectorRequirement> fields = terms[i]?.MatchFields ?? [];
                for (int j = 0; j < fields.Count; j++)
                {
                    FieldRequirement($"{where}, term {i}, field {j}", Index(term + ".matchFields", j), fields[j] ?? new V1NodeSelectorRequirement());
                }
            }
        }

        private void Requirement(string where, string path, V1NodeSelectorRequirement requirement)
        {
            IList<string> values = requirement.Values ?? [];
            switch (requirement.OperatorProperty)
            {
                case "In" or "NotIn":
                    if (values.Count == 0)
                    {
                        Add(where, path + ".values", $"operator {requirement.OperatorProperty} needs at least one value");
                    }

                    break;
                case "Exists" or "DoesNotExist":
                    if (values.Count > 0)
                    {
                        Add(where, path + ".values", $"operator {requirement.OperatorProperty} takes no values");
                    }

                    break;
                case "Gt" or "Lt":
                    if (values.Count != 1)
                    {
                        Add(where, path + ".values", $"operator {requirement.OperatorProperty} takes exactly one value");
                    }

                    break;
                default:
                    Add(where, path + ".operator", $"'{requirement.OperatorProperty}' is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt");
                    break;
            }

            if (!IsLabelName(requirement.Key ?? ""))
            {
                Add(where, path + ".key", $"the key '{requirement.Key}' is not a label name");
            }

            for (int k = 0; k < values.Count; k++)
            {
                if (!IsLabelValue(values[k] ?? ""))
                {
                    Add(where, Index(path + ".values", k), $"the value '{values[k]}' is not a label value (at most 63 bytes)");
                }
            }
        }

        private void FieldRequirement(string where, string path, V1NodeSelectorRequirement requirement)
        {
            IList<string> values = requirement.Values ?? [];
            if (requirement.OperatorProperty is "In" or "NotIn")
            {
                if (values.Count != 1)
                {
                    Add(where, path + ".values", $"a field requirement with operator {requirement.OperatorProperty} takes exactly one value");
                }
            }
            else
            {
                Add(where, path + ".operator", $"a field requirement's operator must be In or NotIn, not '{requirement.OperatorProperty}'");
            }

            if (requirement.Key != "metadata.name")
            {
                Add(where, path + ".key", $"a field requirement's key must be metadata.name, not '{requirement.Key}'");
                return;
            }

            for (int k = 0; k < values.Count; k++)
            {
                if (!IsSubdomain(values[k] ?? ""))
                {
                    Add(where, Index(path + ".values", k), $"the node name '{values[k]}' is not a DNS subdomain");
                }
            }
        }

        private void Counters(string where, string field, IDictionary<string, V1Counter>? counters)
        {
            if (counters is null || counters.Count == 0)
            {
                Add(where, field, "at least one counter is required");
                return;
            }

            if (counters.Count > MaxCountersPerSet)
            {
                Add(where, field, $"{counters.Count} counters, more than the {MaxCountersPerSet} allowed");
                return;
            }

            foreach ((string name, V1Counter? counter) in counters)
            {
                CheckDnsLabel(where, field, $"counter '{name}'", name);
                if (counter?.Value is null)
                {
                    Beyond($"{where}, counter '{name}'", $"{field}[{name}].value", "Value is required");
                }
            }
        }

        /// <summary>An attribute or capacity name: a C identifier of at most 32 bytes, optionally after a domain and '/'.</summary>
        private void QualifiedName(string where, string field, string name)
        {
            string[] parts = name.Split('/');
            if (parts.Length > 2)
            {
                // kube-apiserver 1.36 does not check such a name; the API documents it as invalid.
                Beyond(where, field, $"the name '{name}' has more than one '/'; it must be a C identifier, optionally after a domain and one '/'");
                return;
            }

            if (parts.Length == 2)
            {
                string domain = parts[0];
                if (domain.Length == 0)
                {
                    Add(where, field, "the domain before '/' must not be empty");
                }
                else if (Bytes(domain) > MaxDomainLength)
                {
                    Add(where, field, $"the domain '{domain}' is {Bytes(domain)} bytes long, more than the {MaxDomainLength} allowed");
                }
                else if (!DnsSubdomain().IsMatch(domain.ToLowerInvariant()))
                {
                    // The API server accepts upper case in the domain (Example.com/model).
                    Add(where, field, $"the domain '{domain}' is not a DNS subdomain");
                }
            }

            string id = parts[^1];
            if (Bytes(id) > MaxIdLength)
            {
                Add(where, field, $"the name '{id}' is {Bytes(id)} bytes long, more than the {MaxIdLength} allowed");
            }
            else if (!CIdentifier().IsMatch(id))
            {
                Add(where, field, $"the name '{id}' must be a C identifier (a letter or '_', then letters, digits or '_'), optionally after a domain and '/'");
            }
        }

        private void CheckDnsLabel(string where, string field, string what, string value)
        {
            if (!IsDnsLabel(value))
            {
                Add(where, field, $"{what} '{value}' must be a DNS label (at most 63 lower case alphanumeric characters or '-', starting and ending with an alphanumeric character)");
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex LabelNamePart();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    internal static partial Regex DnsSubdomain();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex CIdentifier();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    [GeneratedRegex("^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$")]
    private static partial Regex SemVer();
}
