using DraSdk.ResourceSlices.Tests.Infrastructure;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Api;

namespace DraSdk.ResourceSlices.Tests;

public sealed class RecoveryTests
{
    [Fact]
    public async Task A_restarted_publisher_adopts_the_existing_slice_without_a_duplicate()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        V1ResourceSlice published;
        await using (PublisherHost first = await PublisherHost.StartAsync(api))
        {
            await first.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());
            published = Assert.Single(api.Slices());
        }

        // Shutdown left the slice in place.
        V1ResourceSlice afterStop = Assert.Single(api.Slices());
        Assert.Equal(published.Metadata.ResourceVersion, afterStop.Metadata.ResourceVersion);

        api.ClearRequests();
        await using PublisherHost second = await PublisherHost.StartAsync(api);

        // Nothing is touched before the new instance publishes.
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(api.Requests, r => r.Resource == "resourceslices");

        await second.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());
        Assert.Empty(api.SliceWrites());
        Assert.Equal(published.Metadata.ResourceVersion, Assert.Single(api.Slices()).Metadata.ResourceVersion);
        Assert.Equal(1, second.Publisher.Status.PoolGenerations["node-a"]);

        await second.Publisher.PublishDevicesAsync([Gpu(0), Gpu(1)], Timeout());
        V1ResourceSlice adopted = Assert.Single(api.Slices());
        Assert.Equal(published.Metadata.Uid, adopted.Metadata.Uid);
        Assert.Equal(1, adopted.Spec.Pool.Generation); // one slice changed: the generation stays
        Assert.Equal(0, second.Publisher.Status.SlicesCreated);
    }

    [Fact]
    public async Task A_duplicate_slice_left_behind_is_deleted()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        V1Node node = api.SeedNode();

        // As after a crash between creating a slice and recording it: two slices with the same content and generation.
        V1ResourceSlice a = api.SeedSlice(node, "node-a", 1, 1, Gpu(0));
        V1ResourceSlice b = api.SeedSlice(node, "node-a", 1, 1, Gpu(0));
        var deleteBodies = new List<string>();
        using var client = new Kubernetes(api.CreateClientConfiguration(), new BeforeRequest(async request =>
        {
            if (request.Method == HttpMethod.Delete)
            {
                deleteBodies.Add(await request.Content!.ReadAsStringAsync());
            }
        }));
        await using PublisherHost host = await PublisherHost.StartAsync(api, client: client);

        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());

        V1ResourceSlice kept = Assert.Single(api.Slices());
        Assert.Contains(kept.Metadata.Uid, new[] { a.Metadata.Uid, b.Metadata.Uid });
        V1ResourceSlice deleted = kept.Metadata.Uid == a.Metadata.Uid ? b : a;
        V1DeleteOptions options = KubernetesJson.Deserialize<V1DeleteOptions>(Assert.Single(deleteBodies));
        Assert.Equal(deleted.Metadata.Uid, options.Preconditions.Uid);
        Assert.Equal(deleted.Metadata.ResourceVersion, options.Preconditions.ResourceVersion);
        Assert.Equal(1, kept.Spec.Pool.Generation);
        Assert.Single(api.SliceWrites());
        Assert.Single(api.SliceWrites(), r => r.Verb == "delete");
        Assert.Equal(1, host.Publisher.Status.SlicesDeleted);
    }

    [Fact]
    public async Task Slices_of_an_older_generation_are_deleted_and_the_pool_is_made_consistent()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        V1Node node = api.SeedNode();

        // An update interrupted half-way: one slice at generation 3, one still at 2, and the pool had two slices.
        V1ResourceSlice newer = api.SeedSlice(node, "node-a", 3, 2, Gpu(0));
        V1ResourceSlice older = api.SeedSlice(node, "node-a", 2, 2, Gpu(1));
        await using PublisherHost host = await PublisherHost.StartAsync(api);

        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());

        V1ResourceSlice slice = Assert.Single(api.Slices());
        Assert.Equal(newer.Metadata.Uid, slice.Metadata.Uid);
        Assert.Equal(3, slice.Spec.Pool.Generation);
        Assert.Equal(1, slice.Spec.Pool.ResourceSliceCount);
        Assert.Null(api.Get<V1ResourceSlice>(older.Metadata.Name));
    }

    [Fact]
    public async Task A_slice_without_the_node_as_owner_gets_it()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        V1Node node = api.SeedNode();
        V1ResourceSlice seeded = api.SeedSlice(node, "node-a", 1, 1, Gpu(0));
        api.Edit<V1ResourceSlice>(seeded.Metadata.Name, s => s.Metadata.OwnerReferences = null);
        await using PublisherHost host = await PublisherHost.StartAsync(api);

        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());

        V1ResourceSlice slice = Assert.Single(api.Slices());
        Assert.Equal(seeded.Metadata.Uid, slice.Metadata.Uid);
        Assert.Equal(node.Metadata.Uid, Assert.Single(slice.Metadata.OwnerReferences).Uid);
    }

    [Fact]
    public async Task A_slice_deleted_behind_the_publishers_back_is_recreated_through_the_watch()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());
        V1ResourceSlice gone = Assert.Single(api.Slices());
        Assert.True(api.Delete<V1ResourceSlice>(gone.Metadata.Name));

        // No resync and no publish: the watch sees the delete.
        await EventuallyAsync(() => api.Slices().Count == 1, "the slice is re-created");
        V1ResourceSlice recreated = Assert.Single(api.Slices());
        Assert.NotEqual(gone.Metadata.Uid, recreated.Metadata.Uid);
        Assert.Equal(["gpu-0"], recreated.Spec.Devices.Select(d => d.Name));

        // The generation keeps going up, so consumers never see an older generation again.
        Assert.Equal(2, recreated.Spec.Pool.Generation);
    }

    [Fact]
    public async Task Resync_repairs_a_slice_deleted_or_edited_behind_the_publishers_back()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api, o => o.ResyncInterval = TimeSpan.FromMilliseconds(50));
        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());
        V1ResourceSlice first = Assert.Single(api.Slices());

        Assert.True(api.Delete<V1ResourceSlice>(first.Metadata.Name));
        await EventuallyAsync(() => api.Slices().Count == 1, "the deleted slice is re-created");
        V1ResourceSlice recreated = Assert.Single(api.Slices());
        Assert.NotEqual(first.Metadata.Uid, recreated.Metadata.Uid);

        api.Edit<V1ResourceSlice>(recreated.Metadata.Name, s => s.Spec.Devices = [new V1Device { Name = "intruder" }]);
        await EventuallyAsync(
            () => api.Slices() is [{ Spec.Devices: [{ Name: "gpu-0" }] }],
            "the edited slice is put back");
        Assert.Equal(recreated.Metadata.Uid, Assert.Single(api.Slices()).Metadata.Uid);
    }
}
