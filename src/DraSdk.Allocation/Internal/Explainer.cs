using k8s.Models;

namespace DraSdk.Allocation.Internal;

/// <summary>Counts, per request, the devices in scope and the first cause that removes each.</summary>
internal static class Explainer
{
    public static AllocationExplanation Explain(Allocator allocator, AllocationNode node, IReadOnlyList<Resourcev1ResourceClaim> claims,
        AllocatedState allocated, CancellationToken cancellationToken)
    {
        string? error = null;
        var fits = false;
        try
        {
            fits = allocator.Allocate(node, claims, allocated, cancellationToken) is not null;
        }
        catch (AllocationException e)
        {
            error = e.Message;
        }

        var run = new AllocationRun(allocator, node, claims, allocated, cancellationToken);
        var prepared = true;
        try
        {
            run.Prepare();
        }
        catch (AllocationException e)
        {
            error ??= e.Message;
            prepared = false;
        }

        var result = new List<ClaimExplanation>(claims.Count);
        var pools = prepared ? run.Pools : allocator.Index.GatherPools(node, allocator.Features);
        var scope = Scope(allocator.Index);
        for (var c = 0; c < claims.Count; c++)
        {
            var claim = claims[c];
            var requests = new List<RequestExplanation>();
            RequestData[][]? data = null;
            if (prepared)
            {
                data = run.Requests[c];
            }
            else
            {
                try
                {
                    data = RequestReader.Read(claim, allocator.Index, allocator.Features);
                }
                catch (AllocationException)
                {
                    // Already reported.
                }
            }
            foreach (var rd in (data ?? []).SelectMany(subs => subs))
            {
                requests.Add(ExplainRequest(allocator, run, node, claim, c, rd, pools, scope, cancellationToken));
            }
            result.Add(new ClaimExplanation
            {
                Namespace = claim.Metadata?.NamespaceProperty ?? "default",
                Name = claim.Metadata?.Name ?? "",
                Requests = requests,
            });
        }
        return new AllocationExplanation { Node = node.Name, Fits = fits, Error = error, Claims = result };
    }

    /// <summary>Current-generation slices of the whole cluster, in allocation order.</summary>
    private static List<V1ResourceSlice> Scope(ClusterIndex index)
    {
        var slices = new List<V1ResourceSlice>();
        foreach (var ((_, _), poolSlices) in index.SlicesByPool)
        {
            var generation = poolSlices.Max(s => s.Spec.Pool.Generation);
            slices.AddRange(poolSlices.Where(s => s.Spec.Pool.Generation == generation && s.Spec.Devices is { Count: > 0 }));
        }
        slices.Sort((a, b) =>
        {
            var x = string.CompareOrdinal(a.Spec.Driver, b.Spec.Driver);
            if (x == 0)
            {
                x = string.CompareOrdinal(a.Spec.Pool.Name, b.Spec.Pool.Name);
            }
            return x != 0 ? x : string.CompareOrdinal(a.Metadata?.Name, b.Metadata?.Name);
        });
        return slices;
    }

