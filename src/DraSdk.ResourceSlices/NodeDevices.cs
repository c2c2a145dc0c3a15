using DraSdk.KubeletPlugin;
using k8s.Models;

namespace DraSdk.ResourceSlices;

/// <summary>
/// A node's devices in one place: what the ResourceSlice advertises and what the kubelet's health stream reports stay
/// consistent. Give it the complete device list whenever it changes (a device that disappears leaves both), and report
/// health as it changes; an unhealthy device can carry a taint in the slice, so that the scheduler stops placing new
/// pods on it (<c>NoSchedule</c>) or evicts them (<c>NoExecute</c>). Registered by <c>AddNodeDevices()</c>.
/// </summary>
public sealed class NodeDevices
{
    private readonly Lock _gate = new();
    private readonly IResourceSlicePublisher _publisher;
    private readonly DeviceHealthTracker _health;
    private readonly Dictionary<string, (DeviceHealthStatus Status, string? Message, V1DeviceTaint? Taint)> _reported = new(StringComparer.Ordinal);
    private IReadOnlyList<V1Device> _devices = [];

    /// <summary>Creates the helper over the node's publisher and health tracker.</summary>
    /// <param name="publisher">The node's ResourceSlice publisher.</param>
    /// <param name="health">The health source streamed to the kubelet.</param>
    public NodeDevices(IResourceSlicePublisher publisher, DeviceHealthTracker health)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(health);
        _publisher = publisher;
        _health = health;
    }

    /// <summary>The devices last given, as published (with the taints of unhealthy devices).</summary>
    public IReadOnlyList<V1Device> Devices
    {
        get
        {
            lock (_gate)
            {
                return [.. _devices.Select(WithTaint)];
            }
        }
    }

    /// <summary>
    /// Sets the node's complete device list and publishes it (in the background; see <see cref="IResourceSlicePublisher.Update"/>).
    /// A device is reported healthy unless its health was reported otherwise; devices no longer listed leave the slice
    /// and the health stream.
    /// </summary>
    /// <param name="devices">Every device of the node.</param>
    /// <exception cref="ArgumentException">The devices are not valid; the message names the device and field.</exception>
    public void Publish(IEnumerable<V1Device> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        lock (_gate)
        {
            V1Device[] given = [.. devices];
            foreach (V1Device gone in _devices.Where(d => given.All(g => g.Name != d.Name)))
            {
                _reported.Remove(gone.Name);
                _health.Remove(_publisher.NodeName, gone.Name);
            }

            _devices = given;
            Apply();
        }
    }

    /// <summary>
    /// Reports a device's health on the kubelet's stream; an unhealthy device with a <paramref name="taint"/> is also
    /// tainted in the slice, and the taint goes when the device is reported healthy again.
    /// </summary>
    /// <param name="deviceName">One of the published devices.</param>
    /// <param name="status">Its health.</param>
    /// <param name="message">Why, for the kubelet (and <c>kubectl describe pod</c>); up to 1024 bytes are sent.</param>
    /// <param name="taint">The taint to put on an unhealthy device, if any.</param>
    /// <exception cref="ArgumentException">The device is not one of the published devices.</exception>
    public void ReportHealth(string deviceName, DeviceHealthStatus status, string? message = null, V1DeviceTaint? taint = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceName);
        lock (_gate)
        {
            if (_devices.All(d => d.Name != deviceName))
            {
                throw new ArgumentException($"Device '{deviceName}' is not one of the node's published devices.", nameof(deviceName));
            }

            _reported[deviceName] = (status, message, status == DeviceHealthStatus.Unhealthy ? taint : null);
            Apply();
        }
    }

    // Under _gate: the slice and the stream from the same state.
    private void Apply()
    {
        _publisher.Update(DriverResources.ForNode(_publisher.NodeName, _devices.Select(WithTaint)));
        _health.Report(_devices.Select(d => _reported.TryGetValue(d.Name, out var r)
            ? new DeviceHealth(_publisher.NodeName, d.Name, r.Status) { Message = r.Message }
            : new DeviceHealth(_publisher.NodeName, d.Name, DeviceHealthStatus.Healthy)));
    }

    private V1Device WithTaint(V1Device device) =>
        _reported.TryGetValue(device.Name, out var r) && r.Taint is { } taint
            ? device with { Taints = [.. (device.Taints ?? []).Where(t => t.Key != taint.Key), taint] }
            : device;
}
