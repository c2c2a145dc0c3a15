using DraSdk.ResourceSlices;
using Microsoft.Extensions.Hosting;

namespace ExampleDriver.Devices;

/// <summary>At start, publishes the discovered GPUs as the node's ResourceSlice, healthy on the kubelet's health stream.</summary>
internal sealed class DevicePublisher(FakeGpuDiscovery gpus, NodeDevices devices) : BackgroundService
{
    // Non-blocking: the slice is published once the kubelet registers the driver, and retried while the API server is unreachable.
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        devices.Publish(gpus.ToResourceSliceDevices());
        return Task.CompletedTask;
    }
}
