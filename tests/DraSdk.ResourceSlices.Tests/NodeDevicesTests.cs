using DraSdk.KubeletPlugin;
using DraSdk.ResourceSlices.Tests.Infrastructure;
using DraSdk.Testing;
using k8s.Models;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Api;

namespace DraSdk.ResourceSlices.Tests;

public sealed class NodeDevicesTests
{
    [Fact]
    public async Task The_slice_and_the_health_stream_follow_one_state()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        var health = new DeviceHealthTracker();
        var devices = new NodeDevices(host.Publisher, health);

        devices.Publish([Gpu(0), Gpu(1)]);
        await EventuallyAsync(() => api.Slices() is [{ Spec.Devices.Count: 2 }], "both devices were published");
        Assert.All(health.Current, h => Assert.Equal(DeviceHealthStatus.Healthy, h.Status));

        // Unhealthy with a taint: tainted in the slice, unhealthy on the stream, with the message.
        var taint = new V1DeviceTaint { Key = "gpu.example.com/xid", Value = "79", Effect = "NoSchedule" };
        devices.ReportHealth("gpu-1", DeviceHealthStatus.Unhealthy, "XID 79: fell off the bus", taint);
        await EventuallyAsync(() => api.Slices().Single().Spec.Devices.Single(d => d.Name == "gpu-1").Taints is { Count: 1 }, "gpu-1 was tainted");
        DeviceHealth gpu1 = health.Current.Single(h => h.DeviceName == "gpu-1");
        Assert.Equal((DeviceHealthStatus.Unhealthy, "XID 79: fell off the bus"), (gpu1.Status, gpu1.Message));
        Assert.Equal("79", Assert.Single(devices.Devices.Single(d => d.Name == "gpu-1").Taints).Value);

        // Healthy again: the taint goes.
        devices.ReportHealth("gpu-1", DeviceHealthStatus.Healthy);
        await EventuallyAsync(() => api.Slices().Single().Spec.Devices.Single(d => d.Name == "gpu-1").Taints is null or { Count: 0 }, "the taint was removed");

        // A device that disappears leaves the slice and the stream.
        devices.Publish([Gpu(0)]);
        await EventuallyAsync(() => api.Slices() is [{ Spec.Devices.Count: 1 }], "gpu-1 left the slice");
        Assert.Equal(["gpu-0"], health.Current.Select(h => h.DeviceName));
        ArgumentException unknown = Assert.Throws<ArgumentException>(() => devices.ReportHealth("gpu-1", DeviceHealthStatus.Unhealthy));
        Assert.Contains("'gpu-1' is not one of the node's published devices", unknown.Message, StringComparison.Ordinal);
    }
}
