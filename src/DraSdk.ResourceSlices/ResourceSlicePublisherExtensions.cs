using k8s.Models;

namespace DraSdk.ResourceSlices;

/// <summary>Shortcuts for the common case of a node-local driver with one pool.</summary>
public static class ResourceSlicePublisherExtensions
{
    /// <summary>
    /// Publishes <paramref name="devices"/> as the node's only pool, named after the node, in one slice, and waits
    /// until they are published (see <see cref="IResourceSlicePublisher.PublishAsync"/>).
    /// </summary>
    /// <param name="publisher">The publisher.</param>
    /// <param name="devices">The node's devices; may be empty.</param>
    /// <param name="cancellationToken">Ends the wait; does not stop the publishing.</param>
    /// <returns>A task that completes once the devices are published.</returns>
    public static Task PublishDevicesAsync(this IResourceSlicePublisher publisher, IEnumerable<V1Device> devices, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        return publisher.PublishAsync(DriverResources.ForNode(publisher.NodeName, devices), cancellationToken);
    }

    /// <summary>
    /// Sets <paramref name="devices"/> as the node's only pool, named after the node, in one slice, and returns at once
    /// (see <see cref="IResourceSlicePublisher.Update"/>).
    /// </summary>
    /// <param name="publisher">The publisher.</param>
    /// <param name="devices">The node's devices; may be empty.</param>
    public static void UpdateDevices(this IResourceSlicePublisher publisher, IEnumerable<V1Device> devices)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        publisher.Update(DriverResources.ForNode(publisher.NodeName, devices));
    }
}
