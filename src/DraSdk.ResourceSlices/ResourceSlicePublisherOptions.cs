namespace DraSdk.ResourceSlices;

/// <summary>Tuning of the ResourceSlice publisher. The driver and node names come from <c>DraDriverOptions</c>.</summary>
public class ResourceSlicePublisherOptions
{
    /// <summary>
    /// How often every pool is compared with the watched slices even when nothing changed. Changes by others are seen
    /// through the watch; this is a safety net and costs no API call. Default: 1 minute;
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns it off.
    /// </summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long after a watched change to a pool's slices (by anyone) the pool is synced, so that bursts of events
    /// cost one sync. Changes from <c>Update</c> are synced at once. Default: 1 second.
    /// </summary>
    public TimeSpan SyncDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The wait before the first retry of a failed pool (or list/watch); it doubles with each failure. Default: 100 ms.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between retries. Default: 30 seconds.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a pool the API server refused for good (422, 403, 404) waits before the same write is tried again; a
    /// change of the driver's devices tries at once. Default: 5 minutes.
    /// </summary>
    public TimeSpan PermanentErrorRetryInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The rate of retries over all pools (a token bucket, combined with the per-pool backoff). Default: 10 per second.</summary>
    public double RetryQueriesPerSecond { get; set; } = 10;

    /// <summary>The burst of the retry token bucket. Default: 100.</summary>
    public int RetryBurst { get; set; } = 100;

    /// <summary>
    /// Whether devices may have list-type attributes (<c>Ints</c>, <c>Bools</c>, <c>Strings</c>, <c>Versions</c>).
    /// The API server accepts them only with the <c>DRAListTypeAttributes</c> feature gate, which Kubernetes 1.36 has
    /// off by default: such a server refuses the whole slice (422 <c>exactly one value must be specified</c>). Default:
    /// false, so a device with a list-type attribute is refused by <c>Update</c> before anything is written; set it
    /// when the cluster enables the gate.
    /// </summary>
    public bool ListTypeAttributes { get; set; }

    /// <summary>The field manager recorded for the publisher's writes; defaults to the driver name.</summary>
    public string? FieldManager { get; set; }
}
