using k8s.Models;

namespace DraSdk.ResourceSlices;

/// <summary>
/// Everything a driver publishes: its resource pools by name. Each pool becomes one or more ResourceSlices.
/// </summary>
/// <remarks>
/// The shape follows the Go library's <c>resourceslice.DriverResources</c>. A node-local publisher
/// (<c>AddResourceSlicePublisher</c>) publishes pools of its node: their slices carry <c>spec.nodeName</c> and are
/// owned by the Node; by convention there is one pool named after the node (see <see cref="ForNode"/>). A
/// network-attached publisher (<c>AddNetworkResourceSlicePublisher</c>) publishes pools that set
/// <see cref="Pool.NodeSelector"/>, <see cref="Pool.AllNodes"/> or, per slice, <see cref="Slice.PerDeviceNodeSelection"/>.
/// The publisher validates and copies what it is given, so the caller may reuse or change the objects afterwards.
/// </remarks>
public sealed class DriverResources
{
    /// <summary>The pools, keyed by pool name (at most 253 characters, DNS subdomains separated by '/').</summary>
    public IReadOnlyDictionary<string, Pool> Pools { get; init; } = new Dictionary<string, Pool>(StringComparer.Ordinal);

    /// <summary>Resources of a node-local driver: one pool named <paramref name="nodeName"/> with one slice holding <paramref name="devices"/>.</summary>
    /// <param name="nodeName">The node, which is also the pool name.</param>
    /// <param name="devices">The node's devices; may be empty. More than fit in one ResourceSlice are split automatically.</param>
    /// <returns>The resources.</returns>
    public static DriverResources ForNode(string nodeName, IEnumerable<V1Device> devices)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeName);
        ArgumentNullException.ThrowIfNull(devices);
        return new DriverResources
        {
            Pools = new Dictionary<string, Pool>(StringComparer.Ordinal)
            {
                [nodeName] = new Pool { Slices = [new Slice { Devices = [.. devices] }] },
            },
        };
    }

    /// <summary>
    /// Checks the resources as the publisher does before it writes anything — the rules of the API server
    /// (kube-apiserver 1.36: names, limits of attributes, capacities, values, taints, counters, request policies,
    /// binding conditions, node selection), duplicates, what a node-local or a network-attached publisher may publish,
    /// and the few checks the SDK makes beyond the API server (docs/guides/resource-slices.md) — without a publisher or
    /// an API server: for unit tests of a driver's discovery. List-type attributes are refused, as a 1.36 cluster with
    /// its default feature gates refuses them; see the overload with <c>listTypeAttributes</c>.
    /// </summary>
    /// <param name="driverName">The driver's name.</param>
    /// <param name="nodeName">The node of a node-local publisher; null for the pools of a network-attached publisher.</param>
    /// <exception cref="ArgumentException">Something is not valid; the message names every problem, where, and the
    /// field path the API server would report, e.g. <c>pool 'node-a', slice 0, device 'gpu-1', attribute 'model': the
    /// string value is 70 bytes long (UTF-8), more than the 64 allowed (spec.devices[1].attributes[model].string)</c>.</exception>
    public void Validate(string driverName, string? nodeName) => Validate(driverName, nodeName, listTypeAttributes: false);

    /// <summary>Checks the resources as <see cref="Validate(string, string?)"/> does, allowing list-type attributes or not.</summary>
    /// <param name="driverName">The driver's name.</param>
    /// <param name="nodeName">The node of a node-local publisher; null for the pools of a network-attached publisher.</param>
    /// <param name="listTypeAttributes">Whether the cluster has the <c>DRAListTypeAttributes</c> feature gate on
    /// (<see cref="ResourceSlicePublisherOptions.ListTypeAttributes"/>).</param>
    /// <exception cref="ArgumentException">Something is not valid; the message names every problem and where.</exception>
    public void Validate(string driverName, string? nodeName, bool listTypeAttributes) => Internal.ResourceValidation.Validate(this, driverName, nodeName, listTypeAttributes);
}

/// <summary>A resource pool: the devices and shared counters published under one pool name, in one or more slices.</summary>
public sealed class Pool
{
    /// <summary>
    /// The pool's slices, at least one (a slice may be empty). A slice with more devices than one ResourceSlice may
    /// hold (128, or 64 when a device has taints, consumes counters or has list attributes), with more than 8 counter
    /// sets, or with both devices and counter sets (which resource.k8s.io/v1 keeps in separate ResourceSlices) is
    /// published as several ResourceSlices, in order.
    /// </summary>
    public IReadOnlyList<Slice> Slices { get; init; } = [];

    /// <summary>
    /// For a network-attached pool: the nodes that can reach its devices (exactly one term). Exactly one of
    /// <see cref="NodeSelector"/>, <see cref="AllNodes"/> or <see cref="Slice.PerDeviceNodeSelection"/> (on every
    /// slice) is required for such a pool; none may be set in a node-local pool.
    /// </summary>
    public V1NodeSelector? NodeSelector { get; init; }

    /// <summary>For a network-attached pool: whether every node can reach its devices.</summary>
    public bool AllNodes { get; init; }

    /// <summary>
    /// The lowest pool generation to publish (<c>spec.pool.generation</c>). Normally 0: the publisher chooses the
    /// generation, bumping it only when more than one slice changes or slices are added. A driver that must make
    /// consumers drop older slices can set a higher value.
    /// </summary>
    public long Generation { get; init; }
}

/// <summary>The content of one slice of a pool.</summary>
public sealed class Slice
{
    /// <summary>The devices (resource.k8s.io/v1), each with a name unique within the pool.</summary>
    public IReadOnlyList<V1Device> Devices { get; init; } = [];

    /// <summary>
    /// Counter sets that devices anywhere in the pool consume (<see cref="V1Device.ConsumesCounters"/>), for
    /// partitionable devices. Names are unique within the pool. They are published in ResourceSlices of their own,
    /// before this slice's devices.
    /// </summary>
    public IReadOnlyList<V1CounterSet> SharedCounters { get; init; } = [];

    /// <summary>
    /// For a network-attached pool: each device says which nodes can reach it (<see cref="V1Device.NodeName"/>,
    /// <see cref="V1Device.NodeSelector"/> or <see cref="V1Device.AllNodes"/>).
    /// </summary>
    public bool PerDeviceNodeSelection { get; init; }
}
