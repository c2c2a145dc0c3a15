using DraSdk.ResourceSlices.Tests.Infrastructure;
using DraSdk.Testing;
using k8s.Models;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Api;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Network;

namespace DraSdk.ResourceSlices.Tests;

public sealed class NetworkTests
{
    [Fact]
    public async Task A_pool_of_10000_devices_costs_exactly_ceil_N_over_128_creates_and_one_attribute_change_one_update()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        await using NetworkHost host = await NetworkHost.StartAsync(api);
        const int N = 10_000;
        List<V1Device> devices = [.. Enumerable.Range(0, N).Select(i => Nic(i))];

        await host.Publisher.PublishAsync(AllNodes(devices), Timeout(30));

        int expected = (N + 127) / 128;
        Assert.Equal(expected, api.SliceWrites().Count(r => r.Verb == "create"));
        Assert.Equal(expected, api.SliceWrites().Count);
        List<V1ResourceSlice> slices = api.NetworkSlices();
        Assert.Equal(expected, slices.Count);
        for (int i = 0; i < slices.Count; i++)
        {
            V1ResourceSlice s = slices[i];
            Assert.StartsWith($"{i:x5}-nic-example-com-nic-controller-", s.Metadata.Name, StringComparison.Ordinal);
            Assert.Equal(("fabric", 1L, (long)expected), (s.Spec.Pool.Name, s.Spec.Pool.Generation, s.Spec.Pool.ResourceSliceCount));
            Assert.True(s.Spec.AllNodes);
            Assert.Null(s.Spec.NodeName);
            V1OwnerReference owner = Assert.Single(s.Metadata.OwnerReferences);
            Assert.Equal((NetworkHost.Owner.Uid, "Deployment", true), (owner.Uid, owner.Kind, owner.Controller));
        }

        // Name order is device order.
        Assert.Equal(devices.Select(d => d.Name), slices.SelectMany(s => s.Spec.Devices).Select(d => d.Name));
        Assert.Equal(N - (128 * (expected - 1)), slices[^1].Spec.Devices.Count);

        // One attribute of one device: exactly one update, no generation bump.
        api.ClearRequests();
        devices[5000] = Nic(5000, "400G");
        await host.Publisher.PublishAsync(AllNodes(devices), Timeout(30));
        ApiRequest write = Assert.Single(api.SliceWrites());
        Assert.Equal("update", write.Verb);
        Assert.Equal(slices[5000 / 128].Metadata.Name, write.Name);
        Assert.All(api.NetworkSlices(), s => Assert.Equal(1, s.Spec.Pool.Generation));
        Assert.Equal("400G", api.NetworkSlices()[5000 / 128].Spec.Devices[5000 % 128].Attributes["speed"].StringValue);
        Assert.Equal(1, host.Publisher.Status.PoolGenerations["fabric"]);

