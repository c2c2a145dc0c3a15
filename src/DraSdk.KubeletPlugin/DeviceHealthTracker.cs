using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace DraSdk.KubeletPlugin;

/// <summary>
/// A ready-made <see cref="IDeviceHealthSource"/>: the driver reports health changes as they happen, and every
/// kubelet stream receives the complete, current list after each change.
/// </summary>
public sealed class DeviceHealthTracker : IDeviceHealthSource
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Pool, string Device), DeviceHealth> _devices = [];
    private readonly List<Channel<IReadOnlyList<DeviceHealth>>> _subscribers = [];
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a tracker.</summary>
    /// <param name="timeProvider">The clock for <see cref="DeviceHealth.LastUpdated"/>; the system clock when null.</param>
    public DeviceHealthTracker(TimeProvider? timeProvider = null) => _timeProvider = timeProvider ?? TimeProvider.System;

    /// <summary>The current health of every reported device.</summary>
    public IReadOnlyList<DeviceHealth> Current
    {
        get
        {
            lock (_gate)
            {
                return Snapshot();
            }
        }
    }

    /// <summary>Records the health of one or more devices and notifies every stream.</summary>
    /// <param name="updates">The new health of each device; other devices keep theirs.</param>
    public void Report(params IEnumerable<DeviceHealth> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        lock (_gate)
        {
            foreach (DeviceHealth update in updates)
            {
                _devices[(update.PoolName, update.DeviceName)] =
                    update.LastUpdated is null ? update with { LastUpdated = _timeProvider.GetUtcNow() } : update;
            }

            Publish();
        }
    }

    /// <summary>Stops reporting a device (for example after it disappeared) and notifies every stream.</summary>
    /// <param name="poolName">The device's pool.</param>
    /// <param name="deviceName">The device's name.</param>
    public void Remove(string poolName, string deviceName)
    {
        lock (_gate)
        {
            if (_devices.Remove((poolName, deviceName)))
            {
                Publish();
            }
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<IReadOnlyList<DeviceHealth>> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<IReadOnlyList<DeviceHealth>>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest, // only the newest complete list matters
            SingleReader = true,
        });
        lock (_gate)
        {
            _subscribers.Add(channel);
            if (_devices.Count > 0)
            {
                channel.Writer.TryWrite(Snapshot());
            }
        }

        try
        {
            await foreach (IReadOnlyList<DeviceHealth> snapshot in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return snapshot;
            }
        }
        finally
        {
            lock (_gate)
            {
                _subscribers.Remove(channel);
            }
        }
    }

    private DeviceHealth[] Snapshot() =>
        [.. _devices.Values.OrderBy(d => d.PoolName, StringComparer.Ordinal).ThenBy(d => d.DeviceName, StringComparer.Ordinal)];

    private void Publish()
    {
        DeviceHealth[] snapshot = Snapshot();
        foreach (Channel<IReadOnlyList<DeviceHealth>> subscriber in _subscribers)
        {
            subscriber.Writer.TryWrite(snapshot);
        }
    }
}
