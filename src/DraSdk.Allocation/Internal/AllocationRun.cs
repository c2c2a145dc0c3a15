using k8s.Models;

namespace DraSdk.Allocation.Internal;

/// <summary>
/// One call of <see cref="Allocator.Allocate"/>: a depth-first search over claims, requests,
/// subrequests and device slots. Devices are tried in pool order (driver, pool name), slice
/// order (name) and device order; within a request only combinations are tried, never
/// permutations. Every placement can be undone; the first complete solution wins.
/// </summary>
internal sealed class AllocationRun
{
    private enum Step
    {
        Done,
        NotFound,
        TooMany,
    }

    private readonly Allocator _allocator;
    private readonly AllocatorFeatures _features;
    private readonly AllocationNode _node;
    private readonly IReadOnlyList<Resourcev1ResourceClaim> _claims;
    private readonly string[] _claimNames;
    private readonly string[] _claimOwners;
    private readonly AllocatedState _allocated;
    private readonly CancellationToken _cancellationToken;
    private readonly bool _consumable;
    private readonly bool _partitionable;
    private readonly bool _taints;
    private readonly bool _binding;

    private List<Pool> _pools = [];
    private RequestData[][][] _requests = [];
    private int[][] _selectedSub = [];
    private Constraint[][] _constraints = [];
    private List<Placement>[] _results = [];

    // Devices being allocated in this run: device → claims using it exclusively.
    private readonly Dictionary<DeviceId, List<int>> _allocating = [];
    private readonly Dictionary<DeviceId, Dictionary<string, decimal>> _allocatingCapacity = [];
    private readonly Dictionary<Pool, Dictionary<string, Dictionary<string, decimal>>> _available = [];
    private readonly Dictionary<Pool, Dictionary<string, Dictionary<string, decimal>>> _consumedCounters = [];
    private readonly Dictionary<DeviceId, int> _allocatingShares = [];
    private readonly HashSet<string> _newShareIds = new(StringComparer.Ordinal);

    public AllocationRun(Allocator allocator, AllocationNode node, IReadOnlyList<Resourcev1ResourceClaim> claims,
        AllocatedState allocated, CancellationToken cancellationToken)
    {
        _allocator = allocator;
        _features = allocator.Features;
        _node = node;
        _claims = claims;
        _claimNames = claims.Select(RequestReader.ClaimName).ToArray();
        _claimOwners = _claimNames.Select(n => "claim " + n).ToArray();
        _allocated = allocated;
        _cancellationToken = cancellationToken;
        _consumable = _features.HasFlag(AllocatorFeatures.ConsumableCapacity);
        _partitionable = _features.HasFlag(AllocatorFeatures.PartitionableDevices);
        _taints = _features.HasFlag(AllocatorFeatures.DeviceTaints);
        _binding = _features.HasFlag(AllocatorFeatures.DeviceBindingAndStatus);
    }

    /// <summary>How many search steps the run took.</summary>
    public long Steps { get; private set; }

    internal List<Pool> Pools => _pools;

    internal RequestData[][][] Requests => _requests;

    /// <summary>Reads and checks the claims, and gathers the pools for the node.</summary>
    public void Prepare()
    {
        _pools = _allocator.PoolsFor(_node);
        _requests = new RequestData[_claims.Count][][];
        _selectedSub = new int[_claims.Count][];
        _constraints = new Constraint[_claims.Count][];
        _results = new List<Placement>[_claims.Count];
        for (var c = 0; c < _claims.Count; c++)
        {
            var claim = _claims[c];
            var requests = RequestReader.Read(claim, _allocator.Index, _features);
            var minDevices = 0;
            foreach (var subs in requests)
            {
                foreach (var rd in subs.Where(s => s.All))
                {
                    GatherAll(c, rd);
                }
                minDevices += subs.Min(s => s.NumDevices);
            }
            if (minDevices > RequestReader.MaxResults)
            {
                throw new AllocationException($"claim {_claimNames[c]}: number of requested devices {minDevices} exceeds the claim limit of {RequestReader.MaxResults}") { Claim = _claimNames[c] };
            }
            _requests[c] = requests;
            _selectedSub[c] = new int[requests.Length];
            _results[c] = new List<Placement>(minDevices);
            _constraints[c] = ReadConstraints(c, claim);
        }
    }

