using DraSdk.ResourceSlices.Tests.Infrastructure;
using DraSdk.Testing;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Api;

namespace DraSdk.ResourceSlices.Tests;

/// <summary>A 422, 403 or 404 is not retried fast: reported once, surfaced, retried slowly or when the devices change.</summary>
public sealed class PermanentErrorTests
{
    private const string Refusal = "ResourceSlice.resource.k8s.io \"x\" is invalid: spec.devices[0].bindingFailureConditions: Invalid value: []: bindingFailureConditions are required to use bindingConditions";

    [Theory]
    [InlineData(422)]
    [InlineData(403)]
    [InlineData(404)]
    public async Task A_pool_the_server_refuses_for_good_is_reported_once_and_other_pools_keep_publishing(int status)
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api, o => o.PermanentErrorRetryInterval = TimeSpan.FromMinutes(1));
        await host.Publisher.PublishAsync(Resources(("pool-a", [Gpu(0)])), Timeout());

        // Pool b is new (a create, refused); pool a changes (an update, accepted).
        ApiFault refused = api.InjectFault("create", "resourceslices", status, count: null, message: Refusal);
        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => host.Publisher.PublishAsync(Resources(("pool-a", [Gpu(0), Gpu(1)]), ("pool-b", [Gpu(2)])), Timeout()));
        Assert.Contains(Refusal, error.Message, StringComparison.Ordinal);
        Assert.Contains("pool 'pool-b'", error.Message, StringComparison.Ordinal);

        await EventuallyAsync(() => api.Slices().Any(s => s.Spec.Pool.Name == "pool-a" && s.Spec.Devices.Count == 2), "pool a was published");
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        Assert.Equal(1, refused.Hits); // not retried within the minute
        string message = Assert.Single(host.Publisher.Status.PermanentErrors).Value;
        Assert.Contains(Refusal, message, StringComparison.Ordinal);
        Assert.Single(host.Logs.Snapshot(), l => l.StartsWith("Error:", StringComparison.Ordinal) && l.Contains("Pool pool-b is refused by the API server", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Snapshot(), l => l.Contains("   at ", StringComparison.Ordinal) && l.StartsWith("Warning:", StringComparison.Ordinal));

        // Not ready (/readyz) while refused, with the pool and the server's words.
        HealthCheckService health = host.Host.Services.GetRequiredService<HealthCheckService>();
        HealthReportEntry slices = (await health.CheckHealthAsync(TestContext.Current.CancellationToken)).Entries["resourceslices"];
        Assert.Equal(HealthStatus.Unhealthy, slices.Status);
        Assert.Contains("pool pool-b: ", slices.Description, StringComparison.Ordinal);
        Assert.Contains(Refusal, slices.Description, StringComparison.Ordinal);

        // The driver's devices change (the fault is gone): tried at once, published, the error cleared.
        api.ClearFaults();
        await host.Publisher.PublishAsync(Resources(("pool-a", [Gpu(0), Gpu(1)]), ("pool-b", [Gpu(3)])), Timeout());
        Assert.Contains(api.Slices(), s => s.Spec.Pool.Name == "pool-b");
        Assert.Empty(host.Publisher.Status.PermanentErrors);
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(TestContext.Current.CancellationToken)).Entries["resourceslices"].Status);
    }

    [Fact]
    public async Task A_list_the_server_forbids_is_reported_once_and_not_retried_fast()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api, o => o.PermanentErrorRetryInterval = TimeSpan.FromMinutes(1));
        ApiFault forbidden = api.InjectFault("list", "resourceslices", 403, count: null, message: "resourceslices.resource.k8s.io is forbidden: User \"system:serviceaccount:dra:gpu\" cannot list resource \"resourceslices\"");

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => host.Publisher.PublishAsync(Resources(("pool-a", [Gpu(0)])), Timeout()));
        Assert.Contains("cannot list resource", error.Message, StringComparison.Ordinal);
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        Assert.Equal(1, forbidden.Hits);
        Assert.Contains("cannot list resource", host.Publisher.Status.PermanentErrors[string.Empty], StringComparison.Ordinal);
        Assert.Single(host.Logs.Snapshot(), l => l.StartsWith("Error:", StringComparison.Ordinal) && l.Contains("Check the driver's RBAC", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_transient_error_is_still_retried_fast()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        ApiFault unavailable = api.InjectFault("create", "resourceslices", 503, count: 3);

        await host.Publisher.PublishAsync(Resources(("pool-a", [Gpu(0)])), Timeout());
        Assert.Equal(3, unavailable.Hits);
        Assert.Empty(host.Publisher.Status.PermanentErrors);
    }

    private static DriverResources Resources(params (string Pool, V1Device[] Devices)[] pools) => new()
    {
        Pools = pools.ToDictionary(p => p.Pool, p => new Pool { Slices = [new Slice { Devices = p.Devices }] }, StringComparer.Ordinal),
    };

    [Fact]
    public async Task List_type_attributes_are_refused_before_writing_unless_enabled_and_a_server_without_the_gate_is_named_in_the_error()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        V1Device device = Gpu(0);
        device.Attributes["models"] = new() { Strings = ["A100", "H100"] };

        // By default (as a 1.36 cluster's default gates): refused by Update, nothing written.
        await using (PublisherHost host = await PublisherHost.StartAsync(api))
        {
            ArgumentException refused = Assert.Throws<ArgumentException>(() => host.Publisher.UpdateDevices([device]));
            Assert.Contains("attribute 'models': a list-type attribute (Ints, Bools, Strings, Versions) needs the DRAListTypeAttributes feature gate", refused.Message, StringComparison.Ordinal);
            Assert.Contains("(spec.devices[0].attributes[models])", refused.Message, StringComparison.Ordinal);
            Assert.Empty(api.SliceWrites());
        }

        // Opted in while the server still has the gate off: the 422 is a permanent error that names the gate.
        await using (PublisherHost host = await PublisherHost.StartAsync(api, o => (o.ListTypeAttributes, o.PermanentErrorRetryInterval) = (true, TimeSpan.FromMinutes(1))))
        {
            InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Publisher.PublishDevicesAsync([device], Timeout()));
            Assert.Contains("spec.devices[0].attributes[models]: Invalid value: \"\": exactly one value must be specified", error.Message, StringComparison.Ordinal);
            Assert.Contains("DRAListTypeAttributes feature gate, off by default in Kubernetes 1.36", error.Message, StringComparison.Ordinal);
            Assert.Contains("DRAListTypeAttributes", Assert.Single(host.Publisher.Status.PermanentErrors).Value, StringComparison.Ordinal);
        }
    }
}
