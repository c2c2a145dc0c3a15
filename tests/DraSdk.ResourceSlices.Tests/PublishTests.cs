using DraSdk.ResourceSlices.Tests.Infrastructure;
using DraSdk.Testing;
using k8s.Models;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Api;

namespace DraSdk.ResourceSlices.Tests;

public sealed class PublishTests
{
    [Fact]
    public async Task First_publish_creates_one_slice_with_the_pool_and_the_node_as_owner()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        V1Node node = api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);

        await host.Publisher.PublishDevicesAsync([Gpu(0), Gpu(1)], Timeout());

        V1ResourceSlice slice = Assert.Single(api.Slices());
        Assert.Equal(PublisherHost.GenerateName, slice.Metadata.GenerateName);
        Assert.StartsWith(PublisherHost.GenerateName, slice.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal(PublisherHost.DriverName, slice.Spec.Driver);
        Assert.Equal("node-a", slice.Spec.NodeName);
        Assert.Equal("node-a", slice.Spec.Pool.Name);
        Assert.Equal(1, slice.Spec.Pool.Generation);
        Assert.Equal(1, slice.Spec.Pool.ResourceSliceCount);
        Assert.Equal(["gpu-0", "gpu-1"], slice.Spec.Devices.Select(d => d.Name));
        Assert.Equal("A100", slice.Spec.Devices[0].Attributes["model"].StringValue);
        Assert.Equal(1, slice.Spec.Devices[1].Attributes["index"].IntValue);
        Assert.Equal("40Gi", slice.Spec.Devices[0].Capacity["memory"].Value.ToString());

        V1OwnerReference owner = Assert.Single(slice.Metadata.OwnerReferences);
        Assert.Equal("v1", owner.ApiVersion);
        Assert.Equal("Node", owner.Kind);
        Assert.Equal("node-a", owner.Name);
        Assert.Equal(node.Metadata.Uid, owner.Uid);
        Assert.True(owner.Controller);

        // Found by driver and node; the node read once.
        ApiRequest list = Assert.Single(api.Requests, r => r.Resource == "resourceslices" && r.Verb == "list");
        Assert.Contains("fieldSelector=spec.driver%3Dgpu.example.com%2Cspec.nodeName%3Dnode-a", list.Query, StringComparison.Ordinal);
        Assert.Single(api.Requests, r => r.Resource == "nodes" && r.Verb == "get" && r.Name == "node-a");
        Assert.Single(api.Requests, r => r.Resource == "resourceslices" && r.Verb == "create");

        ResourceSlicePublisherStatus status = host.Publisher.Status;
        Assert.True(status.IsUpToDate);
        Assert.NotNull(status.LastSuccessfulSync);
        Assert.Null(status.LastError);
        Assert.Equal(1, status.PoolGenerations["node-a"]);
        Assert.Equal(1, status.SlicesCreated);
        Assert.Equal(0, status.SlicesUpdated);
        Assert.Equal(0, status.SlicesDeleted);
    }

    [Fact]
    public async Task Publishing_the_same_content_again_writes_nothing()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        await host.Publisher.PublishDevicesAsync([Gpu(0), Gpu(1)], Timeout());
        V1ResourceSlice before = Assert.Single(api.Slices());
        string serverVersion = api.ResourceVersion;
        api.ClearRequests();

        // New objects with the same content, attributes in another order and an empty taint list.
        V1Device[] same =
        [
            new()
            {
                Name = "gpu-0",
                Attributes = new Dictionary<string, V1DeviceAttribute> { ["index"] = new() { IntValue = 0 }, ["model"] = new() { StringValue = "A100" } },
                Capacity = new Dictionary<string, V1DeviceCapacity> { ["memory"] = new() { Value = new ResourceQuantity("40Gi") } },
                Taints = [],
            },
            Gpu(1),
        ];
        await host.Publisher.PublishDevicesAsync(same, Timeout());

        // The informer's cache answers: no list, no write.
        Assert.DoesNotContain(api.Requests, r => r.Resource == "resourceslices" && r.Verb == "list");
        Assert.Empty(api.SliceWrites());
        Assert.Equal(serverVersion, api.ResourceVersion);
        V1ResourceSlice after = Assert.Single(api.Slices());
        Assert.Equal(before.Metadata.ResourceVersion, after.Metadata.ResourceVersion);
        Assert.Equal(1, host.Publisher.Status.PoolGenerations["node-a"]);
        Assert.Equal(1, host.Publisher.Status.SlicesCreated);
        Assert.Equal(0, host.Publisher.Status.SlicesUpdated);
    }

    [Fact]
    public async Task A_change_to_the_only_slice_updates_it_in_place_and_keeps_the_generation()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());
        V1ResourceSlice first = Assert.Single(api.Slices());
        api.ClearRequests();

        await host.Publisher.PublishDevicesAsync([Gpu(0), Gpu(1, model: "H100")], Timeout());

        V1ResourceSlice updated = Assert.Single(api.Slices());
        Assert.Equal(first.Metadata.Name, updated.Metadata.Name);
        Assert.Equal(first.Metadata.Uid, updated.Metadata.Uid);
        // One slice changing is atomic for consumers: the generation stays, as in the Go controller.
        Assert.Equal(1, updated.Spec.Pool.Generation);
        Assert.Equal(1, updated.Spec.Pool.ResourceSliceCount);
        Assert.Equal(["gpu-0", "gpu-1"], updated.Spec.Devices.Select(d => d.Name));
        Assert.Equal("H100", updated.Spec.Devices[1].Attributes["model"].StringValue);
        ApiRequest write = Assert.Single(api.SliceWrites());
        Assert.Equal("update", write.Verb);
        Assert.Equal(first.Metadata.Name, write.Name);

        // A change to an attribute alone is a change too.
        await host.Publisher.PublishDevicesAsync([Gpu(0), Gpu(1, model: "B200")], Timeout());
        V1ResourceSlice again = Assert.Single(api.Slices());
        Assert.Equal(1, again.Spec.Pool.Generation);
        Assert.Equal("B200", again.Spec.Devices[1].Attributes["model"].StringValue);
        Assert.Equal(1, host.Publisher.Status.PoolGenerations["node-a"]);
        Assert.Equal(2, host.Publisher.Status.SlicesUpdated);
    }

    [Fact]
    public async Task The_driver_may_change_its_objects_after_publishing()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        V1Device device = Gpu(0);
        var devices = new List<V1Device> { device };
        host.Publisher.UpdateDevices(devices);
        device.Name = "mutated";
        devices.Add(Gpu(9));

        await EventuallyAsync(() => host.Publisher.Status.IsUpToDate, "the update is published");
        V1ResourceSlice slice = Assert.Single(api.Slices());
        Assert.Equal(["gpu-0"], slice.Spec.Devices.Select(d => d.Name));
    }

    [Fact]
    public async Task Several_pools_and_slices_are_published_and_a_dropped_pool_is_deleted()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        await host.Publisher.PublishAsync(
            new DriverResources
            {
                Pools = new Dictionary<string, Pool>
                {
                    ["node-a"] = new() { Slices = [new Slice { Devices = [Gpu(0)] }, new Slice { Devices = [Gpu(1)] }] },
                    ["node-a-nics"] = new() { Slices = [new Slice { Devices = [new V1Device { Name = "nic-0" }] }] },
                },
            },
            Timeout());

        List<V1ResourceSlice> slices = api.Slices();
        Assert.Equal(3, slices.Count);
        List<V1ResourceSlice> gpus = [.. slices.Where(s => s.Spec.Pool.Name == "node-a")];
        Assert.Equal(2, gpus.Count);
        Assert.All(gpus, s => Assert.Equal((1L, 2L), (s.Spec.Pool.Generation, s.Spec.Pool.ResourceSliceCount)));
        Assert.Equal(["gpu-0", "gpu-1"], gpus.SelectMany(s => s.Spec.Devices).Select(d => d.Name).Order());
        V1ResourceSlice nics = Assert.Single(slices, s => s.Spec.Pool.Name == "node-a-nics");
        Assert.Equal(1, nics.Spec.Pool.ResourceSliceCount);

        // The NIC pool goes away and one GPU slice changes: that slice alone is updated in place, at the same generation.
        api.ClearRequests();
        await host.Publisher.PublishAsync(
            new DriverResources
            {
                Pools = new Dictionary<string, Pool>
                {
                    ["node-a"] = new() { Slices = [new Slice { Devices = [Gpu(0)] }, new Slice { Devices = [Gpu(1, "H100")] }] },
                },
            },
            Timeout());

        slices = api.Slices();
        Assert.Equal(2, slices.Count);
        Assert.All(slices, s => Assert.Equal(("node-a", 1L, 2L), (s.Spec.Pool.Name, s.Spec.Pool.Generation, s.Spec.Pool.ResourceSliceCount)));
        Assert.Equal(gpus.Select(s => s.Metadata.Uid).Order(), slices.Select(s => s.Metadata.Uid).Order());
        Assert.Single(api.SliceWrites(), r => r.Verb == "delete" && r.Name == nics.Metadata.Name);
        Assert.Equal(1, api.SliceWrites().Count(r => r.Verb == "update"));
        Assert.Equal(["00000-", "00001-"], slices.Select(s => s.Metadata.Name[..6]));
        Assert.DoesNotContain(api.SliceWrites(), r => r.Verb == "create");
    }

    [Fact]
    public async Task Slices_of_other_drivers_and_other_nodes_are_left_alone()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        V1Node node = api.SeedNode();
        V1Node other = api.SeedNode("node-b");
        V1ResourceSlice otherNode = api.SeedSlice(other, "node-b", 1, 1, Gpu(0));
        V1ResourceSlice otherDriver = api.Seed(new V1ResourceSlice
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceSlice",
            Metadata = new V1ObjectMeta { Name = "00000-nic-example-com-node-a-abcde" },
            Spec = new V1ResourceSliceSpec
            {
                Driver = "nic.example.com",
                NodeName = node.Metadata.Name,
                Pool = new V1ResourcePool { Name = "node-a", Generation = 1, ResourceSliceCount = 1 },
                Devices = [new V1Device { Name = "nic-0" }],
            },
        });
        await using PublisherHost host = await PublisherHost.StartAsync(api);

        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());

        Assert.Single(api.Slices());
        Assert.Equal(otherNode.Metadata.ResourceVersion, api.Get<V1ResourceSlice>(otherNode.Metadata.Name)?.Metadata.ResourceVersion);
        Assert.Equal(otherDriver.Metadata.ResourceVersion, api.Get<V1ResourceSlice>(otherDriver.Metadata.Name)?.Metadata.ResourceVersion);
        Assert.Equal(3, api.List<V1ResourceSlice>().Count);
    }

    [Fact]
    public async Task Invalid_resources_throw_at_the_call()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);

        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() => host.Publisher.PublishDevicesAsync([Gpu(0), Gpu(0)], Timeout()));
        Assert.Contains("'gpu-0' appears more than once", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => host.Publisher.Update(null!));
        Assert.False(host.Publisher.Status.IsUpToDate);
        Assert.Empty(api.SliceWrites());
    }
}
