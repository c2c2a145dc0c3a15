using DraSdk.KubeletPlugin;
using DraSdk.ResourceSlices;
using Microsoft.Extensions.Hosting;

namespace Acme.DeviceDriver.Devices;

/// <summary>At start, publishes the discovered devices as the node's ResourceSlice and reports them healthy.</summary>
internal sealed class DevicePublisher(FakeDeviceDiscovery devices, IResourceSlicePublisher publisher, DeviceHealthTracker health) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Non-blocking: the publisher converges in the background and retries while the API server is unreachable.
        publisher.Update(DriverResources.ForNode(publisher.NodeName, devices.ToResourceSliceDevices()));
        health.Report(devices.Devices.Select(d => new DeviceHealth(publisher.NodeName, d.Name, DeviceHealthStatus.Healthy)));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
