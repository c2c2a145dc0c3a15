using k8s.Models;

namespace DraSdk.Allocation.Internal;

/// <summary>A resource pool as seen from one node.</summary>
internal sealed class Pool
{
    public required string Driver { get; init; }
    public required string Name { get; init; }
    public bool IsIncomplete { get; init; }
    public bool IsInvalid { get; init; }
    public string? InvalidReason { get; init; }

    /// <summary>Slices with devices that are available on the node, sorted by name.</summary>
    public List<V1ResourceSlice> Slices { get; init; } = [];

    /// <summary>Other slices of the pool whose devices may consume the pool's counters.</summary>
    public List<V1ResourceSlice> OtherSlices { get; init; } = [];

    /// <summary>Counter set name → counter name → value.</summary>
    public Dictionary<string, Dictionary<string, decimal>> CounterSets { get; init; } = new(StringComparer.Ordinal);

    public bool HasBindingConditions { get; init; }

    public string Id => $"{Driver}/{Name}";
}

/// <summary>All slices and classes, indexed once per allocator.</summary>
internal sealed class ClusterIndex
{
    public ClusterIndex(IEnumerable<V1DeviceClass> classes, IEnumerable<V1ResourceSlice> slices)
    {
        foreach (var c in classes)
        {
            if (c?.Metadata?.Name is { } name)
            {
                Classes[name] = c;
            }
        }
        foreach (var slice in slices)
        {
            if (slice?.Spec?.Pool is null || slice.Spec.Driver is null)
            {
                continue;
            }
            AllSlices.Add(slice);
            var key = (slice.Spec.Driver, slice.Spec.Pool.Name ?? "");
            if (!SlicesByPool.TryGetValue(key, out var poolSlices))
            {
                SlicesByPool[key] = poolSlices = [];
            }
            poolSlices.Add(slice);
            if (string.IsNullOrEmpty(slice.Spec.NodeName))
            {
                SharedSlices.Add(slice);
            }
            else
            {
                if (!SlicesOnNode.TryGetValue(slice.Spec.NodeName, out var onNode))
                {
                    SlicesOnNode[slice.Spec.NodeName] = onNode = [];
                }
                onNode.Add(slice);
            }
        }
    }

    public Dictionary<string, V1DeviceClass> Classes { get; } = new(StringComparer.Ordinal);
    public List<V1ResourceSlice> AllSlices { get; } = [];
    public List<V1ResourceSlice> SharedSlices { get; } = [];
    public Dictionary<string, List<V1ResourceSlice>> SlicesOnNode { get; } = new(StringComparer.Ordinal);
    public Dictionary<(string Driver, string Pool), List<V1ResourceSlice>> SlicesByPool { get; } = [];

    public IEnumerable<V1ResourceSlice> SlicesFor(AllocationNode node) =>
        SlicesOnNode.TryGetValue(node.Name, out var onNode) ? onNode.Concat(SharedSlices) : SharedSlices;

    /// <summary>
    /// Collects the pools with devices available on the node: current generation only, with
    /// completeness and validity recorded, sorted by driver and pool name, slices by name.
    /// Pools with binding conditions come last when that feature is on.
    /// </summary>
    public List<Pool> GatherPools(AllocationNode node, AllocatorFeatures features)
    {
        var partitionable = features.HasFlag(AllocatorFeatures.PartitionableDevices);
        var byPool = new Dictionary<(string, string), List<V1ResourceSlice>>();
        foreach (var slice in SlicesFor(node))
        {
            var spec = slice.Spec;
            var hasCounters = spec.SharedCounters is { Count: > 0 };
            if (!partitionable && (spec.PerDeviceNodeSelection is not null || hasCounters))
            {
                continue;
            }
            bool include;
            if (hasCounters)
            {
                include = true;
            }
            else if (NodeSelectors.IsNodeLocal(spec.NodeName, spec.AllNodes == true, spec.NodeSelector))
            {
                include = NodeSelectors.Matches(node, spec.NodeName, spec.AllNodes == true, spec.NodeSelector);
            }
            else if (spec.PerDeviceNodeSelection == true)
            {
                include = (spec.Devices ?? []).Any(d => d is not null && NodeSelectors.Matches(node, d.NodeName, d.AllNodes == true, d.NodeSelector));
            }
            else
            {
                // Nothing known is set: some future extension, skip it.
                include = false;
            }
            if (include)
            {
                AddSlice(byPool, slice);
            }
        }

        var pools = new List<Pool>(byPool.Count);
        foreach (var ((driver, poolName), slices) in byPool)
        {
            var generation = slices[0].Spec.Pool.Generation;
            var expected = slices[0].Spec.Pool.ResourceSliceCount;
            if (slices.Count == expected)
            {
                pools.Add(BuildPool(driver, poolName, slices, features, null, node));
                continue;
            }
            var all = SlicesByPool[(driver, poolName)];
            if (all.Any(s => s.Spec.Pool.Generation > generation))
            {
                // The driver is replacing this generation; ignore the old one.
                continue;
            }
            var current = all.Where(s => s.Spec.Pool.Generation == generation).ToList();
            if (current.Count != expected)
            {
                pools.Add(new Pool { Driver = driver, Name = poolName, IsIncomplete = true });
                continue;
            }
            pools.Add(BuildPool(driver, poolName, slices, features, current, node));
        }

        var bindingLast = features.HasFlag(AllocatorFeatures.DeviceBindingAndStatus);
        pools.Sort((a, b) =>
        {
            if (bindingLast && a.HasBindingConditions != b.HasBindingConditions)
            {
                return a.HasBindingConditions ? 1 : -1;
            }
            var c = string.CompareOrdinal(a.Driver, b.Driver);
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });
        return pools;
    }

