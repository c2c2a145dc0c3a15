using System.Text.Json.Nodes;
using DraSdk.Allocation;
using k8s;
using k8s.Models;

namespace DraSdk.Cli;

/// <summary>One of a pod's claims: the entry of <c>spec.resourceClaims</c> and the ResourceClaim it stands for.</summary>
internal sealed record PodClaim(string PodClaimName, Sourced<Resourcev1ResourceClaim> Claim, string? Template);

/// <summary>A pod's claims, as the scheduler sees them on one node: its own and the extended-resource claim.</summary>
internal sealed class PodInput
{
    /// <summary>The annotation the ResourceClaim controller puts on a claim generated from a template.</summary>
    public const string PodClaimNameAnnotation = "resource.kubernetes.io/pod-claim-name";

    public required Sourced<V1Pod> Pod { get; init; }

    /// <summary>The claims of <c>spec.resourceClaims</c>, in order.</summary>
    public required List<PodClaim> Claims { get; init; }

    /// <summary>The extended-resource claim and decisions; its claim is null when nothing goes to DRA.</summary>
    public required ExtendedResourceClaim Extended { get; init; }

    /// <summary>The extended-resource claim as a sourced input, when there is one.</summary>
    public Sourced<Resourcev1ResourceClaim>? ExtendedClaim { get; init; }

    public string Id => $"{Pod.Object.Metadata.NamespaceProperty}/{Pod.Object.Metadata.Name}";

    public static PodInput Resolve(InputSet input, Sourced<V1Pod> sourced, IReadOnlyList<V1DeviceClass> classes,
        IReadOnlyDictionary<string, ResourceQuantity> allocatable)
    {
        var pod = sourced.Object;
        var ns = pod.Metadata.NamespaceProperty;
        var claims = new List<PodClaim>();
        foreach (var entry in pod.Spec?.ResourceClaims ?? [])
        {
            if (entry.ResourceClaimName is { } claimName)
            {
                var found = input.Claims.FirstOrDefault(c => c.Object.Metadata.NamespaceProperty == ns && c.Object.Metadata.Name == claimName)
                    ?? throw new InputException($"{sourced.File}: {sourced.Describe}: spec.resourceClaims[{entry.Name}]: ResourceClaim {ns}/{claimName} is not in the input");
                claims.Add(new(entry.Name, found, null));
            }
            else if (entry.ResourceClaimTemplateName is { } templateName)
            {
                // The claim generated earlier, if the pod's status names it and the input has it.
                var generatedName = pod.Status?.ResourceClaimStatuses?.FirstOrDefault(s => s.Name == entry.Name)?.ResourceClaimName;
                var generated = generatedName is null ? null
                    : input.Claims.FirstOrDefault(c => c.Object.Metadata.NamespaceProperty == ns && c.Object.Metadata.Name == generatedName);
                if (generated is not null)
                {
                    claims.Add(new(entry.Name, generated, templateName));
                    continue;
                }
                var template = input.Templates.FirstOrDefault(t => t.Object.Metadata.NamespaceProperty == ns && t.Object.Metadata.Name == templateName)
                    ?? throw new InputException($"{sourced.File}: {sourced.Describe}: spec.resourceClaims[{entry.Name}]: ResourceClaimTemplate {ns}/{templateName} is not in the input");
                var claim = FromTemplate(pod, entry.Name, template.Object);
                claims.Add(new(entry.Name, new(claim, template.File, $"ResourceClaim {ns}/{claim.Metadata.Name} (from {template.Describe})"), templateName));
            }
            else
            {
                throw new InputException($"{sourced.File}: {sourced.Describe}: spec.resourceClaims[{entry.Name}]: neither resourceClaimName nor resourceClaimTemplateName is set");
            }
        }

        ExtendedResourceClaim extended;
        try
        {
            extended = ExtendedResources.ForPod(pod, classes, allocatable);
        }
        catch (ArgumentException e)
        {
            throw new InputException($"{sourced.File}: {e.Message}");
        }
        Sourced<Resourcev1ResourceClaim>? extendedClaim = null;
        if (extended.Claim is { } built)
        {
            // A claim the scheduler created in an earlier cycle and allocated stays as it is.
            var existing = input.Claims.FirstOrDefault(c =>
                c.Object.Metadata.NamespaceProperty == ns &&
                c.Object.Metadata.Annotations?.TryGetValue(ExtendedResources.ClaimAnnotation, out var v) == true && v == "true" &&
                c.Object.Metadata.OwnerReferences?.Any(o => o.Kind == "Pod" && o.Name == pod.Metadata.Name && o.Controller == true) == true &&
                c.Object.Status?.Allocation is not null);
            extendedClaim = existing ?? new(built, sourced.File, $"ResourceClaim {ns}/{built.Metadata.Name} (extended resources of {sourced.Describe})");
        }
        return new PodInput { Pod = sourced, Claims = claims, Extended = extended, ExtendedClaim = extendedClaim };
    }

