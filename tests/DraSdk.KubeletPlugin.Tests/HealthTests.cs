using DraSdk.KubeletPlugin.Internal.Grpc;
using DraSdk.KubeletPlugin.Tests.Infrastructure;
using DraSdk.Testing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using HV1 = DraSdk.Kubelet.Api.DraHealth.V1;
using HV1Alpha1 = DraSdk.Kubelet.Api.DraHealth.V1Alpha1;

namespace DraSdk.KubeletPlugin.Tests;

public sealed class HealthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Health_changes_stream_as_complete_lists_in_v1_and_v1alpha1()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>(
            services: s => s.AddSingleton<DeviceHealthTracker>(),
            builder: b => b.AddDeviceHealth<DeviceHealthTracker>());
        KubeletPluginConnection plugin = await host.RegisterAsync();
        DeviceHealthTracker tracker = host.Host.Services.GetRequiredService<DeviceHealthTracker>();
        tracker.Report(new DeviceHealth("node-a", "gpu-0", DeviceHealthStatus.Healthy), new DeviceHealth("node-a", "gpu-1", DeviceHealthStatus.Healthy));

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        using AsyncServerStreamingCall<HV1.NodeWatchResourcesResponse> v1 = plugin.HealthV1.NodeWatchResources(new HV1.NodeWatchResourcesRequest(), cancellationToken: cts.Token);
        using AsyncServerStreamingCall<HV1Alpha1.NodeWatchResourcesResponse> alpha = plugin.HealthV1Alpha1.NodeWatchResources(new HV1Alpha1.NodeWatchResourcesRequest(), cancellationToken: cts.Token);

        Assert.True(await v1.ResponseStream.MoveNext(cts.Token));
        Assert.Equal(2, v1.ResponseStream.Current.Devices.Count);
        Assert.All(v1.ResponseStream.Current.Devices, d => Assert.Equal(HV1.HealthStatus.Healthy, d.Health));
        Assert.True(await alpha.ResponseStream.MoveNext(cts.Token));
        Assert.Equal(2, alpha.ResponseStream.Current.Devices.Count);

        tracker.Report(new DeviceHealth("node-a", "gpu-1", DeviceHealthStatus.Unhealthy) { Message = "XID 79: GPU has fallen off the bus", HealthCheckTimeout = TimeSpan.FromSeconds(60) });

        Assert.True(await v1.ResponseStream.MoveNext(cts.Token));
        HV1.NodeWatchResourcesResponse update = v1.ResponseStream.Current;
        Assert.Equal(2, update.Devices.Count); // the complete list, not just the change
        HV1.DeviceHealth gpu1 = Assert.Single(update.Devices, d => d.Device.DeviceName == "gpu-1");
        Assert.Equal(HV1.HealthStatus.Unhealthy, gpu1.Health);
        Assert.Equal("node-a", gpu1.Device.PoolName);
        Assert.Equal("XID 79: GPU has fallen off the bus", gpu1.Message);
        Assert.Equal(60, gpu1.HealthCheckTimeoutSeconds);
        Assert.InRange(gpu1.LastUpdatedTime, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());

        Assert.True(await alpha.ResponseStream.MoveNext(cts.Token));
        Assert.Equal(HV1Alpha1.HealthStatus.Unhealthy, Assert.Single(alpha.ResponseStream.Current.Devices, d => d.Device.DeviceName == "gpu-1").Health);
    }

    [Fact]
    public void Messages_are_truncated_to_1024_bytes_without_splitting_characters()
    {
        string ascii = new('a', 2000);
        Assert.Equal(1024, HealthStreamer.Truncate(ascii).Length);

        string multibyte = string.Concat(Enumerable.Repeat("é", 700)); // 2 bytes each
        string truncated = HealthStreamer.Truncate(multibyte);
        Assert.Equal(512, truncated.Length);
        Assert.Equal("short", HealthStreamer.Truncate("short"));
    }
}
