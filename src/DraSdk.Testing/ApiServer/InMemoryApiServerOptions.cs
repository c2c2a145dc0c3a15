namespace DraSdk.Testing;

/// <summary>Settings of an <see cref="InMemoryKubernetesApiServer"/>.</summary>
public sealed class InMemoryApiServerOptions
{
    /// <summary>
    /// How often a watch with <c>allowWatchBookmarks=true</c> gets a BOOKMARK event. The real server sends about one a
    /// minute; tests usually want a much shorter interval. Default: 30 seconds.
    /// </summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many events are kept for watches that resume from a resourceVersion. A watch from a version older than the
    /// kept history gets <c>410 Expired</c>. Default: 10,000.
    /// </summary>
    public int WatchHistoryLimit { get; init; } = 10_000;

    /// <summary>How many requests <see cref="InMemoryKubernetesApiServer.Requests"/> keeps (the oldest are dropped). Default: 10,000.</summary>
    public int RequestLogLimit { get; init; } = 10_000;

    /// <summary>
    /// Whether the built-in validation runs: the real API server's rules for ResourceSlices, DeviceClasses,
    /// ResourceClaims (spec and status), ResourceClaimTemplates and the admin-access namespace label. Default: true.
    /// </summary>
    public bool BuiltInValidation { get; init; } = true;

    /// <summary>The clock for timestamps, bookmarks and watch timeouts. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Feature gates to treat as disabled. On create and update of ResourceSlices the server drops the fields they
    /// govern, as a real API server with the gate off does (fields already in use in the stored object are kept).
    /// Known: <c>DRADeviceTaints</c> (device taints), <c>DRAPartitionableDevices</c> (shared counters, counter
    /// consumption, per-device node selection), <c>DRADeviceBindingConditions</c> (binding conditions, bindsToNode),
    /// <c>DRAConsumableCapacity</c> (allowMultipleAllocations, capacity request policies),
    /// <c>DRANodeAllocatableResources</c> (nodeAllocatableResources), <c>DRAListTypeAttributes</c> (list-type
    /// attributes: dropping one leaves the attribute without a value, so the write is answered
    /// <c>422 exactly one value must be specified</c>, as on a real server), and <c>DRADeviceTaintRules</c>
    /// (DeviceTaintRules are served in resource.k8s.io v1beta2 and v1alpha3 only while it is enabled; no version serves
    /// them in v1). Only HTTP writes are affected: <c>Seed</c>, <c>Update</c> and <c>Edit</c> store what they are given,
    /// like data written before the gate was turned off.
    /// Default: the gates a kube-apiserver 1.36 has off by default, <c>DRAListTypeAttributes</c>,
    /// <c>DRANodeAllocatableResources</c> and <c>DRADeviceTaintRules</c>; remove one to enable it, as a cluster's
    /// <c>--feature-gates</c> would.
    /// </summary>
    public ISet<string> DisabledFeatureGates { get; } = new HashSet<string>(global::DraSdk.Testing.DisabledFeatureGates.OffIn136, StringComparer.Ordinal);

    /// <summary>
    /// The one version of resource.k8s.io the server serves its ResourceSlices, ResourceClaims, ResourceClaimTemplates
    /// and DeviceClasses in: <c>v1</c> (Kubernetes 1.34 and later, the default), <c>v1beta2</c> (as a 1.33 cluster
    /// serves by default) or <c>v1beta1</c> (as a 1.32 cluster). The entries of <see cref="Resources"/> for those
    /// resources in <c>v1</c> are served in this version instead; HTTP clients see only it (discovery included) and
    /// get 404 for the others, objects are stored in its shape, and the built-in validation checks them as their v1
    /// form would be checked. The typed calls (<c>Seed</c>, <c>Get</c>, <c>List</c>, <c>Update</c>, <c>Edit</c>,
    /// <c>Delete</c>, <c>AddValidator</c>) accept the v1 models and convert.
    /// </summary>
    public string ResourceApiVersion { get; init; } = "v1";

    /// <summary>The resources served: <see cref="ApiResourceType.Defaults"/> unless changed. Add one line per extra resource or version.</summary>
    public IList<ApiResourceType> Resources { get; } = [.. ApiResourceType.Defaults];
}
