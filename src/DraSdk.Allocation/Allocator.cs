using DraSdk.Allocation.Internal;
using k8s.Models;

namespace DraSdk.Allocation;

/// <summary>
/// Allocates devices for the ResourceClaims of one pod on one node, as the kube-scheduler's
/// structured allocator does: the same validation, the same first-fit search order (pools by
/// driver then name, slices by name, devices in slice order, with backtracking) and the same
/// AllocationResults. An allocator holds the cluster's DeviceClasses and ResourceSlices; it can
/// be used for many nodes and pods, also concurrently.
/// </summary>
public sealed class Allocator
{
    /// <summary>Creates an allocator over a snapshot of the cluster's classes and slices.</summary>
    /// <param name="deviceClasses">The DeviceClasses.</param>
    /// <param name="resourceSlices">The ResourceSlices of all drivers and nodes.</param>
    /// <param name="features">The enabled features; all by default.</param>
    public Allocator(IEnumerable<V1DeviceClass> deviceClasses, IEnumerable<V1ResourceSlice> resourceSlices,
        AllocatorFeatures features = AllocatorFeatures.All)
    {
        ArgumentNullException.ThrowIfNull(deviceClasses);
        ArgumentNullException.ThrowIfNull(resourceSlices);
        Features = features;
        Index = new ClusterIndex(deviceClasses, resourceSlices);
        Selectors = new SelectorEvaluator(features);
    }

    /// <summary>The enabled features.</summary>
    public AllocatorFeatures Features { get; }

    internal ClusterIndex Index { get; }

    internal SelectorEvaluator Selectors { get; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (AllocationNode Node, List<Pool> Pools)> _poolsByNode = new(StringComparer.Ordinal);

    /// <summary>The pools for a node; slices do not change, so they are gathered once per node and labels.</summary>
    internal List<Pool> PoolsFor(AllocationNode node)
    {
        if (_poolsByNode.TryGetValue(node.Name, out var cached) &&
            (ReferenceEquals(cached.Node, node) || SameLabels(cached.Node.Labels, node.Labels)))
        {
            return cached.Pools;
        }
        var pools = Index.GatherPools(node, Features);
        _poolsByNode[node.Name] = (node, pools);
        return pools;

        static bool SameLabels(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
            a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }

    internal Func<string> ShareIdGenerator { get; set; } = () => Guid.NewGuid().ToString("N")[..8];

    /// <summary>
    /// Allocates devices for the claims of one pod, together, on the node.
    /// </summary>
    /// <param name="node">The node.</param>
    /// <param name="claims">The pod's claims to allocate, in order.</param>
    /// <param name="allocated">The devices already in use; none when null.</param>
    /// <param name="cancellationToken">Stops the search.</param>
    /// <returns>One result per claim, in the order of <paramref name="claims"/>, or null when the claims do not fit on the node.</returns>
    /// <exception cref="AllocationException">The input is invalid.</exception>
    public IReadOnlyList<V1AllocationResult>? Allocate(AllocationNode node, IReadOnlyList<Resourcev1ResourceClaim> claims,
        AllocatedState? allocated = null, CancellationToken cancellationToken = default) =>
        AllocateCore(node, claims, allocated, cancellationToken, out _);

    internal IReadOnlyList<V1AllocationResult>? AllocateCore(AllocationNode node, IReadOnlyList<Resourcev1ResourceClaim> claims,
        AllocatedState? allocated, CancellationToken cancellationToken, out long steps)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(claims);
        var run = new AllocationRun(this, node, claims, allocated ?? new AllocatedState(), cancellationToken);
        try
        {
            run.Prepare();
            return run.Run();
        }
        finally
        {
            steps = run.Steps;
        }
    }

    /// <summary>
    /// Explains, per request, how many devices were in scope and how many each cause removed:
    /// the answer to "why is my pod Pending?".
    /// </summary>
    /// <param name="node">The node.</param>
    /// <param name="claims">The pod's claims, in order.</param>
    /// <param name="allocated">The devices already in use; none when null.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The explanation, including whether the claims fit.</returns>
    public AllocationExplanation Explain(AllocationNode node, IReadOnlyList<Resourcev1ResourceClaim> claims,
        AllocatedState? allocated = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(claims);
        return Explainer.Explain(this, node, claims, allocated ?? new AllocatedState(), cancellationToken);
    }
}
