namespace DraSdk.ResourceSlices;

/// <summary>
/// Publishes a node-local driver's devices as ResourceSlices of its node and keeps them in line with what the driver
/// last gave it. Registered by <c>AddResourceSlicePublisher()</c>; call it at any time, from any thread: after device
/// discovery at start and again whenever devices change (a device that becomes unhealthy can be published with a
/// taint).
/// </summary>
/// <remarks>
/// Nothing is read or written before the first <see cref="Update"/> or <see cref="PublishAsync"/>: a restarted driver
/// does not touch the slices of the previous instance until it knows its devices, and then adopts them. The slices are
/// watched, so changes by others are repaired. Transient errors (409, 429, 5xx, network) are reported to
/// <c>DriverErrorReporter</c>, one line each, and retried with exponential backoff. A pool the API server refuses for
/// good (422 Invalid, 403 Forbidden, 404 Not Found) is logged once as an error, kept in
/// <see cref="ResourceSlicePublisherStatus.PermanentErrors"/>, and tried again only after
/// <c>PermanentErrorRetryInterval</c> or when the devices change; other pools keep publishing. Slices are left in place
/// when the host stops.
/// </remarks>
public interface IResourceSlicePublisher
{
    /// <summary>The node whose slices this publisher owns; node-local pools are usually named after it.</summary>
    string NodeName { get; }

    /// <summary>The publisher's progress, for health checks and tests.</summary>
    ResourceSlicePublisherStatus Status { get; }

    /// <summary>
    /// Sets the resources to publish and returns at once; publishing happens in the background. Pools missing from
    /// <paramref name="resources"/> have their slices deleted.
    /// </summary>
    /// <param name="resources">The complete set of resources; copied, so the caller may change it afterwards.</param>
    /// <exception cref="ArgumentException">The resources are not valid; the message names the pool, slice, device and field.</exception>
    void Update(DriverResources resources);

    /// <summary>
    /// Sets the resources to publish, like <see cref="Update"/>, and waits until they (or resources given later) are
    /// published. Transient errors do not fail the call: they are reported and retried until it succeeds or
    /// <paramref name="cancellationToken"/> ends the wait (publishing goes on in the background). A pool the API server
    /// refuses for good fails it with the server's message.
    /// </summary>
    /// <param name="resources">The complete set of resources; copied, so the caller may change it afterwards.</param>
    /// <param name="cancellationToken">Ends the wait; does not undo or stop the publishing.</param>
    /// <returns>A task that completes once the resources are published.</returns>
    /// <exception cref="ArgumentException">The resources are not valid; the message names the pool, slice, device and field.</exception>
    /// <exception cref="ObjectDisposedException">The publisher was stopped before the resources were published.</exception>
    /// <exception cref="InvalidOperationException">The API server refused a pool for good (422, 403, 404); the message names the pool and quotes the server.</exception>
    Task PublishAsync(DriverResources resources, CancellationToken cancellationToken = default);
}

/// <summary>
/// Publishes network-attached pools (<see cref="Pool.NodeSelector"/>, <see cref="Pool.AllNodes"/> or
/// <see cref="Slice.PerDeviceNodeSelection"/>) from a cluster-level controller. Registered by
/// <c>AddNetworkResourceSlicePublisher()</c>; with several replicas only the Lease's leader writes, and every replica
/// may call <see cref="Update"/>, so a new leader publishes at once.
/// </summary>
public interface INetworkResourceSlicePublisher
{
    /// <summary>The driver whose network-attached slices this publisher owns (all slices of the driver without a node name).</summary>
    string DriverName { get; }

    /// <summary>Whether this replica holds the Lease and publishes (always true without leader election).</summary>
    bool IsLeader { get; }

    /// <summary>The publisher's progress, for health checks and tests.</summary>
    ResourceSlicePublisherStatus Status { get; }

    /// <summary>Sets the resources to publish and returns at once; pools missing from <paramref name="resources"/> have their slices deleted.</summary>
    /// <param name="resources">The complete set of resources; copied, so the caller may change it afterwards.</param>
    /// <exception cref="ArgumentException">The resources are not valid; the message names the pool, slice, device and field.</exception>
    void Update(DriverResources resources);

    /// <summary>Sets the resources to publish and waits until they (or resources given later) are published by this replica as leader.</summary>
    /// <param name="resources">The complete set of resources; copied, so the caller may change it afterwards.</param>
    /// <param name="cancellationToken">Ends the wait; does not undo or stop the publishing.</param>
    /// <returns>A task that completes once the resources are published.</returns>
    /// <exception cref="ArgumentException">The resources are not valid; the message names the pool, slice, device and field.</exception>
    /// <exception cref="ObjectDisposedException">The publisher was stopped before the resources were published.</exception>
    Task PublishAsync(DriverResources resources, CancellationToken cancellationToken = default);
}
