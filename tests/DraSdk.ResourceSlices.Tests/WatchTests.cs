using DraSdk.ResourceSlices.Tests.Infrastructure;
using DraSdk.Testing;
using k8s.Models;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Api;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Network;

namespace DraSdk.ResourceSlices.Tests;

/// <summary>Changes behind the publisher's back arrive through the watch and are repaired, also after the watch broke.</summary>
public sealed class WatchTests
{
    private static async Task<(InMemoryKubernetesApiServer Api, NetworkHost Host, List<V1ResourceSlice> Slices)> PublishedAsync(InMemoryApiServerOptions? options = null)
    {
        InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(options ?? new InMemoryApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(100) }, TestContext.Current.CancellationToken);
        NetworkHost host = await NetworkHost.StartAsync(api);
        await host.Publisher.PublishAsync(AllNodes(Enumerable.Range(0, 300).Select(i => Nic(i))), Timeout());
        return (api, host, api.NetworkSlices());
    }

    private static bool Converged(InMemoryKubernetesApiServer api) =>
        api.NetworkSlices() is { Count: 3 } slices
        && slices.SelectMany(s => s.Spec.Devices).Select(d => d.Name).SequenceEqual(Enumerable.Range(0, 300).Select(i => $"nic-{i}"))
        && slices.Select(s => s.Spec.Pool.Generation).Distinct().Count() == 1
        && slices.All(s => s.Spec.Devices.All(d => d.Attributes["speed"].StringValue == "100G"));

    [Fact]
    public async Task An_edited_slice_is_put_back_with_one_update()
    {
        (InMemoryKubernetesApiServer api, NetworkHost host, List<V1ResourceSlice> slices) = await PublishedAsync();
        await using (api)
        await using (host)
        {
            api.ClearRequests();
            api.Edit<V1ResourceSlice>(slices[1].Metadata.Name, s => s.Spec.Devices[3].Attributes["speed"] = new V1DeviceAttribute { StringValue = "1G" });

            await EventuallyAsync(() => Converged(api) && api.SliceWrites().Count == 1, "the edit is repaired");
            Assert.Equal(("update", slices[1].Metadata.Name), (api.SliceWrites()[0].Verb, api.SliceWrites()[0].Name));
            Assert.Equal(slices.Select(s => s.Metadata.Uid), api.NetworkSlices().Select(s => s.Metadata.Uid));
        }
    }

    [Fact]
    public async Task A_duplicate_created_by_someone_else_is_deleted_and_a_deleted_slice_recreated()
    {
        (InMemoryKubernetesApiServer api, NetworkHost host, List<V1ResourceSlice> slices) = await PublishedAsync();
        await using (api)
        await using (host)
        {
            V1ResourceSlice copy = slices[0];
            api.Seed(new V1ResourceSlice
            {
                ApiVersion = "resource.k8s.io/v1",
                Kind = "ResourceSlice",
                Metadata = new V1ObjectMeta { GenerateName = copy.Metadata.GenerateName },
                Spec = copy.Spec,
            });
            Assert.True(api.Delete<V1ResourceSlice>(slices[2].Metadata.Name));

            await EventuallyAsync(() => Converged(api), "the pool is exactly the desired slices again");
            List<V1ResourceSlice> now = api.NetworkSlices();
            Assert.Equal(3, now.Count);
            Assert.Equal(3, now.Select(s => s.Metadata.Name[..6]).Distinct().Count());
            Assert.All(now, s => Assert.Equal(2, s.Spec.Pool.Generation));
        }
    }

    [Fact]
    public async Task Cut_watches_and_expired_resource_versions_are_recovered_by_watching_or_listing_again()
    {
        (InMemoryKubernetesApiServer api, NetworkHost host, List<V1ResourceSlice> slices) = await PublishedAsync();
        await using (api)
        await using (host)
        {
            // A cut stream: watched again from the last resourceVersion, no new list.
            api.ClearRequests();
            api.CutWatches();
            await EventuallyAsync(() => api.Requests.Any(r => r.Verb == "watch"), "the watch is opened again");
            api.Edit<V1ResourceSlice>(slices[0].Metadata.Name, s => s.Spec.Devices[0].Attributes["speed"] = new V1DeviceAttribute { StringValue = "1G" });
            await EventuallyAsync(() => Converged(api), "the edit after the cut is repaired");
            Assert.DoesNotContain(api.Requests, r => r.Verb == "list" && r.Resource == "resourceslices");

            // History gone while the stream is down: the resume gets 410 Expired and the informer lists again.
            // Watches are held down by a fault so that the edit cannot reach the informer before the history is gone.
            await EventuallyAsync(() => api.OpenWatchCount > 0, "the watch is open");
            ApiFault down = api.InjectFault("watch", "resourceslices", 503, count: null);
            api.CutWatches();
            await EventuallyAsync(() => down.Hits > 0, "a watch attempt failed");
            api.Edit<V1ResourceSlice>(slices[1].Metadata.Name, s => s.Spec.Devices[0].Attributes["speed"] = new V1DeviceAttribute { StringValue = "1G" });
            api.CompactWatchHistory();
            api.ClearRequests();
            api.ClearFaults();
            await EventuallyAsync(() => Converged(api), "the edit is repaired after listing again", timeoutSeconds: 30);
            Assert.Contains(api.Requests, r => r.Verb == "list" && r.Resource == "resourceslices");
            Assert.Equal(3, api.NetworkSlices().Count);
        }
    }

    [Fact]
    public async Task Watch_failures_are_reported_and_retried()
    {
        (InMemoryKubernetesApiServer api, NetworkHost host, List<V1ResourceSlice> slices) = await PublishedAsync();
        await using (api)
        await using (host)
        {
            ApiFault fault = api.InjectFault("watch", "resourceslices", 503, count: 3, message: "watch unavailable");
            api.CutWatches();
            await EventuallyAsync(() => fault.Hits == 3, "the watch failed three times");
            api.Delete<V1ResourceSlice>(slices[0].Metadata.Name);
            await EventuallyAsync(() => Converged(api), "the delete is repaired once the watch works");
            Assert.True(host.Errors.RecoverableCount >= 3);
            Assert.Contains(host.Logs.Snapshot(), l => l.Contains("watch unavailable", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Conflicts_throttling_and_server_errors_during_repair_still_converge()
    {
        (InMemoryKubernetesApiServer api, NetworkHost host, List<V1ResourceSlice> slices) = await PublishedAsync();
        await using (api)
        await using (host)
        {
            api.InjectFault("update", "resourceslices", 409, count: 2);
            api.InjectFault("update", "resourceslices", 429, count: 2, retryAfter: TimeSpan.FromSeconds(1));
            api.InjectFault("update", "resourceslices", 500, count: 2);
            api.InjectFault("create", "resourceslices", 503, count: 2);
            foreach (V1ResourceSlice s in slices.Take(2))
            {
                api.Edit<V1ResourceSlice>(s.Metadata.Name, e => e.Spec.Devices[0].Attributes["speed"] = new V1DeviceAttribute { StringValue = "1G" });
            }

            api.Delete<V1ResourceSlice>(slices[2].Metadata.Name);
            await EventuallyAsync(() => Converged(api) && host.Publisher.Status.IsUpToDate, "the pool converges", timeoutSeconds: 20);
            Assert.Equal(3, api.NetworkSlices().Count);
        }
    }
}