    private Constraint[] ReadConstraints(int c, Resourcev1ResourceClaim claim)
    {
        var constraints = claim.Spec?.Devices?.Constraints ?? [];
        var lists = _features.HasFlag(AllocatorFeatures.ListTypeAttributes);
        // distinctAttribute is known to the allocator variants that come with the newer features.
        var distinctKnown = (_features & (AllocatorFeatures.DeviceBindingAndStatus | AllocatorFeatures.ConsumableCapacity | AllocatorFeatures.ListTypeAttributes)) != 0;
        var result = new Constraint[constraints.Count];
        for (var i = 0; i < constraints.Count; i++)
        {
            var constraint = constraints[i];
            if (!string.IsNullOrEmpty(constraint.MatchAttribute))
            {
                result[i] = new MatchAttributeConstraint(constraint.Requests, constraint.MatchAttribute, lists);
            }
            else if (!string.IsNullOrEmpty(constraint.DistinctAttribute) && distinctKnown)
            {
                result[i] = new DistinctAttributeConstraint(constraint.Requests, constraint.DistinctAttribute, lists);
            }
            else
            {
                throw new AllocationException($"claim {_claimNames[c]}, constraint #{i}: empty constraint (unsupported constraint type?)") { Claim = _claimNames[c] };
            }
        }
        return result;
    }

    private void GatherAll(int c, RequestData rd)
    {
        var devices = new List<Candidate>();
        foreach (var pool in _pools)
        {
            if (pool.IsIncomplete)
            {
                throw new AllocationException($"claim {_claimNames[c]}, request {rd.FullName}: asks for all devices, but resource pool {pool.Id} is currently being updated") { Claim = _claimNames[c] };
            }
            if (pool.IsInvalid)
            {
                throw new AllocationException($"claim {_claimNames[c]}, request {rd.FullName}: asks for all devices, but resource pool {pool.Id} is currently invalid") { Claim = _claimNames[c] };
            }
            foreach (var slice in pool.Slices)
            {
                foreach (var device in slice.Spec.Devices ?? [])
                {
                    var candidate = new Candidate(new DeviceId(pool.Driver, pool.Name, device.Name), device, slice, pool);
                    if (!IsSelectable(c, rd, candidate))
                    {
                        continue;
                    }
                    if (_consumable && CheckCapacity(rd, candidate) != CapacityMath.Fit.Fits)
                    {
                        continue;
                    }
                    devices.Add(candidate);
                }
            }
        }
        rd.AllDevices = devices;
        rd.NumDevices = devices.Count;
    }

    /// <summary>Runs the search. Returns the results per claim, or null when the claims do not fit.</summary>
    public IReadOnlyList<V1AllocationResult>? Run()
    {
        var step = AllocateOne(0, 0, 0, 0, false, default);
        if (step != Step.Done)
        {
            if (_pools.FirstOrDefault(p => p.IsInvalid) is { } invalid)
            {
                throw new AllocationException($"invalid resource pools were encountered: {invalid.Id}: {invalid.InvalidReason}", nodeLocal: true);
            }
            return null;
        }
        return BuildResults();
    }

    private readonly record struct Location(int Pool, int Slice, int Device);

