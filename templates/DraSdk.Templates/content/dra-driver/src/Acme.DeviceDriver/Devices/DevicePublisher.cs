using DraSdk.ResourceSlices;
using Microsoft.Extensions.Hosting;

namespace Acme.DeviceDriver.Devices;

/// <summary>
/// At start, publishes the discovered devices as the node's ResourceSlice, healthy on the kubelet's health stream. Call
/// <see cref="NodeDevices.Publish"/> again when devices change, and <see cref="NodeDevices.ReportHealth"/> when one fails.
/// </summary>
internal sealed class DevicePublisher(FakeDeviceDiscovery discovery, NodeDevices devices) : BackgroundService
{
    // Non-blocking: the slice is published once the kubelet registers the driver, and retried while the API server is unreachable.
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        devices.Publish(discovery.ToResourceSliceDevices());
        return Task.CompletedTask;
    }
}
