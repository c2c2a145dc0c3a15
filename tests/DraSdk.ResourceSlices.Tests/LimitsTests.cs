using System.Net;
using DraSdk.ResourceSlices.Tests.Infrastructure;
using DraSdk.Testing;
using k8s;
using k8s.Autorest;
using k8s.Models;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Api;

namespace DraSdk.ResourceSlices.Tests;

/// <summary>The client-side validator and the API server (the in-memory one, with the real limits) agree.</summary>
public sealed class LimitsTests
{
    public static TheoryData<string, string, string> Cases => new()
    {
        { "long-string", "attribute 'model': the string value is 65 bytes long", "spec.devices[0].attributes[model].string" },
        { "33-attributes", "33 attributes and capacities, more than the 32", "spec.devices[0]" },
        { "bad-attribute-name", "attribute 'example.com/bad-name': the name 'bad-name' must be a C identifier", "spec.devices[0].attributes" },
        { "bad-version", "attribute 'driverVersion': the version '1.2' is not a semantic version", "spec.devices[0].attributes[driverVersion].version" },
        { "17-taints", "17 taints, more than the 16 allowed", "spec.devices[0].taints" },
        { "bad-effect", "taint 'example.com/unhealthy': the effect 'PreferNoSchedule' must be one of", "spec.devices[0].taints[0].effect" },
        { "5-binding-conditions", "5 binding conditions, more than the 4 allowed", "spec.devices[0].bindingConditions" },
        { "policy-without-multiple", "capacity 'memory': RequestPolicy is allowed only when the device sets AllowMultipleAllocations", "spec.devices[0].capacity[memory].requestPolicy" },
        { "bad-device-name", "device 'GPU_0': the name 'GPU_0' must be a DNS label", "spec.devices[0].name" },

        // Rules kube-apiserver 1.36 enforces that the SDK let through before.
        { "binding-without-failure", "binding conditions need binding failure conditions too", "spec.devices[0].bindingFailureConditions" },
        { "binding-overlap", "'ready' is both a binding condition and a binding failure condition", "spec.devices[0].bindingFailureConditions[0]" },
        { "bad-binding-name", "binding condition 'not ready' is not a label name", "spec.devices[0].bindingConditions[0]" },
        { "unsorted-valid-values", "capacity 'memory': RequestPolicy.ValidValues must be sorted in ascending order (4Gi then 2Gi)", "spec.devices[0].capacity[memory].requestPolicy.validValues[1]" },
        { "default-off-step", "capacity 'memory': RequestPolicy.Default 3Gi is not Min 1Gi plus a multiple of Step 4Gi", "spec.devices[0].capacity[memory].requestPolicy.validRange.step" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_client_and_the_server_reject_the_same_device(string variant, string clientMessage, string serverField)
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        V1Node node = api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        V1Device device = Invalid(variant);

        ArgumentException client = Assert.Throws<ArgumentException>(() => host.Publisher.UpdateDevices([device]));
        Assert.Contains($"pool 'node-a', slice 0, device '{device.Name}'", client.Message, StringComparison.Ordinal);
        Assert.Contains(clientMessage, client.Message, StringComparison.Ordinal);

        V1ResourceSlice slice = new()
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceSlice",
            Metadata = new V1ObjectMeta { Name = "direct" },
            Spec = new V1ResourceSliceSpec
            {
                Driver = PublisherHost.DriverName,
                NodeName = node.Metadata.Name,
                Pool = new V1ResourcePool { Name = "node-a", Generation = 1, ResourceSliceCount = 1 },
                Devices = [device],
            },
        };
        using IKubernetes direct = api.CreateClient();
        HttpOperationException server = await Assert.ThrowsAsync<HttpOperationException>(() => direct.ResourceV1.CreateResourceSliceAsync(slice, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal((HttpStatusCode)422, server.Response.StatusCode);
        V1Status status = KubernetesJson.Deserialize<V1Status>(server.Response.Content);
        Assert.Contains(status.Details.Causes, c => c.Field == serverField);

        // The publisher sent nothing: the only write is the direct one, and nothing is stored.
        Assert.Single(api.SliceWrites());
        Assert.Empty(api.List<V1ResourceSlice>());
    }

    [Fact]
    public async Task An_upper_case_attribute_domain_is_accepted_as_the_API_server_accepts_it()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        V1Device device = Gpu(0);
        device.Attributes["Example.com/model"] = new() { StringValue = "A100" };

        await host.Publisher.PublishDevicesAsync([device], Timeout());
        Assert.Contains("Example.com/model", Assert.Single(api.Slices()).Spec.Devices.Single().Attributes.Keys);
    }

    [Fact]
    public void A_driver_name_longer_than_a_slice_allows_is_refused()
    {
        string driver = new string('a', 52) + ".example.com"; // 64 characters, a valid DNS subdomain
        ArgumentException error = Assert.Throws<ArgumentException>(() => DriverResources.ForNode("node-a", [Gpu(0)]).Validate(driver, "node-a"));
        Assert.Contains("the driver name: it is 64 bytes long; a ResourceSlice's spec.driver allows at most 63 (spec.driver)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_checks_resources_as_the_publisher_does_without_a_publisher()
    {
        var good = new V1Device { Name = "gpu-0", Attributes = new Dictionary<string, V1DeviceAttribute> { ["model"] = new() { StringValue = "A100" } } };
        var bad = new V1Device { Name = "gpu-1", Attributes = new Dictionary<string, V1DeviceAttribute> { ["model"] = new() { StringValue = new string('x', 70) } } };

        DriverResources.ForNode("node-a", [good]).Validate("gpu.example.com", "node-a");
        ArgumentException error = Assert.Throws<ArgumentException>(() => DriverResources.ForNode("node-a", [good, bad]).Validate("gpu.example.com", "node-a"));

        Assert.Contains("pool 'node-a', slice 0, device 'gpu-1', attribute 'model': the string value is 70 bytes long (UTF-8), more than the 64 allowed (spec.devices[1].attributes[model].string)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("gpu-0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slice_the_server_would_reject_as_too_big_is_split_instead()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        V1Node node = api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        List<V1Device> tainted = [.. Enumerable.Range(0, 130).Select(i =>
        {
            V1Device d = Gpu(i);
            d.Taints = i == 100 ? [new V1DeviceTaint { Key = "example.com/unhealthy", Effect = "NoSchedule" }] : null;
            return d;
        })];

        // One slice of 130 devices: the server rejects it ...
        using IKubernetes direct = api.CreateClient();
        HttpOperationException rejected = await Assert.ThrowsAsync<HttpOperationException>(() => direct.ResourceV1.CreateResourceSliceAsync(
            new V1ResourceSlice
            {
                Metadata = new V1ObjectMeta { Name = "too-big" },
                Spec = new V1ResourceSliceSpec { Driver = "other.example.com", NodeName = node.Metadata.Name, Pool = new V1ResourcePool { Name = "p", ResourceSliceCount = 1 }, Devices = tainted },
            },
            cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal((HttpStatusCode)422, rejected.Response.StatusCode);

        // ... the publisher splits it: the 100 untainted devices fit one slice (128); the tainted one starts a slice
        // whose limit is 64, and the API server accepts both.
        await host.Publisher.PublishDevicesAsync(tainted, Timeout());
        List<V1ResourceSlice> slices = api.Slices();
        Assert.Equal([100, 30], slices.Select(s => s.Spec.Devices.Count));
        Assert.Null(slices[0].Spec.Devices.FirstOrDefault(d => d.Taints is not null));
        Assert.Equal(tainted.Select(d => d.Name), slices.SelectMany(s => s.Spec.Devices).Select(d => d.Name));
    }

    [Fact]
    public async Task Counter_consumption_must_name_counter_sets_and_counters_of_the_pool()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        var set = new V1CounterSet { Name = "card-0", Counters = new Dictionary<string, V1Counter> { ["memory"] = new() { Value = new ResourceQuantity("80Gi") } } };
        V1Device Part(string setName, string counter) => new()
        {
            Name = "part-0",
            ConsumesCounters = [new V1DeviceCounterConsumption { CounterSet = setName, Counters = new Dictionary<string, V1Counter> { [counter] = new() { Value = new ResourceQuantity("8Gi") } } }],
        };

        DriverResources With(V1Device device, params V1CounterSet[] sets) => new()
        {
            Pools = new Dictionary<string, Pool> { ["node-a"] = new() { Slices = [new Slice { SharedCounters = sets }, new Slice { Devices = [device] }] } },
        };

        ArgumentException unknownSet = Assert.Throws<ArgumentException>(() => host.Publisher.Update(With(Part("card-9", "memory"), set)));
        Assert.Contains("pool 'node-a', slice 1, device 'part-0', consumption of counter set 'card-9': the pool has no counter set 'card-9'", unknownSet.Message, StringComparison.Ordinal);
        ArgumentException unknownCounter = Assert.Throws<ArgumentException>(() => host.Publisher.Update(With(Part("card-0", "cores"), set)));
        Assert.Contains("counter set 'card-0' has no counter 'cores'", unknownCounter.Message, StringComparison.Ordinal);
        ArgumentException duplicate = Assert.Throws<ArgumentException>(() => host.Publisher.Update(With(Part("card-0", "memory"), set, set)));
        Assert.Contains("counter set 'card-0': the name appears more than once in the pool", duplicate.Message, StringComparison.Ordinal);

        // Valid: the counter set in its own slice, the device in another, both in the pool.
        await host.Publisher.PublishAsync(With(Part("card-0", "memory"), set), Timeout());
        List<V1ResourceSlice> slices = api.Slices();
        Assert.Equal("card-0", Assert.Single(slices[0].Spec.SharedCounters).Name);
        Assert.Equal("part-0", Assert.Single(slices[1].Spec.Devices).Name);
    }

    [Theory]
    [InlineData("80Gi", null)]
    [InlineData("85899345920", null)] // 80Gi in bytes
    [InlineData("81Gi", "consumes 81Gi of counter 'memory', more than the 80Gi the counter set has: the device could never be allocated")]
    public void A_device_that_consumes_more_than_its_counter_set_has_is_reported(string consumed, string? expected)
    {
        var set = new V1CounterSet { Name = "card-0", Counters = new Dictionary<string, V1Counter> { ["memory"] = new() { Value = new ResourceQuantity("80Gi") } } };
        var whole = new V1Device
        {
            Name = "whole-0",
            ConsumesCounters = [new V1DeviceCounterConsumption { CounterSet = "card-0", Counters = new Dictionary<string, V1Counter> { ["memory"] = new() { Value = new ResourceQuantity(consumed) } } }],
        };
        var resources = new DriverResources
        {
            Pools = new Dictionary<string, Pool> { ["node-a"] = new() { Slices = [new Slice { SharedCounters = [set] }, new Slice { Devices = [whole] }] } },
        };

        if (expected is null)
        {
            resources.Validate("gpu.example.com", "node-a");
        }
        else
        {
            ArgumentException error = Assert.Throws<ArgumentException>(() => resources.Validate("gpu.example.com", "node-a"));
            Assert.Contains($"pool 'node-a', slice 1, device 'whole-0', consumption of counter set 'card-0': {expected}", error.Message, StringComparison.Ordinal);
        }
    }

    private static V1Device Invalid(string variant)
    {
        V1Device d = Gpu(0);
        switch (variant)
        {
            case "long-string": d.Attributes["model"] = new() { StringValue = new string('x', 65) }; break;
            case "33-attributes":
                for (int i = 0; i < 30; i++)
                {
                    d.Attributes[$"a{i}"] = new() { IntValue = i };
                }

                break;
            case "bad-attribute-name": d.Attributes["example.com/bad-name"] = new() { BoolValue = true }; break;
            case "bad-version": d.Attributes["driverVersion"] = new() { Version = "1.2" }; break;
            case "17-taints": d.Taints = [.. Enumerable.Range(0, 17).Select(i => new V1DeviceTaint { Key = $"example.com/t{i}", Effect = "NoSchedule" })]; break;
            case "bad-effect": d.Taints = [new V1DeviceTaint { Key = "example.com/unhealthy", Effect = "PreferNoSchedule" }]; break;
            case "5-binding-conditions": d.BindingConditions = ["a", "b", "c", "d", "e"]; d.BindingFailureConditions = ["f"]; break;
            case "policy-without-multiple": d.Capacity["memory"].RequestPolicy = new V1CapacityRequestPolicy { DefaultProperty = new ResourceQuantity("1Gi") }; break;
            case "bad-device-name": d.Name = "GPU_0"; break;
            case "binding-without-failure": d.BindingConditions = ["ready"]; break;
            case "binding-overlap": d.BindingConditions = ["ready"]; d.BindingFailureConditions = ["ready"]; break;
            case "bad-binding-name": d.BindingConditions = ["not ready"]; d.BindingFailureConditions = ["failed"]; break;
            case "unsorted-valid-values":
                d.AllowMultipleAllocations = true;
                d.Capacity["memory"].RequestPolicy = new V1CapacityRequestPolicy { DefaultProperty = new ResourceQuantity("4Gi"), ValidValues = [new ResourceQuantity("4Gi"), new ResourceQuantity("2Gi")] };
                break;
            case "default-off-step":
                d.AllowMultipleAllocations = true;
                d.Capacity["memory"].RequestPolicy = new V1CapacityRequestPolicy { DefaultProperty = new ResourceQuantity("3Gi"), ValidRange = new V1CapacityRequestPolicyRange { Min = new ResourceQuantity("1Gi"), Step = new ResourceQuantity("4Gi") } };
                break;
            default: throw new ArgumentOutOfRangeException(nameof(variant));
        }

        return d;
    }
}
