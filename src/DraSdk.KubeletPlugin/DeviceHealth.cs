namespace DraSdk.KubeletPlugin;

/// <summary>The health of a device as reported to the kubelet.</summary>
public enum DeviceHealthStatus
{
    /// <summary>Not known.</summary>
    Unknown = 0,

    /// <summary>Working.</summary>
    Healthy = 1,

    /// <summary>Not working; the kubelet reports it in the status of pods that use it.</summary>
    Unhealthy = 2,
}

/// <summary>The health of one device.</summary>
/// <param name="PoolName">The device's pool.</param>
/// <param name="DeviceName">The device's name within its pool.</param>
/// <param name="Status">Its health.</param>
public sealed record DeviceHealth(string PoolName, string DeviceName, DeviceHealthStatus Status)
{
    /// <summary>When the health was last checked; defaults to when the update is sent.</summary>
    public DateTimeOffset? LastUpdated { get; init; }

    /// <summary>How long the kubelet waits for the next update before it considers the device Unknown; null for the kubelet's default.</summary>
    public TimeSpan? HealthCheckTimeout { get; init; }

    /// <summary>Detail for humans; truncated to 1024 bytes on the wire.</summary>
    public string? Message { get; init; }
}

/// <summary>
/// A source of device health for the kubelet's health stream. Each item of the sequence is the complete list
/// of the driver's devices; devices left out become Unknown after a timeout.
/// </summary>
public interface IDeviceHealthSource
{
    /// <summary>Streams complete health snapshots until cancelled; called once per kubelet stream.</summary>
    /// <param name="cancellationToken">Cancelled when the kubelet closes the stream or the driver stops.</param>
    IAsyncEnumerable<IReadOnlyList<DeviceHealth>> WatchAsync(CancellationToken cancellationToken);
}
