using k8s;
using k8s.Models;
using static DraSdk.Testing.Tests.ApiServer.ApiTestSupport;

namespace DraSdk.Testing.Tests.ApiServer;

public sealed class WatchTests
{
    [Fact]
    public async Task Watch_from_zero_sends_current_objects_as_ADDED_then_live_events()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, Timeout()).Token;
        api.Seed(Slice("existing"));

        await using var events = client.ResourceV1.WatchListResourceSliceAsync(resourceVersion: "0", cancellationToken: ct).GetAsyncEnumerator(ct);
        var initial = await TakeAsync(events, 1);
        Assert.Equal(WatchEventType.Added, initial[0].Type);
        Assert.Equal("existing", initial[0].Object.Metadata.Name);

        await client.ResourceV1.CreateResourceSliceAsync(Slice("new"), cancellationToken: ct);
        api.Edit<V1ResourceSlice>("existing", s => s.Metadata.Labels = new Dictionary<string, string> { ["edited"] = "behind-the-back" });
        api.Delete<V1ResourceSlice>("new");

        var live = await TakeAsync(events, 3);
        Assert.Equal(
            [(WatchEventType.Added, "new"), (WatchEventType.Modified, "existing"), (WatchEventType.Deleted, "new")],
            live.Select(e => (e.Type, e.Object.Metadata.Name)));
        Assert.Equal("behind-the-back", live[1].Object.Metadata.Labels["edited"]);
        Assert.Equal("ResourceSlice", live[1].Object.Kind);
    }

    [Fact]
    public async Task Watch_resumes_after_a_resourceVersion_from_history()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, Timeout()).Token;
        api.Seed(Slice("a"));
        var list = await client.ResourceV1.ListResourceSliceAsync(cancellationToken: ct);
        api.Seed(Slice("b"));
        api.Seed(new V1Node { Metadata = new V1ObjectMeta { Name = "node-a" } }); // another resource: not in this watch
        api.Edit<V1ResourceSlice>("a", s => s.Spec.Devices.Add(new V1Device { Name = "gpu-1" }));

        await using var events = client.ResourceV1.WatchListResourceSliceAsync(resourceVersion: list.Metadata.ResourceVersion, cancellationToken: ct).GetAsyncEnumerator(ct);
        var replayed = await TakeAsync(events, 2);

        Assert.Equal([(WatchEventType.Added, "b"), (WatchEventType.Modified, "a")], replayed.Select(e => (e.Type, e.Object.Metadata.Name)));
        Assert.Equal(2, replayed[1].Object.Metadata.Generation);
    }

    [Fact]
    public async Task Watch_from_a_compacted_resourceVersion_gets_410_Expired_via_onError_and_ends()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(new InMemoryApiServerOptions { WatchHistoryLimit = 2 }, TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, Timeout()).Token;
        var first = api.Seed(Slice("s0"));
        for (var i = 1; i < 5; i++)
        {
            api.Seed(Slice($"s{i}"));
        }

        Exception? error = null;
        var seen = new List<WatchEventType>();
        await foreach (var (type, _) in client.ResourceV1.WatchListResourceSliceAsync(resourceVersion: first.Metadata.ResourceVersion, onError: e => error = e, cancellationToken: ct))
        {
            seen.Add(type);
        }

        Assert.Empty(seen);
        var status = Assert.IsType<KubernetesException>(error).Status;
        Assert.Equal(410, status.Code);
        Assert.Equal("Expired", status.Reason);
        Assert.StartsWith("too old resource version", status.Message, StringComparison.Ordinal);

        // CompactWatchHistory expires everything older than now, too.
        var latest = api.ResourceVersion;
        api.Seed(Slice("s5"));
        api.CompactWatchHistory();
        error = null;
        await foreach (var _ in client.ResourceV1.WatchListResourceSliceAsync(resourceVersion: latest, onError: e => error = e, cancellationToken: ct))
        {
        }

        Assert.Equal(410, Assert.IsType<KubernetesException>(error).Status.Code);
    }

    [Fact]
    public async Task Bookmarks_arrive_periodically_and_carry_the_current_resourceVersion()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(new InMemoryApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(50) }, TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, Timeout()).Token;
        api.Seed(Slice("a"));
        api.Seed(new V1Node { Metadata = new V1ObjectMeta { Name = "node-a" } });

        await using var events = client.ResourceV1.WatchListResourceSliceAsync(allowWatchBookmarks: true, resourceVersion: "0", cancellationToken: ct).GetAsyncEnumerator(ct);
        var got = await TakeAsync(events, 3);

        Assert.Equal(WatchEventType.Added, got[0].Type);
        Assert.Equal(WatchEventType.Bookmark, got[1].Type);
        Assert.Equal(WatchEventType.Bookmark, got[2].Type);
        Assert.Equal(api.ResourceVersion, got[1].Object.Metadata.ResourceVersion); // includes the node write
        Assert.Null(got[1].Object.Spec);
    }

    [Fact]
    public async Task Selectors_apply_to_watch_events_and_objects_leaving_the_selection_are_DELETED()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, Timeout()).Token;

        // The enumerator sends its request on the first MoveNextAsync: start from the version before the writes.
        var before = api.ResourceVersion;
        await using var events = client.ResourceV1.WatchListResourceSliceAsync(fieldSelector: "spec.nodeName=node-a", labelSelector: "team in (x)", resourceVersion: before, cancellationToken: ct).GetAsyncEnumerator(ct);
        var x = new Dictionary<string, string> { ["team"] = "x" };
        api.Seed(Slice("other-node", node: "node-b", labels: x));
        api.Seed(Slice("other-team", labels: new Dictionary<string, string> { ["team"] = "y" }));
        api.Seed(Slice("match", labels: x));
        api.Edit<V1ResourceSlice>("other-team", s => s.Metadata.Labels["team"] = "x"); // enters the selection
        api.Edit<V1ResourceSlice>("match", s => s.Metadata.Labels.Clear());            // leaves it

        var got = await TakeAsync(events, 3);
        Assert.Equal(
            [(WatchEventType.Added, "match"), (WatchEventType.Added, "other-team"), (WatchEventType.Deleted, "match")],
            got.Select(e => (e.Type, e.Object.Metadata.Name)));
    }

    [Fact]
    public async Task CutWatches_ends_open_streams_and_clients_can_resume()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, Timeout()).Token;
        api.Seed(Slice("a"));

        var received = new List<V1ResourceSlice>();
        var firstEvent = new TaskCompletionSource();
        var reader = Task.Run(async () =>
        {
            await foreach (var (_, s) in client.ResourceV1.WatchListResourceSliceAsync(resourceVersion: "0", cancellationToken: ct))
            {
                received.Add(s);
                firstEvent.TrySetResult();
            }
        }, ct);

        await firstEvent.Task.WaitAsync(ct);
        Assert.Equal(1, api.OpenWatchCount);
        api.CutWatches();
        await reader.WaitAsync(ct); // the enumeration completes without an error
        Assert.Equal("a", Assert.Single(received).Metadata.Name);
        Assert.Equal(0, api.OpenWatchCount);

        api.Seed(Slice("b")); // written while no one watched: resuming from the last seen version replays it
        await using var events = client.ResourceV1.WatchListResourceSliceAsync(resourceVersion: received[0].Metadata.ResourceVersion, cancellationToken: ct).GetAsyncEnumerator(ct);
        var resumed = Assert.Single(await TakeAsync(events, 1));
        Assert.Equal((WatchEventType.Added, "b"), (resumed.Type, resumed.Object.Metadata.Name));
    }

    [Fact]
    public async Task TimeoutSeconds_ends_the_stream()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, Timeout()).Token;
        api.Seed(Slice("a"));

        // Note: KubernetesClient throws (EndOfStreamException) when a watch ends before its first line, as it would
        // against a real API server, so this watch starts with an event.
        var started = DateTime.UtcNow;
        var count = 0;
        await foreach (var _ in client.ResourceV1.WatchListResourceSliceAsync(resourceVersion: "0", timeoutSeconds: 1, cancellationToken: ct))
        {
            count++;
        }

        var elapsed = DateTime.UtcNow - started;
        Assert.Equal(1, count);
        Assert.InRange(elapsed, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(10));
        Assert.Equal(0, api.OpenWatchCount);
    }

    [Fact]
    public async Task Namespaced_claim_watch_sees_only_its_namespace()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, Timeout()).Token;

        var before = api.ResourceVersion;
        await using var events = client.ResourceV1.WatchListNamespacedResourceClaimAsync("team-a", resourceVersion: before, cancellationToken: ct).GetAsyncEnumerator(ct);
        api.Seed(Claim("elsewhere", ns: "team-b"));
        api.Seed(Claim("here", ns: "team-a"));
        api.Edit<Resourcev1ResourceClaim>("team-a", "here", c => c.Status = CrudTests.Allocated("gpu-0"));

        var got = await TakeAsync(events, 2);
        Assert.Equal([(WatchEventType.Added, "here"), (WatchEventType.Modified, "here")], got.Select(e => (e.Type, e.Object.Metadata.Name)));
        Assert.Equal("gpu-0", got[1].Object.Status.Allocation.Devices.Results.Single().Device);
    }
}
