using DraSdk.ResourceSlices.Tests.Infrastructure;
using DraSdk.Testing;
using k8s.Models;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Api;

namespace DraSdk.ResourceSlices.Tests;

public sealed class DroppedFieldsTests
{
    [Fact]
    public async Task Fields_dropped_by_a_disabled_feature_gate_are_reported_once_without_an_update_loop()
    {
        var options = new InMemoryApiServerOptions { DisabledFeatureGates = { "DRADeviceTaints" } };
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(options, TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api, o => o.ResyncInterval = TimeSpan.FromMilliseconds(30));
        V1Device unhealthy = Gpu(1);
        unhealthy.Taints = [new V1DeviceTaint { Key = "gpu.example.com/unhealthy", Value = "ecc", Effect = "NoSchedule" }];

        await host.Publisher.PublishDevicesAsync([Gpu(0), unhealthy], Timeout());

        V1ResourceSlice slice = Assert.Single(api.Slices());
        Assert.Null(slice.Spec.Devices[1].Taints);
        Assert.Equal(1, host.Errors.RecoverableCount);
        string report = Assert.Single(host.Logs.Snapshot(), l => l.Contains("dropped", StringComparison.Ordinal));
        Assert.Contains("devices[].taints", report, StringComparison.Ordinal);
        Assert.Contains("DRADeviceTaints", report, StringComparison.Ordinal);
        Assert.Contains($"'{slice.Metadata.Name}' of pool 'node-a'", report, StringComparison.Ordinal);

        // Resyncs every 30 ms and a watch event do not write the slice again.
        api.ClearRequests();
        await Task.Delay(300, TestContext.Current.CancellationToken);
        await host.Publisher.PublishDevicesAsync([Gpu(0), unhealthy], Timeout());
        Assert.Empty(api.SliceWrites());
        Assert.Equal(1, host.Errors.RecoverableCount);

        // A real change is written; the same fields dropped again are not reported again.
        await host.Publisher.PublishDevicesAsync([Gpu(0, "H100"), unhealthy], Timeout());
        Assert.Single(api.SliceWrites());
        Assert.Equal("H100", Assert.Single(api.Slices()).Spec.Devices[0].Attributes["model"].StringValue);
        Assert.Equal(1, host.Errors.RecoverableCount);
    }

    [Fact]
    public async Task A_device_that_becomes_unhealthy_is_published_with_a_taint()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        await host.Publisher.PublishDevicesAsync([Gpu(0), Gpu(1)], Timeout());
        api.ClearRequests();

        V1Device sick = Gpu(1);
        sick.Taints = [new V1DeviceTaint { Key = "gpu.example.com/unhealthy", Effect = "NoExecute", TimeAdded = new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc) }];
        await host.Publisher.PublishDevicesAsync([Gpu(0), sick], Timeout());

        V1DeviceTaint taint = Assert.Single(Assert.Single(api.Slices()).Spec.Devices[1].Taints);
        Assert.Equal(("gpu.example.com/unhealthy", "NoExecute"), (taint.Key, taint.Effect));
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), taint.TimeAdded); // seconds, as the server keeps them
        Assert.Single(api.SliceWrites());
        Assert.Equal(0, host.Errors.RecoverableCount);
    }
}
