using System.Text.Json;

namespace DraSdk.Checkpoint;

/// <summary>Where a claim stands in the driver's two-phase prepare.</summary>
public enum PreparedClaimState
{
    /// <summary>
    /// The driver has begun preparing the claim and may have applied some side effects (CDI spec, device
    /// configuration) but has not finished. Found at startup, it means the process died mid-prepare: the
    /// driver must undo whatever partial work it can find before preparing again.
    /// </summary>
    PrepareStarted = 1,

    /// <summary>Every side effect of preparing the claim is in place.</summary>
    PrepareCompleted = 2,
}

/// <summary>
/// One prepared (or being-prepared) resource claim as recorded in the checkpoint.
/// </summary>
/// <remarks>
/// Records are immutable; use a <c>with</c> expression to derive a changed copy. <see cref="State"/>,
/// <see cref="BootId"/> and <see cref="UpdatedAt"/> are stamped by <see cref="PreparedClaimStore"/> when a
/// record is saved; whatever the caller puts there is replaced. Equality compares the device lists element by
/// element and <see cref="DriverData"/> structurally.
/// </remarks>
public sealed record PreparedClaimRecord
{
    /// <summary>The ResourceClaim's UID: the key of the record.</summary>
    public required string ClaimUid { get; init; }

    /// <summary>The ResourceClaim's namespace.</summary>
    public required string Namespace { get; init; }

    /// <summary>The ResourceClaim's name.</summary>
    public required string Name { get; init; }

    /// <summary>The prepare phase; set by the store.</summary>
    public PreparedClaimState State { get; init; } = PreparedClaimState.PrepareStarted;

    /// <summary>The devices prepared for the claim, with the CDI device ids handed to the kubelet.</summary>
    public IReadOnlyList<PreparedDeviceRecord> Devices { get; init; } = [];

    /// <summary>
    /// Optional opaque data owned by the driver (for example the configuration it applied), stored verbatim.
    /// The SDK never interprets it.
    /// </summary>
    public JsonElement? DriverData { get; init; }

    /// <summary>
    /// Optional: the claim's CDI spec as written, so that it can be written again when a reboot (a tmpfs
    /// <c>/var/run/cdi</c>) or someone else removed it. Stored verbatim; checkpoints written before this field existed
    /// have none, and older readers ignore it.
    /// </summary>
    public JsonElement? CdiSpec { get; init; }

    /// <summary>
    /// The node boot id under which the record was last saved; set by the store. When it differs from the
    /// current boot id, runtime state that does not survive a reboot (CDI specs on a tmpfs, device
    /// configuration) must be re-created; see <see cref="PreparedClaimStore.RecordsNeedingRecreation"/>.
    /// </summary>
    public string? BootId { get; init; }

    /// <summary>When the record was last saved (UTC); set by the store.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <inheritdoc />
    public bool Equals(PreparedClaimRecord? other) =>
        other is not null
        && string.Equals(ClaimUid, other.ClaimUid, StringComparison.Ordinal)
        && string.Equals(Namespace, other.Namespace, StringComparison.Ordinal)
        && string.Equals(Name, other.Name, StringComparison.Ordinal)
        && State == other.State
        && string.Equals(BootId, other.BootId, StringComparison.Ordinal)
        && UpdatedAt == other.UpdatedAt
        && Devices.SequenceEqual(other.Devices)
        && DriverDataEquals(DriverData, other.DriverData)
        && DriverDataEquals(CdiSpec, other.CdiSpec);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(ClaimUid, State, Devices.Count, UpdatedAt);

    private static bool DriverDataEquals(JsonElement? a, JsonElement? b) =>
        (a, b) switch
        {
            (null, null) => true,
            ({ } x, { } y) => JsonElement.DeepEquals(x, y),
            _ => false,
        };
}

/// <summary>One device prepared for a claim.</summary>
public sealed record PreparedDeviceRecord
{
    /// <summary>The names of the claim's requests this device was allocated for.</summary>
    public IReadOnlyList<string> Requests { get; init; } = [];

    /// <summary>The pool the device belongs to (usually the node name).</summary>
    public required string PoolName { get; init; }

    /// <summary>The device's name within its pool.</summary>
    public required string DeviceName { get; init; }

    /// <summary>The fully qualified CDI device ids returned to the kubelet for this device.</summary>
    public IReadOnlyList<string> CdiDeviceIds { get; init; } = [];

    /// <summary>The share id when the device is one of several consumers of a shareable device.</summary>
    public string? ShareId { get; init; }

    /// <summary>Whether the device was prepared with admin access (monitoring: shared with the claim that uses it).</summary>
    public bool AdminAccess { get; init; }

    /// <inheritdoc />
    public bool Equals(PreparedDeviceRecord? other) =>
        other is not null
        && string.Equals(PoolName, other.PoolName, StringComparison.Ordinal)
        && string.Equals(DeviceName, other.DeviceName, StringComparison.Ordinal)
        && string.Equals(ShareId, other.ShareId, StringComparison.Ordinal)
        && AdminAccess == other.AdminAccess
        && Requests.SequenceEqual(other.Requests, StringComparer.Ordinal)
        && CdiDeviceIds.SequenceEqual(other.CdiDeviceIds, StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() =>
        HashCode.Combine(StringComparer.Ordinal.GetHashCode(PoolName), StringComparer.Ordinal.GetHashCode(DeviceName), ShareId is null ? 0 : StringComparer.Ordinal.GetHashCode(ShareId));
}