    private static RequestExplanation ExplainRequest(Allocator allocator, AllocationRun run, AllocationNode node,
        Resourcev1ResourceClaim claim, int claimIndex, RequestData rd, List<Pool> pools, List<V1ResourceSlice> scope,
        CancellationToken cancellationToken)
    {
        var features = allocator.Features;
        var removed = Enum.GetValues<ExclusionReason>().ToDictionary(r => r, _ => 0);
        var poolsById = pools.ToDictionary(p => (p.Driver, p.Name));
        var remaining = new List<Candidate>();
        var inScope = 0;
        var matchingOnNode = 0;
        string? selectorError = null;
        var claimName = RequestReader.ClaimName(claim);
        foreach (var slice in scope)
        {
            poolsById.TryGetValue((slice.Spec.Driver, slice.Spec.Pool.Name ?? ""), out var pool);
            foreach (var device in slice.Spec.Devices)
            {
                inScope++;
                var id = new DeviceId(slice.Spec.Driver, slice.Spec.Pool.Name ?? "", device.Name);
                var candidate = new Candidate(id, device, slice, pool!);
                var reason = Classify();
                if (reason is { } r)
                {
                    removed[r]++;
                }
                else
                {
                    remaining.Add(candidate);
                }

                ExclusionReason? Classify()
                {
                    if (!Try(() => allocator.Selectors.Matches(rd.Class.Spec?.Selectors, device, id, $"class {rd.ClassName}", cancellationToken)))
                    {
                        return ExclusionReason.ClassSelector;
                    }
                    if (!Try(() => allocator.Selectors.Matches(rd.Selectors, device, id, $"claim {claimName}", cancellationToken)))
                    {
                        return ExclusionReason.RequestSelector;
                    }
                    if (pool is null)
                    {
                        return ExclusionReason.Node;
                    }
                    if (pool.IsIncomplete || pool.IsInvalid)
                    {
                        return ExclusionReason.Pool;
                    }
                    if (!pool.Slices.Contains(slice) ||
                        (slice.Spec.PerDeviceNodeSelection == true && !NodeSelectors.Matches(node, device.NodeName, device.AllNodes == true, device.NodeSelector)))
                    {
                        return ExclusionReason.Node;
                    }
                    var consumes = device.ConsumesCounters is { Count: > 0 };
                    if ((!features.HasFlag(AllocatorFeatures.DeviceBindingAndStatus) && device.BindingConditions is { Count: > 0 }) ||
                        (!features.HasFlag(AllocatorFeatures.PartitionableDevices) && consumes))
                    {
                        return ExclusionReason.Unsupported;
                    }
                    matchingOnNode++;
                    var multi = features.HasFlag(AllocatorFeatures.ConsumableCapacity) && device.AllowMultipleAllocations == true;
                    if (!rd.AdminAccess && !multi && run.InUse(id))
                    {
                        return ExclusionReason.InUse;
                    }
                    if (features.HasFlag(AllocatorFeatures.DeviceTaints) && AllocationRun.TaintBlocks(device, rd.Tolerations))
                    {
                        return ExclusionReason.Taint;
                    }
                    if (consumes && !run.CountersFit(candidate))
                    {
                        return ExclusionReason.Counters;
                    }
                    if (features.HasFlag(AllocatorFeatures.ConsumableCapacity) && run.CheckCapacity(rd, candidate) != CapacityMath.Fit.Fits)
                    {
                        return ExclusionReason.Capacity;
                    }
                    return null;
                }
            }
        }

        // Constraints: keep the largest group of remaining devices that agree.
        var lists = features.HasFlag(AllocatorFeatures.ListTypeAttributes);
        foreach (var constraint in claim.Spec?.Devices?.Constraints ?? [])
        {
            if (string.IsNullOrEmpty(constraint.MatchAttribute))
            {
                continue;
            }
            var probe = new MatchAttributeConstraint(constraint.Requests, constraint.MatchAttribute, lists);
            if (!probe.AppliesTo(rd.Name, rd.Parent))
            {
                continue;
            }
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var candidate in remaining)
            {
                if (Constraint.Lookup(candidate.Device, candidate.Id.Driver, constraint.MatchAttribute) is { } attribute &&
                    Constraint.Tokens(attribute, lists) is { } tokens)
                {
                    foreach (var token in tokens)
                    {
                        counts[token] = counts.GetValueOrDefault(token) + 1;
                    }
                }
            }
            var best = counts.OrderByDescending(kv => kv.Value).Select(kv => kv.Key).FirstOrDefault();
            var kept = remaining.Where(candidate =>
                best is not null &&
                Constraint.Lookup(candidate.Device, candidate.Id.Driver, constraint.MatchAttribute) is { } attribute &&
                Constraint.Tokens(attribute, lists) is { } tokens && tokens.Contains(best)).ToList();
            removed[ExclusionReason.Constraint] += remaining.Count - kept.Count;
            remaining = kept;
        }

        var needed = rd.All ? rd.NumDevices : rd.NumDevices;
        var satisfiable = rd.All
            ? needed > 0 && remaining.Count == matchingOnNode
            : remaining.Count >= needed;
        return new RequestExplanation
        {
            Request = rd.FullName,
            DeviceClass = rd.ClassName,
            AllocationMode = rd.All ? "All" : "ExactCount",
            Needed = needed,
            InScope = inScope,
            Removed = removed,
            Available = remaining.Count,
            Satisfiable = satisfiable,
            SelectorError = selectorError,
        };

        bool Try(Func<bool> check)
        {
            try
            {
                return check();
            }
            catch (AllocationException e)
            {
                selectorError ??= e.Message;
                return false;
            }
        }
    }
}
