using k8s.Models;

namespace DraSdk.Allocation.Internal;

/// <summary>A device that may be allocated: where it is and what it is.</summary>
internal readonly record struct Candidate(DeviceId Id, V1Device Device, V1ResourceSlice Slice, Pool Pool);

/// <summary>One request, or one subrequest of a <c>firstAvailable</c> request, ready for allocation.</summary>
internal sealed class RequestData
{
    public required string Name { get; init; }
    public string? Parent { get; init; }
    public required V1DeviceClass Class { get; init; }
    public required string ClassName { get; init; }
    public bool All { get; init; }
    public int NumDevices { get; set; }
    public bool AdminAccess { get; init; }
    public IList<V1DeviceSelector>? Selectors { get; init; }
    public IList<V1DeviceToleration>? Tolerations { get; init; }
    public IDictionary<string, ResourceQuantity>? Capacity { get; init; }
    public List<Candidate>? AllDevices { get; set; }

    public string FullName => Parent is null ? Name : $"{Parent}/{Name}";

    /// <summary>Names the class in selector error messages.</summary>
    public string ClassOwner => field ??= $"class {ClassName}";
}

/// <summary>Reads claims into <see cref="RequestData"/>, rejecting what the allocator cannot handle.</summary>
internal static class RequestReader
{
    public const int MaxResults = 32;

    public static string ClaimName(Resourcev1ResourceClaim claim) =>
        $"{claim.Metadata?.NamespaceProperty ?? "default"}/{claim.Metadata?.Name}";

    /// <summary>Returns, per request, its subrequests (one entry without a parent when it has none).</summary>
    public static RequestData[][] Read(Resourcev1ResourceClaim claim, ClusterIndex index, AllocatorFeatures features)
    {
        var name = ClaimName(claim);
        var requests = claim.Spec?.Devices?.Requests ?? [];
        var result = new RequestData[requests.Count][];
        for (var r = 0; r < requests.Count; r++)
        {
            var request = requests[r];
            var hasSub = request.FirstAvailable is { Count: > 0 };
            if (hasSub && !features.HasFlag(AllocatorFeatures.PrioritizedList))
            {
                throw Error(name, $"claim {name}, request {request.Name}: has subrequests, but the DRAPrioritizedList feature is disabled");
            }
            if (!features.HasFlag(AllocatorFeatures.ConsumableCapacity))
            {
                if (request.Exactly?.Capacity is not null)
                {
                    throw Error(name, $"claim {name}, request {request.Name}: has capacity requests, but the DRAConsumableCapacity feature is disabled");
                }
                foreach (var sub in request.FirstAvailable ?? [])
                {
                    if (sub.Capacity is not null)
                    {
                        throw Error(name, $"claim {name}, subrequest {sub.Name}: has capacity requests, but the DRAConsumableCapacity feature is disabled");
                    }
                }
            }
            if (hasSub)
            {
                result[r] = request.FirstAvailable!.Select(sub => Build(name, index, features, sub.Name, request.Name,
                    sub.DeviceClassName, sub.AllocationMode, sub.Count, null, sub.Selectors, sub.Tolerations, sub.Capacity?.Requests)).ToArray();
            }
            else if (request.Exactly is { } exactly)
            {
                result[r] = [Build(name, index, features, request.Name, null, exactly.DeviceClassName, exactly.AllocationMode,
                    exactly.Count, exactly.AdminAccess, exactly.Selectors, exactly.Tolerations, exactly.Capacity?.Requests)];
            }
            else
            {
                throw Error(name, $"claim {name}, request {request.Name}: neither exactly nor firstAvailable is set (unsupported request type?)");
            }
        }
        return result;
    }

    private static RequestData Build(string claim, ClusterIndex index, AllocatorFeatures features, string requestName, string? parent,
        string? className, string? mode, long? count, bool? adminAccess, IList<V1DeviceSelector>? selectors,
        IList<V1DeviceToleration>? tolerations, IDictionary<string, ResourceQuantity>? capacity)
    {
        var shown = parent is null ? requestName : $"{parent}/{requestName}";
        for (var i = 0; i < (selectors?.Count ?? 0); i++)
        {
            if (selectors![i]?.Cel is null)
            {
                throw Error(claim, $"claim {claim}, request {shown}, selector #{i}: CEL expression empty (unsupported selector type?)");
            }
        }
        if (adminAccess is not null && !features.HasFlag(AllocatorFeatures.AdminAccess))
        {
            throw Error(claim, $"claim {claim}, request {shown}: admin access is requested, but the feature is disabled");
        }
        if (string.IsNullOrEmpty(className))
        {
            throw Error(claim, $"claim {claim}, request {shown}: missing device class name (unsupported request type?)");
        }
        if (!index.Classes.TryGetValue(className, out var deviceClass))
        {
            throw Error(claim, $"claim {claim}, request {shown}: could not retrieve device class {className}: deviceclass \"{className}\" not found");
        }
        var all = mode switch
        {
            null or "" or "ExactCount" => false,
            "All" => true,
            _ => throw Error(claim, $"claim {claim}, request {shown}: unsupported count mode {mode}"),
        };
        var numDevices = 0;
        if (!all)
        {
            var n = count ?? 1;
            if (n > int.MaxValue || n < 0)
            {
                throw Error(claim, $"claim {claim}, request {shown}: exact count {n} is too large");
            }
            numDevices = (int)n;
        }
        return new RequestData
        {
            Name = requestName,
            Parent = parent,
            Class = deviceClass,
            ClassName = className,
            All = all,
            NumDevices = numDevices,
            AdminAccess = adminAccess == true,
            Selectors = selectors,
            Tolerations = tolerations is { Count: > 0 } ? tolerations : null,
            Capacity = capacity,
        };
    }

    private static AllocationException Error(string claim, string message) => new(message) { Claim = claim };
}
