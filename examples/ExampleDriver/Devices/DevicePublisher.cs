using DraSdk.KubeletPlugin;
using DraSdk.ResourceSlices;
using Microsoft.Extensions.Hosting;

namespace ExampleDriver.Devices;

/// <summary>At start, publishes the discovered GPUs as the node's ResourceSlice and reports them healthy.</summary>
internal sealed class DevicePublisher(
    FakeGpuDiscovery gpus,
    IResourceSlicePublisher publisher,
    DeviceHealthTracker health) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Non-blocking: the publisher converges in the background and retries while the API server is unreachable.
        publisher.Update(DriverResources.ForNode(publisher.NodeName, gpus.ToResourceSliceDevices()));
        health.Report(gpus.Gpus.Select(g => new DeviceHealth(publisher.NodeName, g.Name, DeviceHealthStatus.Healthy)));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
