namespace DraSdk.Checkpoint;

/// <summary>
/// Settings for <see cref="PreparedClaimStore"/>. A plain settable class, so it can be bound from
/// configuration with the options pattern (<c>services.Configure&lt;PreparedClaimStoreOptions&gt;(...)</c>).
/// </summary>
public sealed class PreparedClaimStoreOptions
{
    /// <summary>The default checkpoint file name.</summary>
    public const string DefaultFileName = "checkpoint.json";

    /// <summary>Where Linux exposes the id of the current boot.</summary>
    public const string DefaultBootIdPath = "/proc/sys/kernel/random/boot_id";

    /// <summary>
    /// The directory that holds the checkpoint. Required. It must survive reboots and container restarts;
    /// the usual choice is the driver's kubelet plugin directory, <c>/var/lib/kubelet/plugins/&lt;driver&gt;</c>.
    /// Created on the first save if missing.
    /// </summary>
    public string CheckpointDirectory { get; set; } = string.Empty;

    /// <summary>The checkpoint's file name within <see cref="CheckpointDirectory"/>. Defaults to <c>checkpoint.json</c>.</summary>
    public string FileName { get; set; } = DefaultFileName;

    /// <summary>
    /// The file to read the node's boot id from. Defaults to <see cref="DefaultBootIdPath"/>; tests point it at
    /// a file of their own. Null or empty turns reboot detection off.
    /// </summary>
    public string? BootIdPath { get; set; } = DefaultBootIdPath;

    /// <summary>The permissions the checkpoint file is written with. Defaults to 0600 (owner read/write).</summary>
    public UnixFileMode FileMode { get; set; } = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Whether every write is flushed to disk (the file and its directory, fsync) before it returns. Default: true.
    /// Without it, a write still survives any kill of the process (the rename is atomic and the page cache outlives
    /// the process), but not a power loss; use it only for records that are worthless after a reboot, such as the
    /// intents of prepares in flight.
    /// </summary>
    public bool Durable { get; set; } = true;

    /// <summary>
    /// The clock used for <see cref="PreparedClaimRecord.UpdatedAt"/> and for naming set-aside files.
    /// Defaults to <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// The largest checkpoint file that is read; a bigger file is set aside as corrupt rather than read into
    /// memory. Defaults to 64 MiB.
    /// </summary>
    public long MaxFileSizeBytes { get; set; } = 64L * 1024 * 1024;
}
