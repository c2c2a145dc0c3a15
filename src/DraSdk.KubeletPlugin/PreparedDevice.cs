using k8s.Models;

namespace DraSdk.KubeletPlugin;

/// <summary>A device prepared for a claim, as reported to the kubelet.</summary>
/// <param name="PoolName">The pool the device was allocated from.</param>
/// <param name="DeviceName">The device's name within its pool.</param>
/// <param name="CdiDeviceIds">Fully qualified CDI device ids (<c>vendor/class=name</c>) the runtime injects into containers.</param>
public sealed record PreparedDevice(string PoolName, string DeviceName, IReadOnlyList<string> CdiDeviceIds)
{
    /// <summary>
    /// The requests this device was allocated for; empty means all requests of the claim. Subrequest names
    /// (<c>request/subrequest</c>) are accepted and reduced to the base request name on the wire.
    /// </summary>
    public IReadOnlyList<string> Requests { get; init; } = [];

    /// <summary>The share id of a device allocated with consumable capacity; sent only over DRA v1.</summary>
    public string? ShareId { get; init; }

    /// <summary>
    /// The device's status for the claim's <c>status.devices</c>, written after the prepare is answered when the driver
    /// was added with <c>AddClaimDeviceStatus()</c>; ignored otherwise. A failed write never fails the prepare.
    /// </summary>
    public DeviceStatus? Status { get; init; }

    /// <summary>Creates the prepared device for one allocation result, carrying its pool, device, request and share id.</summary>
    /// <param name="allocation">The allocation result (from <see cref="PreparableClaim.Devices"/>).</param>
    /// <param name="cdiDeviceIds">The CDI device ids for this device.</param>
    public static PreparedDevice For(V1DeviceRequestAllocationResult allocation, IEnumerable<string> cdiDeviceIds)
    {
        ArgumentNullException.ThrowIfNull(allocation);
        ArgumentNullException.ThrowIfNull(cdiDeviceIds);
        return new PreparedDevice(allocation.Pool, allocation.Device, [.. cdiDeviceIds])
        {
            Requests = [allocation.Request],
            ShareId = allocation.ShareID,
        };
    }
}