    private static void AddSlice(Dictionary<(string, string), List<V1ResourceSlice>> pools, V1ResourceSlice slice)
    {
        var key = (slice.Spec.Driver, slice.Spec.Pool.Name ?? "");
        if (!pools.TryGetValue(key, out var slices))
        {
            pools[key] = [slice];
            return;
        }
        var generation = slices[0].Spec.Pool.Generation;
        if (slice.Spec.Pool.Generation < generation)
        {
            return;
        }
        if (slice.Spec.Pool.Generation > generation)
        {
            slices.Clear();
        }
        slices.Add(slice);
    }

    private static Pool BuildPool(string driver, string name, List<V1ResourceSlice> slices, AllocatorFeatures features,
        List<V1ResourceSlice>? allSlices, AllocationNode node)
    {
        var partitionable = features.HasFlag(AllocatorFeatures.PartitionableDevices);
        var deviceSlices = new List<V1ResourceSlice>();
        var counterSlices = new List<V1ResourceSlice>();
        foreach (var slice in slices)
        {
            if (partitionable && slice.Spec.SharedCounters is { Count: > 0 })
            {
                counterSlices.Add(slice);
                // A slice that also lists devices (the 1.34 layout) offers them like any other slice.
                if (slice.Spec.Devices is { Count: > 0 } &&
                    (!NodeSelectors.IsNodeLocal(slice.Spec.NodeName, slice.Spec.AllNodes == true, slice.Spec.NodeSelector) ||
                     NodeSelectors.Matches(node, slice.Spec.NodeName, slice.Spec.AllNodes == true, slice.Spec.NodeSelector)))
                {
                    deviceSlices.Add(slice);
                }
            }
            else
            {
                deviceSlices.Add(slice);
            }
        }
        deviceSlices.Sort((a, b) => string.CompareOrdinal(a.Metadata?.Name, b.Metadata?.Name));
        var hasBinding = deviceSlices.Any(s => (s.Spec.Devices ?? []).Any(d => d?.BindingConditions is { Count: > 0 }));

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var slice in deviceSlices)
        {
            foreach (var device in slice.Spec.Devices ?? [])
            {
                if (!names.Add(device.Name))
                {
                    return Invalid($"duplicate device name {device.Name}");
                }
            }
        }
        if (!partitionable)
        {
            return new Pool { Driver = driver, Name = name, Slices = deviceSlices, HasBindingConditions = hasBinding };
        }

        var counterSets = new Dictionary<string, Dictionary<string, decimal>>(StringComparer.Ordinal);
        foreach (var slice in counterSlices)
        {
            foreach (var set in slice.Spec.SharedCounters)
            {
                if (counterSets.ContainsKey(set.Name))
                {
                    return Invalid($"duplicate counter set name {set.Name}");
                }
                counterSets[set.Name] = (set.Counters ?? new Dictionary<string, V1Counter>())
                    .ToDictionary(kv => kv.Key, kv => kv.Value?.Value?.ToDecimal() ?? 0, StringComparer.Ordinal);
            }
        }
        if (ValidateConsumption(counterSets, deviceSlices) is { } error)
        {
            return Invalid(error);
        }
        var others = new List<V1ResourceSlice>();
        if (allSlices is not null)
        {
            var seen = new HashSet<V1ResourceSlice>(slices, ReferenceEqualityComparer.Instance);
            others.AddRange(allSlices.Where(s => !seen.Contains(s) && s.Spec.Devices is { Count: > 0 }));
            if (ValidateConsumption(counterSets, others) is { } otherError)
            {
                return Invalid(otherError);
            }
        }
        return new Pool
        {
            Driver = driver,
            Name = name,
            Slices = deviceSlices,
            OtherSlices = others,
            CounterSets = counterSets,
            HasBindingConditions = hasBinding,
        };

        Pool Invalid(string reason) => new() { Driver = driver, Name = name, IsInvalid = true, InvalidReason = reason };
    }

    private static string? ValidateConsumption(Dictionary<string, Dictionary<string, decimal>> counterSets, List<V1ResourceSlice> slices)
    {
        foreach (var slice in slices)
        {
            foreach (var device in slice.Spec.Devices ?? [])
            {
                foreach (var consumption in device.ConsumesCounters ?? [])
                {
                    if (!counterSets.TryGetValue(consumption.CounterSet ?? "", out var set))
                    {
                        return $"counter set {consumption.CounterSet} not found";
                    }
                    foreach (var counter in consumption.Counters?.Keys ?? [])
                    {
                        if (!set.ContainsKey(counter))
                        {
                            return $"counter {counter} not found in counter set {consumption.CounterSet}";
                        }
                    }
                }
            }
        }
        return null;
    }
}
