using k8s.Models;

namespace DraSdk.Allocation;

/// <summary>Which side serves one extended resource of a pod on a node.</summary>
public enum ExtendedResourceSource
{
    /// <summary>A DeviceClass maps the resource and the node does not advertise it: DRA allocates it through the pod's extended-resource claim.</summary>
    Dra,

    /// <summary>The node advertises the resource in its allocatable (a device plugin): the device plugin serves it, not DRA.</summary>
    DevicePlugin,

    /// <summary>No DeviceClass maps the resource and the node does not advertise it: the pod does not fit the node.</summary>
    Unavailable,
}

/// <summary>One extended resource that a pod requests, and who serves it on the node.</summary>
public sealed class ExtendedResourceDecision
{
    /// <summary>The resource name, e.g. <c>nvidia.com/gpu</c>.</summary>
    public required string ResourceName { get; init; }

    /// <summary>The DeviceClass that maps the resource, if one does (also when the device plugin serves it on this node).</summary>
    public string? DeviceClass { get; init; }

    /// <summary>Who serves the resource on the node.</summary>
    public required ExtendedResourceSource Source { get; init; }

    /// <summary>The quantity the node advertises in its allocatable, when it does.</summary>
    public long? NodeAllocatable { get; init; }
}

/// <summary>
/// The ResourceClaim that the kube-scheduler creates for a pod's extended-resource requests on a node
/// (the DRAExtendedResource feature), with the container-to-request mappings it writes to
/// <c>pod.status.extendedResourceClaimStatus</c>.
/// </summary>
public sealed class ExtendedResourceClaim
{
    /// <summary>The claim to allocate together with the pod's other claims; null when no extended resource goes to DRA on this node.</summary>
    public Resourcev1ResourceClaim? Claim { get; init; }

    /// <summary>Which request of <see cref="Claim"/> serves which container's resource, in the scheduler's order.</summary>
    public required IReadOnlyList<V1ContainerExtendedResourceRequest> RequestMappings { get; init; }

    /// <summary>Every extended resource the pod requests (non-zero), by name, and who serves it on the node.</summary>
    public required IReadOnlyList<ExtendedResourceDecision> Resources { get; init; }

    /// <summary>Whether every requested extended resource is served, by DRA or by the node's device plugin.</summary>
    public bool Fits => Resources.All(r => r.Source != ExtendedResourceSource.Unavailable);
}

/// <summary>
/// Turns a pod's extended-resource requests (<c>nvidia.com/gpu: 1</c>) into the claim the
/// kube-scheduler's dynamicresources plugin creates for them: which DeviceClass maps a resource
/// (its <c>spec.extendedResourceName</c>, or the implicit <c>deviceclass.resource.kubernetes.io/&lt;class&gt;</c>),
/// which resources the node's device plugin serves instead, and one ExactCount request per container.
/// </summary>
public static class ExtendedResources
{
    /// <summary>The annotation, set to <c>"true"</c>, that marks the claim the scheduler creates for a pod's extended resources.</summary>
    public const string ClaimAnnotation = "resource.kubernetes.io/extended-resource-claim";

    /// <summary>The prefix of the implicit extended resource name every DeviceClass has: this prefix and the class name.</summary>
    public const string ImplicitNamePrefix = "deviceclass.resource.kubernetes.io/";

    /// <summary>
    /// The DeviceClass that serves an extended resource: among the classes whose <c>extendedResourceName</c> is the
    /// resource, the one created last (ties: the first name in ordinal order); for
    /// <c>deviceclass.resource.kubernetes.io/&lt;name&gt;</c>, the class of that name.
    /// </summary>
    /// <param name="resourceName">The resource name.</param>
    /// <param name="deviceClasses">The cluster's DeviceClasses.</param>
    /// <returns>The class, or null when none maps the resource.</returns>
    public static V1DeviceClass? ResolveDeviceClass(string resourceName, IEnumerable<V1DeviceClass> deviceClasses)
    {
        ArgumentNullException.ThrowIfNull(resourceName);
        ArgumentNullException.ThrowIfNull(deviceClasses);
        V1DeviceClass? best = null;
        foreach (var c in deviceClasses)
        {
            var name = c.Metadata?.Name;
            if (name is null)
            {
                continue;
            }
            var matches = c.Spec?.ExtendedResourceName == resourceName || ImplicitNamePrefix + name == resourceName;
            if (matches && (best is null || Better(c, best)))
            {
                best = c;
            }
        }
        return best;

        static bool Better(V1DeviceClass candidate, V1DeviceClass current)
        {
            var a = candidate.Metadata.CreationTimestamp ?? DateTime.MinValue;
            var b = current.Metadata.CreationTimestamp ?? DateTime.MinValue;
            return a != b ? a > b : string.CompareOrdinal(candidate.Metadata.Name, current.Metadata.Name) < 0;
        }
    }