        // Adding devices adds slices: a new generation on every slice, no duplicates.
        api.ClearRequests();
        devices.AddRange(Enumerable.Range(N, 200).Select(i => Nic(i)));
        await host.Publisher.PublishAsync(AllNodes(devices), Timeout(30));
        slices = api.NetworkSlices();
        Assert.Equal((N + 200 + 127) / 128, slices.Count);
        Assert.All(slices, s => Assert.Equal((2L, (long)slices.Count), (s.Spec.Pool.Generation, s.Spec.Pool.ResourceSliceCount)));
        Assert.Equal(N + 200, slices.SelectMany(s => s.Spec.Devices).Select(d => d.Name).Distinct().Count());
    }

    [Fact]
    public async Task Taints_and_counters_lower_the_limit_and_counter_sets_get_slices_of_their_own()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        await using NetworkHost host = await NetworkHost.StartAsync(api);
        List<V1CounterSet> sets = [.. Enumerable.Range(0, 10).Select(i => new V1CounterSet
        {
            Name = $"card-{i}",
            Counters = new Dictionary<string, V1Counter> { ["memory"] = new() { Value = new ResourceQuantity("80Gi") } },
        })];
        List<V1Device> partitions = [.. Enumerable.Range(0, 100).Select(i => new V1Device
        {
            Name = $"part-{i}",
            ConsumesCounters = [new V1DeviceCounterConsumption { CounterSet = $"card-{i % 10}", Counters = new Dictionary<string, V1Counter> { ["memory"] = new() { Value = new ResourceQuantity("8Gi") } } }],
        })];
        var selector = new V1NodeSelector { NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "rack", OperatorProperty = "In", Values = ["r1"] }] }] };

        await host.Publisher.PublishAsync(
            new DriverResources { Pools = new Dictionary<string, Pool> { ["rack-1"] = new() { NodeSelector = selector, Slices = [new Slice { SharedCounters = sets, Devices = partitions }] } } },
            Timeout());

        List<V1ResourceSlice> slices = api.NetworkSlices();
        Assert.Equal([8, 2, 0, 0], slices.Select(s => s.Spec.SharedCounters?.Count ?? 0));
        Assert.Equal([0, 0, 64, 36], slices.Select(s => s.Spec.Devices?.Count ?? 0));
        Assert.All(slices, s => Assert.Equal("rack", Assert.Single(Assert.Single(s.Spec.NodeSelector.NodeSelectorTerms).MatchExpressions).Key));
        Assert.All(slices, s => Assert.Equal(4, s.Spec.Pool.ResourceSliceCount));
    }

    [Fact]
    public async Task Per_device_node_selection_is_published_and_a_dropped_pool_is_deleted()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        await using NetworkHost host = await NetworkHost.StartAsync(api);
        V1Device a = Nic(0);
        a.NodeName = "node-a";
        V1Device b = Nic(1);
        b.AllNodes = true;
        await host.Publisher.PublishAsync(
            new DriverResources
            {
                Pools = new Dictionary<string, Pool>
                {
                    ["per-device"] = new() { Slices = [new Slice { PerDeviceNodeSelection = true, Devices = [a, b] }] },
                    ["other"] = new() { AllNodes = true, Slices = [new Slice()] },
                },
            },
            Timeout());
        V1ResourceSlice slice = Assert.Single(api.NetworkSlices(), s => s.Spec.Pool.Name == "per-device");
        Assert.True(slice.Spec.PerDeviceNodeSelection);
        Assert.Equal("node-a", slice.Spec.Devices[0].NodeName);
        Assert.Equal(2, api.NetworkSlices().Count);

        await host.Publisher.PublishAsync(new DriverResources { Pools = new Dictionary<string, Pool> { ["other"] = new() { AllNodes = true, Slices = [new Slice()] } } }, Timeout());
        Assert.Equal("other", Assert.Single(api.NetworkSlices()).Spec.Pool.Name);
    }

    [Fact]
    public async Task Only_the_lease_holder_publishes_and_another_replica_takes_over()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        void Fast(NetworkResourceSlicePublisherOptions o)
        {
            o.LeaderElection = true;
            o.LeaseNamespace = "kube-system";
            o.LeaseDuration = TimeSpan.FromSeconds(2);
            o.RenewDeadline = TimeSpan.FromSeconds(1);
            o.RetryPeriod = TimeSpan.FromMilliseconds(100);
        }

        NetworkHost first = await NetworkHost.StartAsync(api, o => { Fast(o); o.Identity = "first"; });
        await first.Publisher.PublishAsync(AllNodes([Nic(0)]), Timeout());
        Assert.True(first.Publisher.IsLeader);
        V1Lease lease = api.Get<V1Lease>("kube-system", "nic-example-com-resourceslices")!;
        Assert.Equal("first", lease.Spec.HolderIdentity);

        await using NetworkHost second = await NetworkHost.StartAsync(api, o => { Fast(o); o.Identity = "second"; });
        second.Publisher.Update(AllNodes([Nic(0), Nic(1)]));
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.False(second.Publisher.IsLeader);
        Assert.Single(Assert.Single(api.NetworkSlices()).Spec.Devices);

        // The leader stops and releases the lease: the second replica publishes its resources at once.
        await first.DisposeAsync();
        await EventuallyAsync(() => second.Publisher.IsLeader, "the second replica leads");
        await second.Publisher.PublishAsync(AllNodes([Nic(0), Nic(1)]), Timeout());
        Assert.Equal(2, Assert.Single(api.NetworkSlices()).Spec.Devices.Count);
        Assert.Equal("second", api.Get<V1Lease>("kube-system", "nic-example-com-resourceslices")!.Spec.HolderIdentity);
    }

    [Fact]
    public async Task A_network_publisher_without_a_driver_name_fails_to_start()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => NetworkHost.StartAsync(api, o => o.DriverName = null));
        Assert.Contains("DriverName is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_local_pool_is_rejected_by_the_network_publisher_and_vice_versa()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        await using NetworkHost host = await NetworkHost.StartAsync(api);
        ArgumentException network = Assert.Throws<ArgumentException>(() => host.Publisher.Update(DriverResources.ForNode("node-a", [Nic(0)])));
        Assert.Contains("pool 'node-a': a network-attached pool needs exactly one of NodeSelector, AllNodes or PerDeviceNodeSelection", network.Message, StringComparison.Ordinal);

        api.SeedNode();
        await using PublisherHost node = await PublisherHost.StartAsync(api);
        ArgumentException local = Assert.Throws<ArgumentException>(() => node.Publisher.Update(AllNodes([Nic(0)], "node-a")));
        Assert.Contains("a node-local pool is published for node 'node-a'", local.Message, StringComparison.Ordinal);
    }
}
