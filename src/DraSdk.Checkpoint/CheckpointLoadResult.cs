namespace DraSdk.Checkpoint;

/// <summary>What <see cref="PreparedClaimStore.LoadAsync"/> found on disk.</summary>
public enum CheckpointLoadStatus
{
    /// <summary>There was no checkpoint; the store starts empty. Normal on a driver's first start.</summary>
    NotFound = 1,

    /// <summary>A valid checkpoint written during the current boot was loaded.</summary>
    Loaded = 2,

    /// <summary>
    /// A valid checkpoint was loaded, but it was written during an earlier boot of the node. Its claims are
    /// returned; runtime state that does not survive a reboot must be re-created for them (see
    /// <see cref="CheckpointLoadResult.RecordsNeedingRecreation"/>).
    /// </summary>
    BootChanged = 3,

    /// <summary>
    /// The checkpoint could not be used (see <see cref="CheckpointLoadResult.SetAsideReason"/>). It was moved
    /// aside to <see cref="CheckpointLoadResult.SetAsidePath"/> and the store starts empty.
    /// </summary>
    SetAside = 4,
}

/// <summary>Why a checkpoint file was set aside instead of loaded.</summary>
public enum CheckpointSetAsideReason
{
    /// <summary>The file exists but could not be read (permissions, I/O error).</summary>
    Unreadable = 1,

    /// <summary>The file is larger than <see cref="PreparedClaimStoreOptions.MaxFileSizeBytes"/>.</summary>
    TooLarge = 2,

    /// <summary>The file is empty or its JSON ends early.</summary>
    Truncated = 3,

    /// <summary>The file is not valid JSON.</summary>
    InvalidJson = 4,

    /// <summary>The JSON is not a checkpoint envelope (missing or ill-typed <c>apiVersion</c>, <c>kind</c>, <c>checksum</c> or <c>data</c>).</summary>
    InvalidEnvelope = 5,

    /// <summary>The envelope's <c>kind</c> is not <c>PreparedClaims</c>.</summary>
    WrongKind = 6,

    /// <summary>The <c>apiVersion</c> is unknown to this SDK version (for example written by a newer one).</summary>
    UnsupportedVersion = 7,

    /// <summary>The checksum does not match the <c>data</c> as written.</summary>
    ChecksumMismatch = 8,

    /// <summary>The checksum matches but <c>data</c> does not decode into valid claims.</summary>
    InvalidData = 9,
}

/// <summary>The outcome of loading the checkpoint.</summary>
public sealed class CheckpointLoadResult
{
    internal CheckpointLoadResult()
    {
    }

    /// <summary>What was found.</summary>
    public CheckpointLoadStatus Status { get; init; }

    /// <summary>The checkpoint file's full path.</summary>
    public required string CheckpointPath { get; init; }

    /// <summary>How many claims were loaded.</summary>
    public int ClaimCount { get; init; }

    /// <summary>The boot id of the current boot, or null when it could not be read (or detection is off).</summary>
    public string? CurrentBootId { get; init; }

    /// <summary>The boot id recorded in the loaded checkpoint, if one was loaded.</summary>
    public string? CheckpointBootId { get; init; }

    /// <summary>The <c>apiVersion</c> found in the file, when it had one.</summary>
    public string? ApiVersion { get; init; }

    /// <summary>Why the file was set aside; null unless <see cref="Status"/> is <see cref="CheckpointLoadStatus.SetAside"/>.</summary>
    public CheckpointSetAsideReason? SetAsideReason { get; init; }

    /// <summary>A human-readable explanation of the problem; null unless the file was set aside.</summary>
    public string? SetAsideDetail { get; init; }

    /// <summary>
    /// Where the unusable file was moved (<c>&lt;name&gt;.corrupt-&lt;UTC timestamp&gt;</c>); null when it was not
    /// set aside, or when moving it failed.
    /// </summary>
    public string? SetAsidePath { get; init; }

    /// <summary>
    /// Claims left in <see cref="PreparedClaimState.PrepareStarted"/>: the driver died while preparing them and
    /// must clean up their partial side effects (then remove or re-prepare them).
    /// </summary>
    public IReadOnlyList<PreparedClaimRecord> IncompleteClaims { get; init; } = [];

    /// <summary>
    /// Completed claims saved during another boot: their runtime state (CDI specs on a tmpfs, device setup)
    /// must be re-created, then confirmed with <see cref="PreparedClaimStore.MarkRecreated(string)"/>.
    /// </summary>
    public IReadOnlyList<PreparedClaimRecord> RecordsNeedingRecreation { get; init; } = [];

    /// <summary>True when the file was unusable and set aside.</summary>
    public bool WasSetAside => Status == CheckpointLoadStatus.SetAside;

    /// <inheritdoc />
    public override string ToString() => Status switch
    {
        CheckpointLoadStatus.SetAside => $"{Status} ({SetAsideReason}: {SetAsideDetail}) -> {SetAsidePath ?? "<not moved>"}",
        _ => $"{Status} ({ClaimCount} claims)",
    };
}
