namespace DraSdk.Testing;

/// <summary>
/// One resource the <see cref="InMemoryKubernetesApiServer"/> serves, such as <c>resourceslices</c> in
/// <c>resource.k8s.io/v1</c>. Every group/version has its own store: there is no conversion between versions.
/// </summary>
/// <param name="Group">The API group; empty for the core group (<c>/api/v1</c>).</param>
/// <param name="Version">The API version, for example <c>v1</c>.</param>
/// <param name="Plural">The lower-case plural used in URLs, for example <c>resourceslices</c>.</param>
/// <param name="Kind">The kind of one object, for example <c>ResourceSlice</c>; lists are <c>Kind + "List"</c>.</param>
/// <param name="Namespaced">Whether objects live in a namespace.</param>
/// <param name="HasStatusSubresource">
/// Whether the resource has a <c>/status</c> subresource: the main endpoint then ignores status changes and
/// <c>/status</c> changes only the status.
/// </param>
public sealed record ApiResourceType(string Group, string Version, string Plural, string Kind, bool Namespaced, bool HasStatusSubresource)
{
    /// <summary>
    /// The resources served by default. DeviceTaintRules are not among them: a kube-apiserver 1.36 serves them only in
    /// v1alpha3 and v1beta2 with the <c>DRADeviceTaintRules</c> gate enabled (see
    /// <see cref="InMemoryApiServerOptions.DisabledFeatureGates"/>).
    /// </summary>
    public static IReadOnlyList<ApiResourceType> Defaults { get; } =
    [
        new("", "v1", "nodes", "Node", Namespaced: false, HasStatusSubresource: true),
        new("", "v1", "namespaces", "Namespace", Namespaced: false, HasStatusSubresource: true),
        new("", "v1", "pods", "Pod", Namespaced: true, HasStatusSubresource: true),
        new("", "v1", "configmaps", "ConfigMap", Namespaced: true, HasStatusSubresource: false),
        new("", "v1", "events", "Event", Namespaced: true, HasStatusSubresource: false),
        new("coordination.k8s.io", "v1", "leases", "Lease", Namespaced: true, HasStatusSubresource: false),
        new("resource.k8s.io", "v1", "resourceclaims", "ResourceClaim", Namespaced: true, HasStatusSubresource: true),
        new("resource.k8s.io", "v1", "resourceclaimtemplates", "ResourceClaimTemplate", Namespaced: true, HasStatusSubresource: false),
        new("resource.k8s.io", "v1", "resourceslices", "ResourceSlice", Namespaced: false, HasStatusSubresource: false),
        new("resource.k8s.io", "v1", "deviceclasses", "DeviceClass", Namespaced: false, HasStatusSubresource: false),
    ];

    /// <summary>The <c>apiVersion</c> of objects: <c>v1</c> or <c>group/version</c>.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    /// <summary>The resource as the real API server names it in messages: <c>nodes</c> or <c>resourceslices.resource.k8s.io</c>.</summary>
    public string GroupResource => Group.Length == 0 ? Plural : Plural + "." + Group;

    /// <summary>The kind as the real API server names it in validation messages: <c>Node</c> or <c>ResourceSlice.resource.k8s.io</c>.</summary>
    internal string GroupKind => Group.Length == 0 ? Kind : Kind + "." + Group;

    internal string ListKind => Kind + "List";

    internal string Singular => Kind.ToLowerInvariant();
}
