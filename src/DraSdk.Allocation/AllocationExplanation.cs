namespace DraSdk.Allocation;

/// <summary>Why a device cannot serve a request; each device is counted under the first cause that applies.</summary>
public enum ExclusionReason
{
    /// <summary>The device class's selectors do not match the device.</summary>
    ClassSelector,

    /// <summary>The request's own selectors do not match the device.</summary>
    RequestSelector,

    /// <summary>The device is not available on the node (another node's slice, or a node selector that does not match).</summary>
    Node,

    /// <summary>The device's pool is incomplete (being updated) or invalid.</summary>
    Pool,

    /// <summary>The device needs a feature that is switched off (binding conditions, counters).</summary>
    Unsupported,

    /// <summary>The device is allocated to another claim.</summary>
    InUse,

    /// <summary>The device has a NoSchedule or NoExecute taint that the request does not tolerate.</summary>
    Taint,

    /// <summary>The device's shared counters are used up by other devices of its pool.</summary>
    Counters,

    /// <summary>The device's consumable capacity is not enough, or the request violates its request policy.</summary>
    Capacity,

    /// <summary>The device does not fit the claim's matchAttribute or distinctAttribute constraints.</summary>
    Constraint,
}

/// <summary>The explanation for the claims of one pod on one node.</summary>
public sealed class AllocationExplanation
{
    /// <summary>The node.</summary>
    public required string Node { get; init; }

    /// <summary>Whether the claims can be allocated together on the node.</summary>
    public required bool Fits { get; init; }

    /// <summary>Why the input is invalid, when it is; the breakdown may then be partial.</summary>
    public string? Error { get; init; }

    /// <summary>One entry per claim.</summary>
    public required IReadOnlyList<ClaimExplanation> Claims { get; init; }
}

/// <summary>The explanation for one claim.</summary>
public sealed class ClaimExplanation
{
    /// <summary>The claim namespace.</summary>
    public required string Namespace { get; init; }

    /// <summary>The claim name.</summary>
    public required string Name { get; init; }

    /// <summary>One entry per request, or per subrequest of a <c>firstAvailable</c> request.</summary>
    public required IReadOnlyList<RequestExplanation> Requests { get; init; }
}

/// <summary>How many devices were in scope for a request and what removed them.</summary>
public sealed class RequestExplanation
{
    /// <summary>The request name; <c>request/subrequest</c> for a subrequest.</summary>
    public required string Request { get; init; }

    /// <summary>The device class.</summary>
    public required string DeviceClass { get; init; }

    /// <summary><c>ExactCount</c> or <c>All</c>.</summary>
    public required string AllocationMode { get; init; }

    /// <summary>How many devices the request needs; for All, the matching devices on the node.</summary>
    public required int Needed { get; init; }

    /// <summary>How many devices the cluster's current ResourceSlices offer.</summary>
    public required int InScope { get; init; }

    /// <summary>How many devices each cause removed.</summary>
    public required IReadOnlyDictionary<ExclusionReason, int> Removed { get; init; }

    /// <summary>How many devices remain usable for this request on its own.</summary>
    public required int Available { get; init; }

    /// <summary>Whether enough devices remain for this request taken alone.</summary>
    public required bool Satisfiable { get; init; }

    /// <summary>The first selector error met while checking devices, if any.</summary>
    public string? SelectorError { get; init; }
}