    /// <summary>The claim the ResourceClaim controller creates for a pod from a template (named here without its random suffix).</summary>
    private static Resourcev1ResourceClaim FromTemplate(V1Pod pod, string podClaimName, V1ResourceClaimTemplate template)
    {
        var annotations = new Dictionary<string, string>(template.Spec?.Metadata?.Annotations ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [PodClaimNameAnnotation] = podClaimName,
        };
        return new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta
            {
                Name = $"{pod.Metadata.Name}-{podClaimName}",
                GenerateName = $"{pod.Metadata.Name}-{podClaimName}-",
                NamespaceProperty = pod.Metadata.NamespaceProperty,
                Labels = template.Spec?.Metadata?.Labels,
                Annotations = annotations,
                OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "Pod", Name = pod.Metadata.Name, Uid = pod.Metadata.Uid, Controller = true }],
            },
            // A deep copy, so that allocating never touches the template.
            Spec = KubernetesJson.Deserialize<V1ResourceClaimSpec>(KubernetesJson.Serialize(template.Spec?.Spec ?? new V1ResourceClaimSpec())),
        };
    }

    /// <summary>The pod's extended resources and who serves them.</summary>
    public JsonArray ExtendedResourcesJson()
    {
        var array = new JsonArray();
        foreach (var r in Extended.Resources)
        {
            var entry = new JsonObject
            {
                ["resource"] = r.ResourceName,
                ["deviceClass"] = r.DeviceClass,
                ["servedBy"] = ServedBy(r.Source),
            };
            if (r.NodeAllocatable is { } allocatable)
            {
                entry["nodeAllocatable"] = allocatable;
            }
            array.Add(entry);
        }
        return array;
    }

    public static string ServedBy(ExtendedResourceSource source) => source switch
    {
        ExtendedResourceSource.Dra => "dra",
        ExtendedResourceSource.DevicePlugin => "devicePlugin",
        _ => "unavailable",
    };

    /// <summary>
    /// Which devices serve which container: per container, its extended resources (through the request mappings) and
    /// its <c>resources.claims</c> (a whole claim, or one request of it).
    /// </summary>
    public JsonArray ContainersJson(IReadOnlyDictionary<Resourcev1ResourceClaim, V1AllocationResult> results)
    {
        var array = new JsonArray();
        var containers = (Pod.Object.Spec?.InitContainers ?? []).Concat(Pod.Object.Spec?.Containers ?? []);
        foreach (var container in containers)
        {
            foreach (var r in Extended.Resources.Where(r => r.Source != ExtendedResourceSource.Dra))
            {
                if (Requests(container, r.ResourceName))
                {
                    array.Add(new JsonObject { ["container"] = container.Name, ["resource"] = r.ResourceName, ["servedBy"] = ServedBy(r.Source) });
                }
            }
            foreach (var mapping in Extended.RequestMappings.Where(m => m.ContainerName == container.Name))
            {
                var claim = ExtendedClaim?.Object;
                array.Add(new JsonObject
                {
                    ["container"] = container.Name,
                    ["resource"] = mapping.ResourceName,
                    ["servedBy"] = "dra",
                    ["claim"] = claim is null ? null : $"{claim.Metadata.NamespaceProperty}/{claim.Metadata.Name}",
                    ["request"] = mapping.RequestName,
                    ["devices"] = Devices(claim, mapping.RequestName, results),
                });
            }
            foreach (var reference in container.Resources?.Claims ?? [])
            {
                var podClaim = Claims.FirstOrDefault(c => c.PodClaimName == reference.Name);
                var claim = podClaim?.Claim.Object;
                array.Add(new JsonObject
                {
                    ["container"] = container.Name,
                    ["podClaim"] = reference.Name,
                    ["servedBy"] = "dra",
                    ["claim"] = claim is null ? null : $"{claim.Metadata.NamespaceProperty}/{claim.Metadata.Name}",
                    ["request"] = reference.Request,
                    ["devices"] = Devices(claim, reference.Request, results),
                });
            }
        }
        return array;

        static bool Requests(V1Container container, string resource) =>
            container.Resources?.Requests?.TryGetValue(resource, out var q) == true && q?.ToDecimal() > 0 ||
            container.Resources?.Limits?.TryGetValue(resource, out var l) == true && l?.ToDecimal() > 0;
    }

    /// <summary>The devices of a claim's allocation for one request (and its subrequests), or all of them.</summary>
    private static JsonArray Devices(Resourcev1ResourceClaim? claim, string? request, IReadOnlyDictionary<Resourcev1ResourceClaim, V1AllocationResult> results)
    {
        var devices = new JsonArray();
        var allocation = claim is null ? null : results.TryGetValue(claim, out var r) ? r : claim.Status?.Allocation;
        foreach (var result in allocation?.Devices?.Results ?? [])
        {
            if (string.IsNullOrEmpty(request) || result.Request == request || result.Request.StartsWith(request + "/", StringComparison.Ordinal))
            {
                devices.Add($"{result.Driver}/{result.Pool}/{result.Device}");
            }
        }
        return devices;
    }

    /// <summary>What the scheduler writes to <c>pod.status.extendedResourceClaimStatus</c>.</summary>
    public JsonObject? ExtendedStatusJson()
    {
        if (ExtendedClaim is null)
        {
            return null;
        }
        var mappings = new JsonArray();
        foreach (var m in Extended.RequestMappings)
        {
            mappings.Add(new JsonObject { ["containerName"] = m.ContainerName, ["resourceName"] = m.ResourceName, ["requestName"] = m.RequestName });
        }
        return new JsonObject { ["resourceClaimName"] = ExtendedClaim.Object.Metadata.Name, ["requestMappings"] = mappings };
    }
}