    private Step AllocateOne(int c, int r, int s, int d, bool inSub, Location start)
    {
        Steps++;
        _cancellationToken.ThrowIfCancellationRequested();
        if (c >= _claims.Count)
        {
            return Step.Done;
        }
        var claimRequests = _requests[c];
        if (r >= claimRequests.Length)
        {
            var next = AllocateOne(c + 1, 0, 0, 0, false, default);
            // Too many results for a later claim is not final: another choice here might pick
            // a subrequest there that needs fewer devices.
            return next == Step.TooMany ? Step.NotFound : next;
        }
        var subs = claimRequests[r];
        var rd = subs[s];
        if (!inSub && rd.Parent is not null)
        {
            var allTooMany = true;
            for (var si = 0; si < subs.Length; si++)
            {
                var attempt = AllocateOne(c, r, si, 0, true, default);
                if (attempt == Step.TooMany)
                {
                    continue;
                }
                allTooMany = false;
                if (attempt == Step.Done)
                {
                    _selectedSub[c][r] = si;
                    return Step.Done;
                }
            }
            return allTooMany ? Step.TooMany : Step.NotFound;
        }

        if (rd.All && rd.AllDevices!.Count == 0)
        {
            // All needs at least one device.
            return Step.NotFound;
        }
        if (d >= rd.NumDevices)
        {
            return AllocateOne(c, r + 1, 0, 0, false, default);
        }
        if (_results[c].Count + rd.NumDevices - d > RequestReader.MaxResults)
        {
            return Step.TooMany;
        }

        if (rd.All)
        {
            var placement = TryPlace(c, rd, rd.AllDevices![d], must: true);
            if (placement is null)
            {
                return Step.NotFound;
            }
            var result = AllocateOne(c, r, s, d + 1, inSub, default);
            if (result != Step.Done)
            {
                Undo(placement);
            }
            return result;
        }

        for (var p = start.Pool; p < _pools.Count; p++)
        {
            var pool = _pools[p];
            if (pool.IsIncomplete || pool.IsInvalid)
            {
                continue;
            }
            for (var sl = p == start.Pool ? start.Slice : 0; sl < pool.Slices.Count; sl++)
            {
                var slice = pool.Slices[sl];
                var devices = slice.Spec.Devices ?? [];
                for (var dv = p == start.Pool && sl == start.Slice ? start.Device : 0; dv < devices.Count; dv++)
                {
                    var device = devices[dv];
                    var candidate = new Candidate(new DeviceId(pool.Driver, pool.Name, device.Name), device, slice, pool);
                    if (rd.AdminAccess ? AllocatingForClaim(candidate.Id, c) : InUse(candidate.Id))
                    {
                        continue;
                    }
                    if (!IsSelectable(c, rd, candidate))
                    {
                        continue;
                    }
                    if (_consumable && CheckCapacity(rd, candidate) != CapacityMath.Fit.Fits)
                    {
                        continue;
                    }
                    var placement = TryPlace(c, rd, candidate, must: false);
                    if (placement is null)
                    {
                        continue;
                    }
                    var result = AllocateOne(c, r, s, d + 1, inSub, new Location(p, sl, dv + 1));
                    if (result == Step.Done)
                    {
                        return Step.Done;
                    }
                    Undo(placement);
                    if (result == Step.TooMany)
                    {
                        return result;
                    }
                }
            }
        }
        return Step.NotFound;
    }

    internal bool IsSelectable(int c, RequestData rd, Candidate candidate)
    {
        var device = candidate.Device;
        if (!_binding && device.BindingConditions is { Count: > 0 })
        {
            return false;
        }
        try
        {
            if (!_allocator.Selectors.Matches(rd.Class.Spec?.Selectors, device, candidate.Id, rd.ClassOwner, _cancellationToken) ||
                !_allocator.Selectors.Matches(rd.Selectors, device, candidate.Id, _claimOwners[c], _cancellationToken))
            {
                return false;
            }
        }
        catch (AllocationException e) when (e.Claim is null)
        {
            throw new AllocationException(e.Message, e) { Claim = _claimNames[c] };
        }
        if (candidate.Slice.Spec.PerDeviceNodeSelection == true &&
            !NodeSelectors.Matches(_node, device.NodeName, device.AllNodes == true, device.NodeSelector))
        {
            return false;
        }
        return true;
    }

