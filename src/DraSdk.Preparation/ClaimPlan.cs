using System.Text.Json;
using DraSdk.Cdi;
using DraSdk.DeviceMetadata;
using DraSdk.KubeletPlugin;
using k8s.Models;

namespace DraSdk.Preparation;

/// <summary>What a claim gets in the container: one entry per allocated device, and edits for the claim as a whole.</summary>
public sealed class ClaimPlan
{
    private readonly List<PlannedDevice> _devices = [];

    private ClaimPlan(string? error) => Error = error;

    /// <summary>Creates an empty plan; add every allocated device with <see cref="Add(V1DeviceRequestAllocationResult, ContainerEdits, DeviceMetadataDetails?, DeviceStatus?)"/>.</summary>
    public ClaimPlan()
        : this(error: null)
    {
    }

    /// <summary>The devices, in the order added.</summary>
    public IReadOnlyList<PlannedDevice> Devices => _devices;

    /// <summary>Edits applied once to every container that gets any device of the claim (the spec's container edits).</summary>
    public ContainerEdits? ClaimEdits { get; set; }

    /// <summary>Data of the driver's own to keep with the claim (e.g. the sharing it applied), for <see cref="IClaimSideEffects"/>.</summary>
    public JsonElement? DriverData { get; set; }

    /// <summary>Why the claim cannot be prepared; null for a plan.</summary>
    public string? Error { get; }

    /// <summary>A claim this driver cannot prepare, with a message for its user (shown in the pod's events).</summary>
    /// <param name="error">What is wrong, and where in the claim.</param>
    public static ClaimPlan Failure(string error)
    {
        ArgumentException.ThrowIfNullOrEmpty(error);
        return new ClaimPlan(error);
    }

    /// <summary>Plans one allocated device: what a container that gets it gets, and optionally what its metadata file and the claim's status say of it.</summary>
    /// <param name="allocation">One of the claim's <c>Devices</c>.</param>
    /// <param name="edits">Its container edits (device nodes, environment, mounts, hooks).</param>
    /// <param name="metadata">Its attributes and network data for the metadata file (<see cref="CdiDriverOptions.DeviceMetadata"/>); null for none.</param>
    /// <param name="status">Its status (uuid, model, …) for the claim's <c>status.devices</c>, written after the prepare is answered when the driver has <c>AddClaimDeviceStatus()</c>; null for none.</param>
    /// <returns>This plan.</returns>
    public ClaimPlan Add(V1DeviceRequestAllocationResult allocation, ContainerEdits edits, DeviceMetadataDetails? metadata = null, DeviceStatus? status = null)
    {
        ArgumentNullException.ThrowIfNull(allocation);
        ArgumentNullException.ThrowIfNull(edits);
        if (Error is not null)
        {
            throw new InvalidOperationException("A failed plan has no devices.");
        }

        _devices.Add(new PlannedDevice
        {
            PoolName = allocation.Pool,
            DeviceName = allocation.Device,
            Requests = [allocation.Request],
            ShareId = allocation.ShareID,
            AdminAccess = allocation.AdminAccess == true,
            Edits = edits,
            Metadata = metadata,
            Status = status,
        });
        return this;
    }
}

/// <summary>
/// One device of a claim, the same from the plan to the checkpoint to the kubelet's answer: what was allocated, what the
/// container gets, and the CDI ids it is known by.
/// </summary>
public sealed record PlannedDevice
{
    /// <summary>The pool (usually the node name).</summary>
    public required string PoolName { get; init; }

    /// <summary>The device's name in its pool.</summary>
    public required string DeviceName { get; init; }

    /// <summary>The requests (<c>request</c> or <c>request/subrequest</c>) it was allocated for.</summary>
    public IReadOnlyList<string> Requests { get; init; } = [];

    /// <summary>The share id of a device allocated to several claims (consumable capacity).</summary>
    public string? ShareId { get; init; }

    /// <summary>Whether it was allocated with admin access (monitoring; shared with the claim that uses it).</summary>
    public bool AdminAccess { get; init; }

    /// <summary>What a container that gets the device gets; null for a device read back from a checkpoint written before edits were kept.</summary>
    public ContainerEdits? Edits { get; init; }

    /// <summary>What the device metadata says of the device (attributes, network data); null for none.</summary>
    public DeviceMetadataDetails? Metadata { get; init; }

    /// <summary>The status to report for the device in the claim's <c>status.devices</c>; not kept in the checkpoint.</summary>
    public DeviceStatus? Status { get; init; }

    /// <summary>The CDI ids the kubelet is answered with; set by the pipeline.</summary>
    public IReadOnlyList<CdiDeviceId> CdiDeviceIds { get; init; } = [];

    /// <summary>Whether another claim may hold the device at the same time (admin access, or a share id).</summary>
    public bool IsShared => AdminAccess || ShareId is not null;
}
