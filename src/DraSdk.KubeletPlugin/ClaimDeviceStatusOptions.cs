namespace DraSdk.KubeletPlugin;

/// <summary>Settings of the claim device status writer added with <c>AddClaimDeviceStatus()</c>.</summary>
public sealed class ClaimDeviceStatusOptions
{
    /// <summary>
    /// The field manager of the driver's server-side applies; the driver name when null. Must be the same on every node
    /// and differ from other drivers' managers, so that each driver owns exactly its own entries.
    /// </summary>
    public string? FieldManager { get; set; }

    /// <summary>The wait before the first retry of a failed write; doubled at each further failure up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between retries of a failed write.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(2);
}