    internal CapacityMath.Fit CheckCapacity(RequestData rd, Candidate candidate) =>
        CapacityMath.Check(candidate.Device, rd.Capacity, _allocated.ConsumedCapacity(candidate.Id),
            _allocatingCapacity.GetValueOrDefault(candidate.Id));

    internal bool InUse(DeviceId id) => _allocated.IsAllocated(id) || (_allocating.TryGetValue(id, out var claims) && claims.Count > 0);

    private bool AllocatingForClaim(DeviceId id, int claim) => _allocating.TryGetValue(id, out var claims) && claims.Contains(claim);

    private bool CapacityInUse(DeviceId id) => _allocated.HasShares(id) || _allocatingCapacity.ContainsKey(id);

    internal static bool TaintBlocks(V1Device device, IList<V1DeviceToleration>? tolerations)
    {
        foreach (var taint in device.Taints ?? [])
        {
            if (taint.Effect is not ("NoSchedule" or "NoExecute"))
            {
                continue;
            }
            if (!(tolerations ?? []).Any(t => Tolerates(t, taint)))
            {
                return true;
            }
        }
        return false;
    }

    private static bool Tolerates(V1DeviceToleration toleration, V1DeviceTaint taint)
    {
        if (!string.IsNullOrEmpty(toleration.Key) && toleration.Key != taint.Key)
        {
            return false;
        }
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect)
        {
            return false;
        }
        return toleration.OperatorProperty switch
        {
            "Exists" => true,
            null or "" or "Equal" => (toleration.Value ?? "") == (taint.Value ?? ""),
            _ => false,
        };
    }

    private sealed class Placement
    {
        public required int Claim { get; init; }
        public required RequestData Request { get; init; }
        public required Candidate Candidate { get; init; }
        public bool Exclusive { get; init; }
        public bool CountersTaken { get; init; }
        public Dictionary<string, ResourceQuantity>? Consumed { get; init; }
        public string? ShareId { get; init; }
    }

    private Placement? TryPlace(int c, RequestData rd, Candidate candidate, bool must)
    {
        var device = candidate.Device;
        var id = candidate.Id;
        var multi = _consumable && device.AllowMultipleAllocations == true;
        if (!multi && rd.AdminAccess && AllocatingForClaim(id, c))
        {
            return null;
        }
        if (!rd.AdminAccess && InUse(id))
        {
            return null;
        }
        var consumes = device.ConsumesCounters is { Count: > 0 };
        if (!_partitionable && consumes)
        {
            return null;
        }
        if (_taints && TaintBlocks(device, rd.Tolerations))
        {
            return null;
        }
        if (_consumable && CheckCapacity(rd, candidate) != CapacityMath.Fit.Fits)
        {
            return null;
        }
        var takeCounters = consumes && !(multi && CapacityInUse(id));
        if (takeCounters && !TakeCounters(candidate))
        {
            return null;
        }
        var constraints = _constraints[c];
        for (var i = 0; i < constraints.Length; i++)
        {
            if (constraints[i].Add(rd.Name, rd.Parent, device, id.Driver))
            {
                continue;
            }
            for (var j = i - 1; j >= 0; j--)
            {
                constraints[j].Remove(rd.Name, rd.Parent);
            }
            if (takeCounters)
            {
                ReleaseCounters(candidate);
            }
            if (must)
            {
                throw new AllocationException($"claim {_claimNames[c]}, request {rd.FullName}: cannot add device {id} because a claim constraint would not be satisfied") { Claim = _claimNames[c] };
            }
            return null;
        }

        if (!multi)
        {
            if (!_allocating.TryGetValue(id, out var claims))
            {
                _allocating[id] = claims = [];
            }
            claims.Add(c);
        }
        Dictionary<string, ResourceQuantity>? consumed = null;
        string? shareId = null;
        if (multi)
        {
            consumed = CapacityMath.Consumed(device, rd.Capacity);
            shareId = NewShareId(id);
            if (!_allocatingCapacity.TryGetValue(id, out var allocating))
            {
                _allocatingCapacity[id] = allocating = new Dictionary<string, decimal>(StringComparer.Ordinal);
            }
            _allocatingShares[id] = _allocatingShares.GetValueOrDefault(id) + 1;
            foreach (var (name, quantity) in consumed)
            {
                allocating[name] = allocating.GetValueOrDefault(name) + quantity.ToDecimal();
            }
        }
        var placement = new Placement
        {
            Claim = c,
            Request = rd,
            Candidate = candidate,
            Exclusive = !multi,
            CountersTaken = takeCounters,
            Consumed = consumed,
            ShareId = shareId,
        };
        _results[c].Add(placement);
        return placement;
    }

    private void Undo(Placement placement)
    {
        var c = placement.Claim;
        var constraints = _constraints[c];
        for (var i = constraints.Length - 1; i >= 0; i--)
        {
            constraints[i].Remove(placement.Request.Name, placement.Request.Parent);
        }
        var id = placement.Candidate.Id;
        if (placement.Exclusive)
        {
            var claims = _allocating[id];
            claims.RemoveAt(claims.LastIndexOf(c));
        }
        if (placement.Consumed is not null)
        {
            var allocating = _allocatingCapacity[id];
            foreach (var (name, quantity) in placement.Consumed)
            {
                allocating[name] -= quantity.ToDecimal();
            }
            if (--_allocatingShares[id] == 0)
            {
                _allocatingShares.Remove(id);
                _allocatingCapacity.Remove(id);
            }
        }
        if (placement.ShareId is not null)
        {
            _newShareIds.Remove(placement.ShareId);
        }
        if (placement.CountersTaken)
        {
            ReleaseCounters(placement.Candidate);
        }
        var results = _results[c];
        results.RemoveAt(results.Count - 1);
    }

    private string NewShareId(DeviceId id)
    {
        while (true)
        {
            var shareId = _allocator.ShareIdGenerator();
            if (!_allocated.HasShareId(id, shareId) && _newShareIds.Add(shareId))
            {
                return shareId;
            }
        }
    }

    internal Dictionary<string, Dictionary<string, decimal>> AvailableCounters(Pool pool)
    {
        if (_available.TryGetValue(pool, out var available))
        {
            return available;
        }
        available = pool.CounterSets.ToDictionary(
            kv => kv.Key,
            kv => new Dictionary<string, decimal>(kv.Value, StringComparer.Ordinal),
            StringComparer.Ordinal);
        foreach (var slice in pool.Slices.Concat(pool.OtherSlices))
        {
            foreach (var device in slice.Spec.Devices ?? [])
            {
                if (device.ConsumesCounters is not { Count: > 0 } ||
                    !_allocated.IsAllocatedAnyWay(new DeviceId(pool.Driver, pool.Name, device.Name)))
                {
                    continue;
                }
                foreach (var consumption in device.ConsumesCounters)
                {
                    if (!available.TryGetValue(consumption.CounterSet ?? "", out var set))
                    {
                        continue;
                    }
                    foreach (var (name, counter) in consumption.Counters ?? new Dictionary<string, V1Counter>())
                    {
                        if (set.TryGetValue(name, out var value))
                        {
                            set[name] = value - (counter?.Value?.ToDecimal() ?? 0);
                        }
                    }
                }
            }
        }
        _available[pool] = available;
        return available;
    }

    /// <summary>Whether the device's counters fit into what is left, without taking them.</summary>
    internal bool CountersFit(Candidate candidate)
    {
        if (!TakeCounters(candidate))
        {
            return false;
        }
        ReleaseCounters(candidate);
        return true;
    }

    private bool TakeCounters(Candidate candidate)
    {
        var pool = candidate.Pool;
        var available = AvailableCounters(pool);
        if (!_consumedCounters.TryGetValue(pool, out var consumed))
        {
            _consumedCounters[pool] = consumed = new Dictionary<string, Dictionary<string, decimal>>(StringComparer.Ordinal);
        }
        foreach (var consumption in candidate.Device.ConsumesCounters)
        {
            if (!consumed.TryGetValue(consumption.CounterSet, out var set))
            {
                consumed[consumption.CounterSet] = set = new Dictionary<string, decimal>(StringComparer.Ordinal);
            }
            foreach (var (name, counter) in consumption.Counters ?? new Dictionary<string, V1Counter>())
            {
                set[name] = set.GetValueOrDefault(name) + (counter?.Value?.ToDecimal() ?? 0);
            }
        }
        foreach (var (setName, counters) in available)
        {
            var used = consumed.GetValueOrDefault(setName);
            foreach (var (name, value) in counters)
            {
                if (value < (used?.GetValueOrDefault(name) ?? 0))
                {
                    ReleaseCounters(candidate);
                    return false;
                }
            }
        }
        return true;
    }

    private void ReleaseCounters(Candidate candidate)
    {
        var consumed = _consumedCounters[candidate.Pool];
        foreach (var consumption in candidate.Device.ConsumesCounters)
        {
            var set = consumed[consumption.CounterSet];
            foreach (var (name, counter) in consumption.Counters ?? new Dictionary<string, V1Counter>())
            {
                set[name] -= counter?.Value?.ToDecimal() ?? 0;
            }
        }
    }

    private List<V1AllocationResult> BuildResults()
    {
        var results = new List<V1AllocationResult>(_claims.Count);
        for (var c = 0; c < _claims.Count; c++)
        {
            var claim = _claims[c];
            var deviceResults = new List<V1DeviceRequestAllocationResult>(_results[c].Count);
            foreach (var placement in _results[c])
            {
                var device = placement.Candidate.Device;
                var rd = placement.Request;
                deviceResults.Add(new V1DeviceRequestAllocationResult
                {
                    Request = rd.FullName,
                    Driver = placement.Candidate.Id.Driver,
                    Pool = placement.Candidate.Id.Pool,
                    Device = placement.Candidate.Id.Device,
                    AdminAccess = rd.AdminAccess ? true : null,
                    Tolerations = _taints && rd.Tolerations is not null ? [.. rd.Tolerations] : null,
                    ShareID = placement.ShareId,
                    ConsumedCapacity = placement.Consumed is { Count: > 0 } ? new Dictionary<string, ResourceQuantity>(placement.Consumed) : null,
                    BindingConditions = _binding && device.BindingConditions is { Count: > 0 } ? [.. device.BindingConditions] : null,
                    BindingFailureConditions = _binding && device.BindingFailureConditions is { Count: > 0 } ? [.. device.BindingFailureConditions] : null,
                });
            }
            results.Add(new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult
                {
                    Results = deviceResults,
                    Config = BuildConfig(c, claim),
                },
                NodeSelector = BuildNodeSelector(_results[c]),
            });
        }
        return results;
    }

    private List<V1DeviceAllocationConfiguration>? BuildConfig(int c, Resourcev1ResourceClaim claim)
    {
        var config = new List<V1DeviceAllocationConfiguration>();
        var requests = claim.Spec?.Devices?.Requests ?? [];
        var classRanges = new Dictionary<string, (int Start, int End)>(StringComparer.Ordinal);
        for (var r = 0; r < _requests[c].Length; r++)
        {
            var rd = _requests[c][r][_selectedSub[c][r]];
            if (classRanges.TryGetValue(rd.ClassName, out var range))
            {
                for (var i = range.Start; i < range.End; i++)
                {
                    config[i].Requests.Add(rd.FullName);
                }
                continue;
            }
            var start = config.Count;
            foreach (var classConfig in rd.Class.Spec?.Config ?? [])
            {
                config.Add(new V1DeviceAllocationConfiguration
                {
                    Source = "FromClass",
                    Requests = [rd.FullName],
                    Opaque = classConfig.Opaque,
                });
            }
            classRanges[rd.ClassName] = (start, config.Count);
        }
        foreach (var claimConfig in claim.Spec?.Devices?.Config ?? [])
        {
            if (claimConfig.Requests is not { Count: > 0 })
            {
                config.Add(new V1DeviceAllocationConfiguration { Source = "FromClaim", Requests = null, Opaque = claimConfig.Opaque });
                continue;
            }
            var applies = false;
            for (var r = 0; r < requests.Count && !applies; r++)
            {
                var rd = _requests[c][r][_selectedSub[c][r]];
                applies = claimConfig.Requests.Contains(requests[r].Name) ||
                    (rd.Parent is not null && claimConfig.Requests.Contains(rd.FullName));
            }
            if (applies)
            {
                config.Add(new V1DeviceAllocationConfiguration
                {
                    Source = "FromClaim",
                    Requests = [.. claimConfig.Requests],
                    Opaque = claimConfig.Opaque,
                });
            }
        }
        foreach (var entry in config)
        {
            // A config for every request applies to all: say so with an empty list.
            if (entry.Requests is not null && entry.Requests.Count == requests.Count)
            {
                entry.Requests = null;
            }
        }
        return config.Count > 0 ? config : null;
    }

    private V1NodeSelector? BuildNodeSelector(List<Placement> placements)
    {
        var fields = new List<V1NodeSelectorRequirement>();
        var expressions = new List<V1NodeSelectorRequirement>();
        foreach (var placement in placements)
        {
            var slice = placement.Candidate.Slice;
            var device = placement.Candidate.Device;
            string? nodeName;
            V1NodeSelector? selector;
            if (slice.Spec.PerDeviceNodeSelection == true)
            {
                nodeName = device.NodeName;
                selector = device.NodeSelector;
            }
            else
            {
                nodeName = slice.Spec.NodeName;
                selector = slice.Spec.NodeSelector;
            }
            if (!string.IsNullOrEmpty(nodeName) || device.BindsToNode == true)
            {
                return new V1NodeSelector
                {
                    NodeSelectorTerms =
                    [
                        new V1NodeSelectorTerm
                        {
                            MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = [_node.Name] }],
                        },
                    ],
                };
            }
            if (selector?.NodeSelectorTerms is { Count: > 0 } terms)
            {
                if (terms.Count > 1)
                {
                    throw new AllocationException($"unsupported ResourceSlice.NodeSelector with {terms.Count} terms");
                }
                AddNew(terms[0].MatchFields, fields);
                AddNew(terms[0].MatchExpressions, expressions);
            }
        }
        if (fields.Count == 0 && expressions.Count == 0)
        {
            return null;
        }
        return new V1NodeSelector
        {
            NodeSelectorTerms =
            [
                new V1NodeSelectorTerm
                {
                    MatchFields = fields.Count > 0 ? fields : null,
                    MatchExpressions = expressions.Count > 0 ? expressions : null,
                },
            ],
        };

        static void AddNew(IList<V1NodeSelectorRequirement>? from, List<V1NodeSelectorRequirement> to)
        {
            foreach (var requirement in from ?? [])
            {
                var values = new HashSet<string>(requirement.Values ?? [], StringComparer.Ordinal);
                if (!to.Any(t => t.Key == requirement.Key && t.OperatorProperty == requirement.OperatorProperty && values.SetEquals(t.Values ?? [])))
                {
                    to.Add(requirement);
                }
            }
        }
    }
}