    /// <summary>
    /// Whether a resource name can be backed by DRA: an extended resource name (a domain-prefixed name outside
    /// <c>kubernetes.io/</c>, not <c>requests.</c>-prefixed) or an implicit <c>deviceclass.resource.kubernetes.io/</c> name.
    /// </summary>
    /// <param name="resourceName">The resource name.</param>
    /// <returns>True for an extended resource name.</returns>
    public static bool IsExtendedResourceName(string resourceName)
    {
        ArgumentNullException.ThrowIfNull(resourceName);
        if (resourceName.StartsWith(ImplicitNamePrefix, StringComparison.Ordinal))
        {
            return true;
        }
        var slash = resourceName.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || resourceName.StartsWith("requests.", StringComparison.Ordinal))
        {
            return false;
        }
        var domain = resourceName[..slash];
        return domain != "kubernetes.io" && !domain.EndsWith(".kubernetes.io", StringComparison.Ordinal);
    }

    /// <summary>
    /// Builds the claim the scheduler would create for the pod's extended resources on a node.
    /// A container's quantity is its request, or its limit where no request is given (the API server's defaulting).
    /// Init containers that run to completion reuse the devices of the containers after them where those suffice,
    /// and share one request sized for the largest of them, as the scheduler does.
    /// </summary>
    /// <param name="pod">The pod.</param>
    /// <param name="deviceClasses">The cluster's DeviceClasses.</param>
    /// <param name="nodeAllocatable">The node's <c>status.allocatable</c>; a resource in it with a non-zero quantity is the device plugin's.</param>
    /// <returns>The claim (null when nothing goes to DRA), the request mappings and the per-resource decisions.</returns>
    /// <exception cref="ArgumentException">A container asks for a fractional quantity of an extended resource.</exception>
    public static ExtendedResourceClaim ForPod(V1Pod pod, IEnumerable<V1DeviceClass> deviceClasses,
        IReadOnlyDictionary<string, ResourceQuantity>? nodeAllocatable = null)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(deviceClasses);
        var classes = deviceClasses.ToList();
        var initCount = pod.Spec?.InitContainers?.Count ?? 0;
        var containers = (pod.Spec?.InitContainers ?? []).Concat(pod.Spec?.Containers ?? []).ToList();
        var quantities = containers.Select(c => Quantities(pod, c)).ToList();

        var names = quantities.SelectMany(q => q.Where(kv => kv.Value > 0 && IsExtendedResourceName(kv.Key)).Select(kv => kv.Key))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var decisions = new List<ExtendedResourceDecision>();
        var requests = new List<V1DeviceRequest>();
        var mappings = new List<V1ContainerExtendedResourceRequest>();
        foreach (var name in names)
        {
            var cls = ResolveDeviceClass(name, classes);
            long? allocatable = nodeAllocatable is not null && nodeAllocatable.TryGetValue(name, out var q) && q is not null
                ? (long)decimal.Floor(q.ToDecimal())
                : null;
            var source = cls is not null && (allocatable ?? 0) == 0 ? ExtendedResourceSource.Dra
                : allocatable is not null ? ExtendedResourceSource.DevicePlugin
                : ExtendedResourceSource.Unavailable;
            decisions.Add(new ExtendedResourceDecision { ResourceName = name, DeviceClass = cls?.Metadata.Name, Source = source, NodeAllocatable = allocatable });
            if (source == ExtendedResourceSource.Dra)
            {
                AddRequests(name, cls!.Metadata.Name, containers, quantities, initCount, requests, mappings);
            }
        }
        requests.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));

        Resourcev1ResourceClaim? claim = null;
        if (requests.Count > 0)
        {
            var podName = pod.Metadata?.Name ?? "pod";
            claim = new Resourcev1ResourceClaim
            {
                ApiVersion = "resource.k8s.io/v1",
                Kind = "ResourceClaim",
                Metadata = new V1ObjectMeta
                {
                    Name = podName + "-extended-resources",
                    GenerateName = podName + "-extended-resources-",
                    NamespaceProperty = pod.Metadata?.NamespaceProperty ?? "default",
                    Annotations = new Dictionary<string, string>(StringComparer.Ordinal) { [ClaimAnnotation] = "true" },
                    OwnerReferences =
                    [
                        new V1OwnerReference { ApiVersion = "v1", Kind = "Pod", Name = podName, Uid = pod.Metadata?.Uid, Controller = true },
                    ],
                },
                Spec = new V1ResourceClaimSpec { Devices = new V1DeviceClaim { Requests = requests } },
            };
        }
        return new ExtendedResourceClaim { Claim = claim, RequestMappings = mappings, Resources = decisions };
    }

    /// <summary>The requests of one resource: one per long-lived container, one shared by the run-to-completion init containers that need more than what follows them.</summary>
    private static void AddRequests(string resource, string className, List<V1Container> containers, List<SortedDictionary<string, long>> quantities,
        int initCount, List<V1DeviceRequest> requests, List<V1ContainerExtendedResourceRequest> mappings)
    {
        var longLived = new V1DeviceRequest?[containers.Count];
        var shortLivedIndices = new List<int>();
        var longMappings = new List<V1ContainerExtendedResourceRequest>();
        for (var i = 0; i < containers.Count; i++)
        {
            var sidecar = containers[i].RestartPolicy == "Always";
            if (i < initCount && !sidecar)
            {
                shortLivedIndices.Add(i);
                continue;
            }
            if (quantities[i].TryGetValue(resource, out var count) && count > 0)
            {
                longLived[i] = Request(i, resource, className, count, quantities[i]);
                longMappings.Add(Mapping(containers[i], resource, longLived[i]!.Name));
            }
        }

        V1DeviceRequest? largest = null;
        var shortNames = new HashSet<string>(StringComparer.Ordinal);
        var shortMappings = new List<V1ContainerExtendedResourceRequest>();
        foreach (var i in shortLivedIndices)
        {
            if (!quantities[i].TryGetValue(resource, out var needed) || needed <= 0)
            {
                continue;
            }
            // The devices of the containers that start after this one are free while it runs: reuse them first.
            long reused = 0;
            for (var j = i; j < containers.Count && reused < needed; j++)
            {
                if (longLived[j] is { } later)
                {
                    reused += later.Exactly.Count ?? 1;
                    shortMappings.Add(Mapping(containers[i], resource, later.Name));
                }
            }
            if (reused >= needed)
            {
                continue;
            }
            var own = Request(i, resource, className, needed - reused, quantities[i]);
            shortNames.Add(own.Name);
            shortMappings.Add(Mapping(containers[i], resource, own.Name));
            if (largest is null || largest.Exactly.Count < own.Exactly.Count)
            {
                largest = own;
            }
        }
        if (largest is not null)
        {
            // Init containers run one after another: the largest of their own requests serves them all.
            foreach (var m in shortMappings.Where(m => shortNames.Contains(m.RequestName)))
            {
                m.RequestName = largest.Name;
            }
            requests.Add(largest);
        }
        requests.AddRange(longLived.Where(r => r is not null)!);
        mappings.AddRange(longMappings);
        mappings.AddRange(shortMappings);
    }

    private static V1DeviceRequest Request(int containerIndex, string resource, string className, long count, SortedDictionary<string, long> containerQuantities)
    {
        var resourceIndex = containerQuantities.Keys.ToList().IndexOf(resource);
        return new V1DeviceRequest
        {
            Name = $"container-{containerIndex}-request-{resourceIndex}",
            Exactly = new V1ExactDeviceRequest { DeviceClassName = className, AllocationMode = "ExactCount", Count = count },
        };
    }

    private static V1ContainerExtendedResourceRequest Mapping(V1Container container, string resource, string request) =>
        new() { ContainerName = container.Name, ResourceName = resource, RequestName = request };

    /// <summary>A container's requests by name in ordinal order (a limit stands for a missing request); only whole quantities of extended resources count.</summary>
    private static SortedDictionary<string, long> Quantities(V1Pod pod, V1Container container)
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var requests = container.Resources?.Requests ?? new Dictionary<string, ResourceQuantity>();
        var limits = container.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>();
        foreach (var name in requests.Keys.Concat(limits.Keys).Distinct(StringComparer.Ordinal))
        {
            var quantity = requests.TryGetValue(name, out var r) && r is not null ? r : limits[name];
            var value = quantity?.ToDecimal() ?? 0;
            if (IsExtendedResourceName(name) && value != decimal.Floor(value))
            {
                throw new ArgumentException(
                    $"pod {pod.Metadata?.NamespaceProperty ?? "default"}/{pod.Metadata?.Name}: container {container.Name}: {name}: {quantity} is not a whole number", nameof(pod));
            }
            result[name] = value > long.MaxValue ? long.MaxValue : (long)decimal.Floor(value);
        }
        return result;
    }
}
