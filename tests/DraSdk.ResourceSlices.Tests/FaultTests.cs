using DraSdk.ResourceSlices.Tests.Infrastructure;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Api;

namespace DraSdk.ResourceSlices.Tests;

public sealed class FaultTests
{
    [Fact]
    public async Task Conflicts_are_read_again_and_retried_without_reporting_an_error()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());
        ApiFault conflict = api.InjectFault("update", "resourceslices", 409, count: 2);
        api.ClearRequests();

        await host.Publisher.PublishDevicesAsync([Gpu(0), Gpu(1)], Timeout());

        Assert.Equal(2, conflict.Hits);
        // Each conflict re-reads the slice; the watch cache is not listed again.
        Assert.Equal(2, api.Requests.Count(r => r.Resource == "resourceslices" && r.Verb == "get"));
        Assert.DoesNotContain(api.Requests, r => r.Resource == "resourceslices" && r.Verb == "list");
        V1ResourceSlice slice = Assert.Single(api.Slices());
        Assert.Equal(2, slice.Spec.Devices.Count);
        Assert.Equal(1, slice.Spec.Pool.Generation);
        Assert.Equal(0, host.Errors.RecoverableCount);
        Assert.Equal(0, host.Publisher.Status.ConsecutiveFailures);
    }

    [Fact]
    public async Task A_real_conflict_from_a_stale_read_is_retried()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        PublisherHost host = await PublisherHost.StartAsync(api);
        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());
        V1ResourceSlice slice = Assert.Single(api.Slices());
        await host.DisposeAsync();

        // Someone else writes the slice between the publisher's list and its first update.
        int puts = 0;
        var hook = new BeforeRequest(request =>
        {
            if (request.Method == HttpMethod.Put && Interlocked.Increment(ref puts) == 1)
            {
                api.Edit<V1ResourceSlice>(slice.Metadata.Name, s => s.Metadata.Labels = new Dictionary<string, string> { ["touched"] = "yes" });
            }

            return Task.CompletedTask;
        });
        using var client = new Kubernetes(api.CreateClientConfiguration(), hook);
        await using PublisherHost second = await PublisherHost.StartAsync(api, client: client);
        api.ClearRequests();

        await second.Publisher.PublishDevicesAsync([Gpu(0), Gpu(1)], Timeout());

        V1ResourceSlice updated = Assert.Single(api.Slices());
        Assert.Equal(slice.Metadata.Uid, updated.Metadata.Uid);
        Assert.Equal(2, updated.Spec.Devices.Count);
        Assert.Equal(0, second.Errors.RecoverableCount);

        // The first update lost (409) and the second, after reading the slice again, kept the other writer's change.
        Assert.Equal(2, api.SliceWrites().Count(r => r.Verb == "update"));
        Assert.Single(api.Requests, r => r.Resource == "resourceslices" && r.Verb == "get");
        Assert.Equal("yes", updated.Metadata.Labels["touched"]);
    }

    [Fact]
    public async Task Endless_conflicts_are_reported_and_retried_with_backoff_until_they_stop()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());
        ApiFault conflict = api.InjectFault("update", "resourceslices", 409, count: 12);

        await host.Publisher.PublishDevicesAsync([Gpu(0), Gpu(1)], Timeout());

        Assert.Equal(12, conflict.Hits);
        Assert.Equal(2, host.Errors.RecoverableCount);
        Assert.Equal(2, Assert.Single(api.Slices()).Spec.Devices.Count);
    }

    [Theory]
    [InlineData("create", 500)]
    [InlineData("list", 503)]
    [InlineData("get", 500)]
    [InlineData("create", 429)]
    public async Task Server_errors_are_reported_and_retried_until_the_publisher_converges(string verb, int status)
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        ApiFault fault = api.InjectFault(verb, verb == "get" ? "nodes" : "resourceslices", status, count: 3, message: "injected failure");
        await using PublisherHost host = await PublisherHost.StartAsync(api);

        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());

        Assert.Equal(3, fault.Hits);
        Assert.Equal(3, host.Errors.RecoverableCount);
        V1ResourceSlice slice = Assert.Single(api.Slices());
        Assert.Equal(1, slice.Spec.Pool.Generation);
        ResourceSlicePublisherStatus s = host.Publisher.Status;
        Assert.True(s.IsUpToDate);
        Assert.Equal(0, s.ConsecutiveFailures);
        Assert.Null(s.LastError);
        Assert.NotNull(s.LastErrorTime);
        Assert.Contains(host.Logs.Snapshot(), l => l.StartsWith("Warning:", StringComparison.Ordinal) && l.Contains($"failed with {status}", StringComparison.Ordinal) && l.Contains("injected failure", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_delete_of_a_duplicate_is_retried()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        V1Node node = api.SeedNode();
        api.SeedSlice(node, "node-a", 1, 1, Gpu(0));
        api.SeedSlice(node, "node-a", 1, 1, Gpu(0));
        ApiFault fault = api.InjectFault("delete", "resourceslices", 500, count: 2);
        await using PublisherHost host = await PublisherHost.StartAsync(api);

        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());

        Assert.Equal(2, fault.Hits);
        Assert.Single(api.Slices());
    }

    [Fact]
    public async Task Errors_are_retried_with_exponential_backoff_on_the_injected_time_provider()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        ApiFault fault = api.InjectFault("list", "resourceslices", 500, count: 7);
        var time = new RecordingTimeProvider();
        await using PublisherHost host = await PublisherHost.StartAsync(
            api,
            o =>
            {
                o.InitialBackoff = TimeSpan.FromMilliseconds(10);
                o.MaxBackoff = TimeSpan.FromMilliseconds(80);
                o.SyncDelay = TimeSpan.FromSeconds(5);
            },
            time: time);

        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());

        Assert.Equal(7, fault.Hits);
        Assert.Equal(
            new[] { 10, 20, 40, 80, 80, 80, 80 },
            time.DueTimes.Where(d => d < TimeSpan.FromSeconds(1)).Select(d => (int)d.TotalMilliseconds));
        Assert.Single(api.Slices());
    }

    [Fact]
    public async Task A_publisher_started_before_the_api_server_is_reachable_converges()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        var network = new UnreachableWhileDown();
        using var client = new Kubernetes(api.CreateClientConfiguration(), network);
        await using PublisherHost host = await PublisherHost.StartAsync(api, client: client);

        Task published = host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout(20));
        await EventuallyAsync(() => host.Errors.RecoverableCount >= 3, "a few attempts failed");
        Assert.False(published.IsCompleted);
        ResourceSlicePublisherStatus failing = host.Publisher.Status;
        Assert.False(failing.IsUpToDate);
        Assert.True(failing.ConsecutiveFailures >= 3);
        Assert.IsType<HttpRequestException>(failing.LastError?.InnerException);
        Assert.Empty(api.Slices());

        // Each failed attempt is one warning naming what failed, the attempt and the wait before the next one.
        string[] warnings = [.. host.Logs.Snapshot().Where(l => l.StartsWith("Warning:", StringComparison.Ordinal))];
        Assert.True(warnings.Length >= 3);
        Assert.All(warnings, w => Assert.Matches(@"^Warning: Recoverable error while publishing ResourceSlices \(attempt \d+, next in [\d.]+ (ms|s|min)\): (Listing|Watching) ResourceSlices failed", w));
        Assert.All(warnings, w => Assert.DoesNotContain("\n", w, StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("(attempt 1, ", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("(attempt 3, ", StringComparison.Ordinal));

        network.Down = false;
        await published;

        Assert.Single(api.Slices());
        Assert.True(host.Publisher.Status.IsUpToDate);
        Assert.True(network.Refused >= 3);
    }

    [Fact]
    public async Task A_node_that_does_not_exist_yet_is_waited_for()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        await using PublisherHost host = await PublisherHost.StartAsync(api);

        Task published = host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());
        await EventuallyAsync(() => host.Errors.RecoverableCount >= 1, "the missing node is reported");
        Assert.Contains("Node 'node-a' was not found", host.Publisher.Status.LastError?.Message, StringComparison.Ordinal);
        Assert.Contains("NODE_NAME", host.Publisher.Status.LastError?.Message, StringComparison.Ordinal);

        V1Node node = api.SeedNode();
        await published;
        Assert.Equal(node.Metadata.Uid, Assert.Single(Assert.Single(api.Slices()).Metadata.OwnerReferences).Uid);
    }

    [Fact]
    public async Task A_publish_waiting_when_the_host_stops_ends_and_the_slices_stay()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        PublisherHost host = await PublisherHost.StartAsync(api);
        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());
        api.InjectFault("*", "resourceslices", 503, count: null);

        Task pending = host.Publisher.PublishDevicesAsync([Gpu(0), Gpu(1)], Timeout());
        await EventuallyAsync(() => host.Errors.RecoverableCount >= 1, "the update fails");
        await host.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending);
        api.ClearFaults();
        Assert.Single(Assert.Single(api.Slices()).Spec.Devices);
    }
}
