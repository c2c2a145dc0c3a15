using k8s.Models;

namespace DraSdk.KubeletPlugin;

/// <summary>
/// Reports per-device status on ResourceClaims (<c>status.devices</c>, KEP-4817); added with
/// <c>AddClaimDeviceStatus()</c>. Every call only records and queues: the SDK writes in the background with server-side
/// apply under the driver's own field manager (entries of other drivers are never touched), retries failed writes with
/// backoff, and never delays or fails a prepare. The SDK itself reports the <see cref="PreparedDevice.Status"/> of
/// prepared devices and removes the driver's entries when a claim is unprepared.
/// </summary>
public interface IClaimDeviceStatus
{
    /// <summary>Sets the status of one device of a claim (replacing what was reported for it before) and queues the write.</summary>
    /// <param name="claim">The claim.</param>
    /// <param name="poolName">The device's pool, as allocated.</param>
    /// <param name="deviceName">The device's name, as allocated.</param>
    /// <param name="status">The status.</param>
    /// <param name="shareId">The allocation's share id, for a device allocated with consumable capacity.</param>
    /// <exception cref="ArgumentException">The status exceeds an API limit; the message names the claim, the device and the field.</exception>
    void Report(ClaimReference claim, string poolName, string deviceName, DeviceStatus status, string? shareId = null);

    /// <summary>
    /// Sets one condition (by type) on a device in every claim this driver reports status for, for example after a
    /// health change; claims without a reported status for the device are left alone.
    /// </summary>
    /// <param name="poolName">The device's pool.</param>
    /// <param name="deviceName">The device's name.</param>
    /// <param name="condition">The condition; it replaces the device's condition of the same type.</param>
    /// <returns>How many claims were updated; a condition equal to the one recorded changes nothing and is not written.</returns>
    int ReportCondition(string poolName, string deviceName, V1Condition condition);

    /// <summary>Removes this driver's entries from a claim's status (queued); the SDK does this at unprepare.</summary>
    /// <param name="claim">The claim.</param>
    void Clear(ClaimReference claim);

    /// <summary>Waits until every queued write has been written (or dropped because it cannot succeed); for tests and shutdown.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when nothing is queued.</returns>
    Task WhenWrittenAsync(CancellationToken cancellationToken = default);
}
