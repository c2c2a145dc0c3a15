using System.Net;
using k8s;
using k8s.Models;
using static DraSdk.Testing.Tests.ApiServer.ApiTestSupport;

namespace DraSdk.Testing.Tests.ApiServer;

public sealed class ResourceSliceLimitsTests
{
    private static readonly HttpStatusCode Unprocessable = (HttpStatusCode)422;

    private static V1DeviceTaint Taint() => new() { Key = "example.com/unhealthy", Effect = "NoSchedule" };

    [Fact]
    public async Task Taints_lower_the_device_limit_to_64()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ok = Slice("ok", devices: 64);
        ok.Spec.Devices[0].Taints = [Taint()];
        await client.ResourceV1.CreateResourceSliceAsync(ok, cancellationToken: TestContext.Current.CancellationToken);

        var tooMany = Slice("too-many", devices: 65);
        tooMany.Spec.Devices[10].Taints = [Taint()];
        var status = await ExpectStatusAsync(Unprocessable, () => client.ResourceV1.CreateResourceSliceAsync(tooMany, cancellationToken: TestContext.Current.CancellationToken));
        var cause = Assert.Single(status.Details.Causes);
        Assert.Equal(("FieldValueTooMany", "spec.devices"), (cause.Reason, cause.Field));
        Assert.Contains("must have at most 64 items", cause.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Device_limits_are_answered_with_a_cause_per_field()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var slice = Slice("bad", devices: 1);
        var device = slice.Spec.Devices[0];
        device.Attributes = Enumerable.Range(0, 33).ToDictionary(i => $"a{i}", i => new V1DeviceAttribute { IntValue = i });
        device.Attributes["a0"] = new V1DeviceAttribute { StringValue = new string('x', 65) };
        device.Attributes["a1"] = new V1DeviceAttribute { Version = "1.2" };
        device.Attributes["example.com/bad-id"] = new V1DeviceAttribute { BoolValue = true };
        device.Taints = [new V1DeviceTaint { Key = "k", Effect = "PreferNoSchedule" }];
        device.BindingConditions = ["a", "b", "c", "d", "e"];
        device.Capacity = new Dictionary<string, V1DeviceCapacity> { ["memory"] = new() { Value = new ResourceQuantity("1Gi"), RequestPolicy = new V1CapacityRequestPolicy { DefaultProperty = new ResourceQuantity("1Gi") } } };

        var status = await ExpectStatusAsync(Unprocessable, () => client.ResourceV1.CreateResourceSliceAsync(slice, cancellationToken: TestContext.Current.CancellationToken));

        var causes = status.Details.Causes.Select(c => (c.Reason, c.Field)).ToList();
        Assert.Contains(("FieldValueInvalid", "spec.devices[0]"), causes); // 34 attributes and capacities, more than 32
        Assert.Contains(("FieldValueTooLong", "spec.devices[0].attributes[a0].string"), causes);
        Assert.Contains(("FieldValueInvalid", "spec.devices[0].attributes[a1].version"), causes);
        Assert.Contains(("FieldValueInvalid", "spec.devices[0].attributes"), causes); // a key's problem is reported on the map
        Assert.Contains(("FieldValueNotSupported", "spec.devices[0].taints[0].effect"), causes);
        Assert.Contains(("FieldValueTooMany", "spec.devices[0].bindingConditions"), causes);
        Assert.Contains(("FieldValueForbidden", "spec.devices[0].capacity[memory].requestPolicy"), causes);
    }

    [Fact]
    public async Task Devices_and_shared_counters_may_not_share_a_slice_and_counter_sets_are_limited()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var slice = Slice("mixed", devices: 1);
        slice.Spec.SharedCounters = [.. Enumerable.Range(0, 9).Select(i => new V1CounterSet { Name = $"set-{i}", Counters = new Dictionary<string, V1Counter> { ["memory"] = new() { Value = new ResourceQuantity("1") } } })];

        var status = await ExpectStatusAsync(Unprocessable, () => client.ResourceV1.CreateResourceSliceAsync(slice, cancellationToken: TestContext.Current.CancellationToken));

        var causes = status.Details.Causes.Select(c => (c.Reason, c.Field)).ToList();
        Assert.Contains(("FieldValueInvalid", "spec"), causes);
        Assert.Contains(("FieldValueTooMany", "spec.sharedCounters"), causes);
    }

    [Fact]
    public async Task A_disabled_feature_gate_drops_its_fields_unless_already_in_use()
    {
        var options = new InMemoryApiServerOptions { DisabledFeatureGates = { "DRADeviceTaints", "DRAConsumableCapacity" } };
        await using var api = await InMemoryKubernetesApiServer.StartAsync(options, TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var slice = Slice("tainted", devices: 1);
        slice.Spec.Devices[0].Taints = [Taint()];
        slice.Spec.Devices[0].AllowMultipleAllocations = true;

        var created = await client.ResourceV1.CreateResourceSliceAsync(slice, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Null(created.Spec.Devices[0].Taints);
        Assert.Null(created.Spec.Devices[0].AllowMultipleAllocations);
        Assert.Equal("gpu-0", created.Spec.Devices[0].Name);

        // Seeded data that already uses taints keeps them on update (as the real server's dropDisabledFields).
        var options2 = new InMemoryApiServerOptions { DisabledFeatureGates = { "DRADeviceTaints" } };
        await using var api2 = await InMemoryKubernetesApiServer.StartAsync(options2, TestContext.Current.CancellationToken);
        using var client2 = api2.CreateClient();
        var withTaints = Slice("old", devices: 1);
        withTaints.Spec.Devices[0].Taints = [Taint()];
        var stored = await client2.ResourceV1.CreateResourceSliceAsync(withTaints, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Null(stored.Spec.Devices[0].Taints);
        api2.Edit<V1ResourceSlice>("old", s => s.Spec.Devices[0].Taints = [Taint()]);
        Assert.NotNull(api2.Get<V1ResourceSlice>("old")!.Spec.Devices[0].Taints);
        var updated = await client2.ResourceV1.ReplaceResourceSliceAsync(api2.Get<V1ResourceSlice>("old")!, "old", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Single(updated.Spec.Devices[0].Taints);
    }
}
