namespace DraSdk.ResourceSlices;

/// <summary>Tuning of the ResourceSlice publisher. The driver and node names come from <c>DraDriverOptions</c>.</summary>
public sealed class ResourceSlicePublisherOptions
{
    /// <summary>
    /// How often the publisher compares the published slices with the driver's resources even when nothing changed,
    /// so that a slice deleted or changed by someone else is repaired. Default: 1 minute; <see cref="Timeout.InfiniteTimeSpan"/> turns it off.
    /// </summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The wait before the first retry after an error; it doubles with each failure. Default: 100 ms.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between retries. Default: 30 seconds.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The field manager recorded for the publisher's writes; defaults to the driver name.</summary>
    public string? FieldManager { get; set; }
}
