using k8s.Models;

namespace DraSdk.ResourceSlices;

/// <summary>
/// Everything a driver publishes: its resource pools by name. Each pool becomes one or more ResourceSlices.
/// </summary>
/// <remarks>
/// The shape follows the Go library's <c>resourceslice.DriverResources</c>. Today only node-local pools are
/// published: their slices carry <c>spec.nodeName</c> and are owned by the Node. By convention a node-local driver
/// has one pool named after its node (see <see cref="ForNode"/>). The publisher copies what it is given, so the
/// caller may reuse or change the objects afterwards.
/// </remarks>
public sealed class DriverResources
{
    /// <summary>The pools, keyed by pool name (at most 253 characters, e.g. the node name).</summary>
    public IReadOnlyDictionary<string, Pool> Pools { get; init; } = new Dictionary<string, Pool>(StringComparer.Ordinal);

    /// <summary>Resources of a node-local driver: one pool named <paramref name="nodeName"/> with one slice holding <paramref name="devices"/>.</summary>
    /// <param name="nodeName">The node, which is also the pool name.</param>
    /// <param name="devices">The node's devices; may be empty.</param>
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
}

/// <summary>A resource pool: the devices published under one pool name, spread over one or more slices.</summary>
public sealed class Pool
{
    /// <summary>
    /// The pool's slices, at least one (a slice may have no devices). Each becomes one ResourceSlice; splitting
    /// large device lists into several slices is up to the driver for now.
    /// </summary>
    public IReadOnlyList<Slice> Slices { get; init; } = [];
}

/// <summary>The content of one ResourceSlice.</summary>
public sealed class Slice
{
    /// <summary>The devices (resource.k8s.io/v1), each with a name unique within the pool.</summary>
    public IReadOnlyList<V1Device> Devices { get; init; } = [];
}
