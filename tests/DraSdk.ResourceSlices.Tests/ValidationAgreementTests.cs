using System.Net;
using DraSdk.ResourceSlices.Internal;
using DraSdk.Testing;
using k8s;
using k8s.Autorest;
using k8s.Models;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Api;

namespace DraSdk.ResourceSlices.Tests;

/// <summary>
/// One table of ResourceSlices, each with the verdict and field paths of kube-apiserver 1.36 (read from its validation
/// rules), run against both the SDK's client-side validation and an HTTP create against the in-memory API server: the
/// two must give the same verdict and the same field paths.
/// </summary>
public sealed class ValidationAgreementTests(ValidationAgreementTests.Server server) : IClassFixture<ValidationAgreementTests.Server>
{
    private const string Driver = "gpu.example.com";

    /// <summary>A 103-byte attribute name: the server shows 47 + "..." + 46 of it in a field path.</summary>
    private static readonly string LongKey = new string('a', 60) + ".example.com/" + new string('b', 30);

    /// <summary>A slice to publish, in a form both sides can take.</summary>
    public sealed class Shape
    {
        public string Driver { get; set; } = ValidationAgreementTests.Driver;

        public string? NodeName { get; set; } = "node-a";

        public string PoolName { get; set; } = "pool-a";

        public List<V1Device> Devices { get; } = [Gpu(0)];

        public List<V1CounterSet> Counters { get; } = [];

        public V1NodeSelector? NodeSelector { get; set; }

        public bool AllNodes { get; set; }

        public bool PerDevice { get; set; }

        public V1Device Device => Devices[0];

        public V1DeviceCapacity Memory => Device.Capacity["memory"];

        /// <summary>Turns the node-local slice into a network-attached one.</summary>
        public void Network(V1NodeSelector? selector = null, bool allNodes = false, bool perDevice = false) =>
            (NodeName, NodeSelector, AllNodes, PerDevice) = (null, selector, allNodes, perDevice);

        public void Policy(V1CapacityRequestPolicy policy)
        {
            Device.AllowMultipleAllocations = true;
            Memory.RequestPolicy = policy;
        }
    }

    /// <summary>Each case: how the baseline changes, and the field paths of the rejection ("" = accepted).</summary>
    private static readonly Dictionary<string, (Action<Shape> Change, string Fields)> Cases = new()
    {
        ["baseline"] = (_ => { }, ""),

        // Lengths are UTF-8 bytes, as Go counts them.
        ["string-64-bytes-in-32-chars"] = (s => s.Device.Attributes["model"] = new() { StringValue = new string('é', 32) }, ""),
        ["string-65-bytes-in-33-chars"] = (s => s.Device.Attributes["model"] = new() { StringValue = new string('é', 32) + "x" }, "spec.devices[0].attributes[model].string"),
        ["version-65-bytes"] = (s => s.Device.Attributes["v"] = new() { Version = "1.2.3-" + new string('a', 59) }, "spec.devices[0].attributes[v].version"),
        ["version-not-semver"] = (s => s.Device.Attributes["v"] = new() { Version = "1.2" }, "spec.devices[0].attributes[v].version"),
        ["driver-64-bytes"] = (s => s.Driver = new string('a', 52) + ".example.com", "spec.driver"),
        ["driver-upper-case"] = (s => s.Driver = "GPU.Example.com", ""),
        ["pool-name-not-subdomains"] = (s => s.PoolName = "pool_a/b", "spec.pool.name"),
        ["pool-name-with-slashes"] = (s => s.PoolName = "region-a/pool-a", ""),

        // Attribute and capacity names: problems of a key are reported on the map, of a value under the key.
        ["attribute-upper-case-domain"] = (s => s.Device.Attributes["Example.com/model"] = new() { StringValue = "x" }, ""),
        ["attribute-id-not-c-identifier"] = (s => s.Device.Attributes["example.com/bad-name"] = new() { BoolValue = true }, "spec.devices[0].attributes"),
        ["attribute-id-33-bytes"] = (s => s.Device.Attributes[new string('a', 33)] = new() { BoolValue = true }, "spec.devices[0].attributes"),
        ["attribute-domain-64-bytes"] = (s => s.Device.Attributes[new string('a', 52) + ".example.com/x"] = new() { BoolValue = true }, "spec.devices[0].attributes"),
        ["attribute-empty-domain"] = (s => s.Device.Attributes["/model2"] = new() { BoolValue = true }, "spec.devices[0].attributes"),
        ["attribute-key-over-96-bytes-shortened-in-path"] = (s => s.Device.Attributes[LongKey] = new(), "spec.devices[0].attributes|spec.devices[0].attributes[" + LongKey[..47] + "..." + LongKey[^46..] + "]"),
        ["attribute-without-value"] = (s => s.Device.Attributes["x"] = new(), "spec.devices[0].attributes[x]"),
        ["attribute-with-two-values"] = (s => s.Device.Attributes["x"] = new() { BoolValue = true, IntValue = 1 }, "spec.devices[0].attributes[x]"),
        ["attribute-list-gate-off"] = (s => s.Device.Attributes["x"] = new() { Strings = ["a", "b"] }, "spec.devices[0].attributes[x]"),
        ["33-attributes-and-capacities"] = (s => AddAttributes(s.Device, 30), "spec.devices[0]"),
        ["capacity-name-not-c-identifier"] = (s => s.Device.Capacity["bad-name"] = new() { Value = new ResourceQuantity("1") }, "spec.devices[0].capacity"),

        // Consumable capacity request policies.
        ["policy-without-multiple-allocations"] = (s => s.Memory.RequestPolicy = new() { DefaultProperty = Q("1Gi") }, "spec.devices[0].capacity[memory].requestPolicy"),
        ["policy-valid-values"] = (s => s.Policy(new() { DefaultProperty = Q("2Gi"), ValidValues = [Q("1Gi"), Q("2Gi"), Q("40Gi")] }), ""),
        ["policy-valid-range"] = (s => s.Policy(new() { DefaultProperty = Q("2Gi"), ValidRange = new() { Min = Q("1Gi"), Max = Q("9Gi"), Step = Q("1Gi") } }), ""),
        ["policy-values-and-range"] = (s => s.Policy(new() { DefaultProperty = Q("1Gi"), ValidValues = [Q("1Gi")], ValidRange = new() { Min = Q("1Gi") } }), "spec.devices[0].capacity[memory].requestPolicy"),
        ["policy-values-without-default"] = (s => s.Policy(new() { ValidValues = [Q("1Gi")] }), "spec.devices[0].capacity[memory].requestPolicy.default"),
        ["policy-range-without-default"] = (s => s.Policy(new() { ValidRange = new() { Min = Q("1Gi") } }), "spec.devices[0].capacity[memory].requestPolicy.default"),
        ["policy-values-unsorted"] = (s => s.Policy(new() { DefaultProperty = Q("4Gi"), ValidValues = [Q("4Gi"), Q("2Gi")] }), "spec.devices[0].capacity[memory].requestPolicy.validValues[1]"),
        ["policy-values-duplicate"] = (s => s.Policy(new() { DefaultProperty = Q("2Gi"), ValidValues = [Q("2Gi"), Q("2Gi")] }), "spec.devices[0].capacity[memory].requestPolicy.validValues[1]"),
        ["policy-value-above-capacity"] = (s => s.Policy(new() { DefaultProperty = Q("2Gi"), ValidValues = [Q("2Gi"), Q("80Gi")] }), "spec.devices[0].capacity[memory].requestPolicy.validValues[1]"),
        ["policy-default-not-a-value"] = (s => s.Policy(new() { DefaultProperty = Q("3Gi"), ValidValues = [Q("2Gi"), Q("4Gi")] }), "spec.devices[0].capacity[memory].requestPolicy.validValues"),
        ["policy-11-values"] = (s => s.Policy(new() { DefaultProperty = Q("1"), ValidValues = [.. Enumerable.Range(1, 11).Select(i => Q($"{i}"))] }), "spec.devices[0].capacity[memory].requestPolicy.validValues"),
        ["policy-range-without-min"] = (s => s.Policy(new() { DefaultProperty = Q("1Gi"), ValidRange = new() { Max = Q("2Gi") } }), "spec.devices[0].capacity[memory].requestPolicy.validRange.min"),
        ["policy-min-above-capacity"] = (s => s.Policy(new() { DefaultProperty = Q("41Gi"), ValidRange = new() { Min = Q("41Gi") } }), "spec.devices[0].capacity[memory].requestPolicy.validRange.min"),
        ["policy-default-below-min"] = (s => s.Policy(new() { DefaultProperty = Q("1Gi"), ValidRange = new() { Min = Q("2Gi") } }), "spec.devices[0].capacity[memory].requestPolicy.validRange.default"),
        ["policy-default-above-max"] = (s => s.Policy(new() { DefaultProperty = Q("8Gi"), ValidRange = new() { Min = Q("1Gi"), Max = Q("4Gi") } }), "spec.devices[0].capacity[memory].requestPolicy.validRange.default"),
        ["policy-min-above-max"] = (s => s.Policy(new() { DefaultProperty = Q("4Gi"), ValidRange = new() { Min = Q("4Gi"), Max = Q("2Gi") } }), "spec.devices[0].capacity[memory].requestPolicy.validRange.max|spec.devices[0].capacity[memory].requestPolicy.validRange.default"),
        ["policy-max-above-capacity"] = (s => s.Policy(new() { DefaultProperty = Q("1Gi"), ValidRange = new() { Min = Q("1Gi"), Max = Q("80Gi") } }), "spec.devices[0].capacity[memory].requestPolicy.validRange.max"),
        ["policy-step-zero"] = (s => s.Policy(new() { DefaultProperty = Q("1Gi"), ValidRange = new() { Min = Q("1Gi"), Step = Q("0") } }), "spec.devices[0].capacity[memory].requestPolicy.validRange.step"),
        ["policy-default-off-step"] = (s => s.Policy(new() { DefaultProperty = Q("3Gi"), ValidRange = new() { Min = Q("1Gi"), Step = Q("4Gi") } }), "spec.devices[0].capacity[memory].requestPolicy.validRange.step"),
        ["policy-max-off-step"] = (s => s.Policy(new() { DefaultProperty = Q("1Gi"), ValidRange = new() { Min = Q("1Gi"), Max = Q("4Gi"), Step = Q("2Gi") } }), "spec.devices[0].capacity[memory].requestPolicy.validRange.step"),
        ["policy-one-step-above-capacity"] = (s => s.Policy(new() { DefaultProperty = Q("1Gi"), ValidRange = new() { Min = Q("1Gi"), Step = Q("40Gi") } }), "spec.devices[0].capacity[memory].requestPolicy.validRange.step"),

        // Taints.
        ["17-taints"] = (s => s.Device.Taints = [.. Enumerable.Range(0, 17).Select(i => new V1DeviceTaint { Key = $"example.com/t{i}", Effect = "NoSchedule" })], "spec.devices[0].taints"),
        ["taint-bad-effect"] = (s => s.Device.Taints = [new() { Key = "example.com/unhealthy", Effect = "PreferNoSchedule" }], "spec.devices[0].taints[0].effect"),
        ["taint-without-effect"] = (s => s.Device.Taints = [new() { Key = "example.com/unhealthy" }], "spec.devices[0].taints[0].effect"),
        ["taint-bad-key"] = (s => s.Device.Taints = [new() { Key = "not a key", Effect = "None" }], "spec.devices[0].taints[0].key"),
        ["taint-bad-value"] = (s => s.Device.Taints = [new() { Key = "example.com/unhealthy", Value = "-ecc", Effect = "None" }], "spec.devices[0].taints[0].value"),

        // Devices and counters.
        ["device-name-not-a-label"] = (s => s.Device.Name = "GPU_0", "spec.devices[0].name"),
        ["device-name-twice"] = (s => s.Devices.Add(Gpu(0)), "spec.devices[1]"),
        ["counter-set-name-not-a-label"] = (s => { s.Devices.Clear(); s.Counters.Add(Set("Card_0")); }, "spec.sharedCounters[0].name"),
        ["counter-set-without-counters"] = (s => { s.Devices.Clear(); s.Counters.Add(new V1CounterSet { Name = "card-0", Counters = new Dictionary<string, V1Counter>() }); }, "spec.sharedCounters[0].counters"),
        ["counter-set-twice"] = (s => { s.Devices.Clear(); s.Counters.Add(Set("card-0")); s.Counters.Add(Set("card-0")); }, "spec.sharedCounters[1]"),
        ["counter-set-33-counters"] = (s => { s.Devices.Clear(); s.Counters.Add(Set("card-0", 33)); }, "spec.sharedCounters[0].counters"),
        ["counter-name-not-a-label"] = (s => { s.Devices.Clear(); s.Counters.Add(new V1CounterSet { Name = "card-0", Counters = new Dictionary<string, V1Counter> { ["Mem"] = new() { Value = Q("1") } } }); }, "spec.sharedCounters[0].counters"),
        ["consumes-3-counter-sets"] = (s => Consume(s, "card-0", "card-1", "card-2"), "spec.devices[0].consumesCounters"),
        ["consumes-a-counter-set-twice"] = (s => Consume(s, "card-0", "card-0"), "spec.devices[0].consumesCounters[1]"),
        ["consumes-a-bad-counter-set-name"] = (s => Consume(s, "Card_0"), "spec.devices[0].consumesCounters[0].counterSet|spec.sharedCounters[0].name"),
        ["consumes-no-counters"] = (s => { Consume(s, "card-0"); s.Device.ConsumesCounters[0].Counters = new Dictionary<string, V1Counter>(); }, "spec.devices[0].consumesCounters[0].counters"),

        // Binding conditions: at most 4 each, label names, no duplicates, disjoint, and neither without the other.
        ["binding-conditions"] = (s => (s.Device.BindingConditions, s.Device.BindingFailureConditions) = (["ready"], ["example.com/failed"]), ""),
        ["5-binding-conditions"] = (s => (s.Device.BindingConditions, s.Device.BindingFailureConditions) = (["a", "b", "c", "d", "e"], ["f"]), "spec.devices[0].bindingConditions"),
        ["5-binding-failure-conditions"] = (s => (s.Device.BindingConditions, s.Device.BindingFailureConditions) = (["f"], ["a", "b", "c", "d", "e"]), "spec.devices[0].bindingFailureConditions"),
        ["binding-without-failure"] = (s => s.Device.BindingConditions = ["ready"], "spec.devices[0].bindingFailureConditions"),
        ["failure-without-binding"] = (s => s.Device.BindingFailureConditions = ["failed"], "spec.devices[0].bindingConditions"),
        ["binding-overlap"] = (s => (s.Device.BindingConditions, s.Device.BindingFailureConditions) = (["ready"], ["ready"]), "spec.devices[0].bindingFailureConditions[0]"),
        ["binding-duplicate"] = (s => (s.Device.BindingConditions, s.Device.BindingFailureConditions) = (["ready", "ready"], ["failed"]), "spec.devices[0].bindingConditions[1]"),
        ["binding-not-a-label-name"] = (s => (s.Device.BindingConditions, s.Device.BindingFailureConditions) = (["not ready"], ["failed"]), "spec.devices[0].bindingConditions[0]"),

        // Node selection.
        ["node-name-not-a-subdomain"] = (s => s.NodeName = "Node_A", "spec.nodeName"),
        ["network-all-nodes"] = (s => s.Network(allNodes: true), ""),
        ["network-without-selection"] = (s => s.Network(), "spec"),
        ["network-selector"] = (s => s.Network(Selector(Expression("example.com/rack", "In", "r1"))), ""),
        ["network-selector-two-terms"] = (s => s.Network(new V1NodeSelector { NodeSelectorTerms = [Term(), Term()] }), "spec.nodeSelector.nodeSelectorTerms"),
        ["network-selector-no-terms"] = (s => s.Network(new V1NodeSelector { NodeSelectorTerms = [] }), "spec.nodeSelector.nodeSelectorTerms"),
        ["selector-in-without-values"] = (s => s.Network(Selector(Expression("rack", "In"))), "spec.nodeSelector.nodeSelectorTerms[0].matchExpressions[0].values"),
        ["selector-exists-with-values"] = (s => s.Network(Selector(Expression("rack", "Exists", "r1"))), "spec.nodeSelector.nodeSelectorTerms[0].matchExpressions[0].values"),
        ["selector-gt-two-values"] = (s => s.Network(Selector(Expression("gpus", "Gt", "1", "2"))), "spec.nodeSelector.nodeSelectorTerms[0].matchExpressions[0].values"),
        ["selector-gt-one-value"] = (s => s.Network(Selector(Expression("gpus", "Lt", "8"))), ""),
        ["selector-bad-operator"] = (s => s.Network(Selector(Expression("rack", "Equals", "r1"))), "spec.nodeSelector.nodeSelectorTerms[0].matchExpressions[0].operator"),
        ["selector-bad-key"] = (s => s.Network(Selector(Expression("not a key", "Exists"))), "spec.nodeSelector.nodeSelectorTerms[0].matchExpressions[0].key"),
        ["selector-bad-value"] = (s => s.Network(Selector(Expression("rack", "In", "not a value"))), "spec.nodeSelector.nodeSelectorTerms[0].matchExpressions[0].values[0]"),
        ["selector-field-name"] = (s => s.Network(Selector(fields: Expression("metadata.name", "In", "node-a"))), ""),
        ["selector-field-not-name"] = (s => s.Network(Selector(fields: Expression("spec.nodeName", "In", "node-a"))), "spec.nodeSelector.nodeSelectorTerms[0].matchFields[0].key"),
        ["selector-field-two-values"] = (s => s.Network(Selector(fields: Expression("metadata.name", "In", "a", "b"))), "spec.nodeSelector.nodeSelectorTerms[0].matchFields[0].values"),
        ["selector-field-exists"] = (s => s.Network(Selector(fields: Expression("metadata.name", "Exists"))), "spec.nodeSelector.nodeSelectorTerms[0].matchFields[0].operator"),
        ["selector-field-bad-node-name"] = (s => s.Network(Selector(fields: Expression("metadata.name", "In", "Node_A"))), "spec.nodeSelector.nodeSelectorTerms[0].matchFields[0].values[0]"),
        ["per-device-node-name"] = (s => { s.Network(perDevice: true); s.Device.NodeName = "node-a"; }, ""),
        ["per-device-without-selection"] = (s => s.Network(perDevice: true), "spec.devices[0]"),
        ["per-device-two-selections"] = (s => { s.Network(perDevice: true); (s.Device.NodeName, s.Device.AllNodes) = ("node-a", true); }, "spec.devices[0]"),
        ["per-device-bad-node-name"] = (s => { s.Network(perDevice: true); s.Device.NodeName = "Node_A"; }, "spec.devices[0].nodeName"),
        ["per-device-empty-node-name"] = (s => { s.Network(perDevice: true); s.Device.NodeName = ""; }, "spec.devices[0].nodeName|spec.devices[0]"),
        ["per-device-all-nodes-false"] = (s => { s.Network(perDevice: true); s.Device.AllNodes = false; }, "spec.devices[0].allNodes|spec.devices[0]"),
        ["per-device-bad-selector"] = (s => { s.Network(perDevice: true); s.Device.NodeSelector = Selector(Expression("rack", "Equals")); }, "spec.devices[0].nodeSelector.nodeSelectorTerms[0].matchExpressions[0].operator"),
        ["device-selection-without-per-device"] = (s => s.Device.AllNodes = true, "spec.devices[0]"),
    };

    /// <summary>What the SDK refuses although the API server accepts it (docs/guides/resource-slices.md).</summary>
    private static readonly Dictionary<string, Action<Shape>> BeyondServer = new()
    {
        ["attribute-name-with-two-slashes"] = s => s.Device.Attributes["example.com/a/b"] = new() { BoolValue = true },
        ["consumes-a-counter-set-the-pool-lacks"] = s => Consume(s, "card-9"),
        ["consumes-more-than-the-set-holds"] = s => { s.Counters.Add(Set("card-0")); Consume(s, "card-0"); s.Device.ConsumesCounters[0].Counters["c0"].Value = Q("2"); },
        ["capacity-without-value"] = s => s.Device.Capacity["cores"] = new V1DeviceCapacity(),
    };

    public static TheoryData<string> Names => [.. Cases.Keys];

    public static TheoryData<string> BeyondNames => [.. BeyondServer.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task The_SDK_and_the_in_memory_API_server_give_the_verdict_and_field_paths_of_kube_apiserver(string name)
    {
        (Action<Shape> change, string fields) = Cases[name];
        var shape = new Shape();
        change(shape);
        string[] expected = [.. fields.Split('|', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];

        List<ValidationProblem> sdk = Sdk(shape);
        Assert.DoesNotContain(sdk, p => p.BeyondServer);
        Assert.Equal(expected, sdk.Select(p => p.Field!).Distinct().Order(StringComparer.Ordinal));
        if (expected.Length > 0)
        {
            // The public API says the same, with the server's field path.
            ArgumentException error = Assert.Throws<ArgumentException>(() => Resources(shape).Validate(shape.Driver, shape.NodeName));
            Assert.Contains($"({expected[0]})", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(expected, (await ServerAsync(shape)).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(BeyondNames))]
    public async Task What_the_SDK_checks_beyond_the_API_server_is_accepted_by_the_server_and_refused_by_the_SDK(string name)
    {
        var shape = new Shape();
        BeyondServer[name](shape);

        List<ValidationProblem> sdk = Sdk(shape);
        Assert.NotEmpty(sdk);
        Assert.All(sdk, p => Assert.True(p.BeyondServer, p.ToString()));
        Assert.Empty(await ServerAsync(shape));
    }

    [Fact]
    public async Task List_type_attributes_are_accepted_by_both_once_the_gate_is_on()
    {
        var shape = new Shape();
        shape.Device.Attributes["x"] = new() { Strings = ["a", "b"] };
        Assert.Empty(ResourceValidation.Check(Resources(shape), shape.Driver, shape.NodeName, listTypeAttributes: true));
        Resources(shape).Validate(shape.Driver, shape.NodeName, listTypeAttributes: true);

        var options = new InMemoryApiServerOptions();
        options.DisabledFeatureGates.Remove("DRAListTypeAttributes");
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(options, TestContext.Current.CancellationToken);
        using IKubernetes client = api.CreateClient();
        V1ResourceSlice created = await client.ResourceV1.CreateResourceSliceAsync(ToSlice(shape, "lists", devices: true), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["a", "b"], created.Spec.Devices[0].Attributes["x"].Strings);
    }

    [Fact]
    public async Task The_publisher_never_changes_a_slice_s_driver_pool_or_node_which_the_server_keeps_immutable()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using Infrastructure.PublisherHost host = await Infrastructure.PublisherHost.StartAsync(api);
        DriverResources InPool(string pool, params V1Device[] devices) => new()
        {
            Pools = new Dictionary<string, Pool>(StringComparer.Ordinal) { [pool] = new Pool { Slices = [new Slice { Devices = devices }] } },
        };

        await host.Publisher.PublishAsync(InPool("pool-a", Gpu(0), Gpu(1)), Timeout());
        string first = Assert.Single(api.Slices()).Metadata.Name;

        // The same devices in another pool: a new slice, the old one deleted, never an update of spec.pool.name.
        await host.Publisher.PublishAsync(InPool("pool-b", Gpu(0), Gpu(1)), Timeout());
        V1ResourceSlice moved = Assert.Single(api.Slices());
        Assert.Equal("pool-b", moved.Spec.Pool.Name);
        Assert.NotEqual(first, moved.Metadata.Name);
        Assert.Empty(host.Publisher.Status.PermanentErrors);
        Assert.Equal(0, host.Errors.RecoverableCount);
    }

    private static List<ValidationProblem> Sdk(Shape shape) => ResourceValidation.Check(Resources(shape), shape.Driver, shape.NodeName);

    private static DriverResources Resources(Shape shape) => new()
    {
        Pools = new Dictionary<string, Pool>(StringComparer.Ordinal)
        {
            [shape.PoolName] = new Pool
            {
                NodeSelector = shape.NodeSelector,
                AllNodes = shape.AllNodes,
                Slices = [new Slice { Devices = shape.Devices, SharedCounters = shape.Counters, PerDeviceNodeSelection = shape.PerDevice }],
            },
        },
    };

    /// <summary>The field paths of the in-memory server's 422, empty when it accepts; devices and counter sets go in slices of their own.</summary>
    private async Task<List<string>> ServerAsync(Shape shape)
    {
        var fields = new List<string>();
        var parts = new List<bool>();
        if (shape.Devices.Count > 0 || shape.Counters.Count == 0)
        {
            parts.Add(true);
        }

        if (shape.Counters.Count > 0)
        {
            parts.Add(false);
        }

        foreach (bool devices in parts)
        {
            V1ResourceSlice slice = ToSlice(shape, $"{(devices ? "d" : "c")}-{server.Next()}", devices);
            try
            {
                await server.Client.ResourceV1.CreateResourceSliceAsync(slice, cancellationToken: TestContext.Current.CancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == (HttpStatusCode)422)
            {
                V1Status status = KubernetesJson.Deserialize<V1Status>(e.Response.Content);
                fields.AddRange(status.Details.Causes.Select(c => c.Field));
            }
        }

        return [.. fields.Distinct()];
    }

    private static V1ResourceSlice ToSlice(Shape shape, string name, bool devices) => new()
    {
        ApiVersion = "resource.k8s.io/v1",
        Kind = "ResourceSlice",
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ResourceSliceSpec
        {
            Driver = shape.Driver,
            NodeName = shape.NodeName,
            NodeSelector = shape.NodeSelector,
            AllNodes = shape.AllNodes ? true : null,
            PerDeviceNodeSelection = shape.PerDevice ? true : null,
            Pool = new V1ResourcePool { Name = shape.PoolName, ResourceSliceCount = 1 },
            Devices = devices ? shape.Devices : null,
            SharedCounters = devices ? null : shape.Counters,
        },
    };

    private static ResourceQuantity Q(string value) => new(value);

    private static void AddAttributes(V1Device device, int count)
    {
        for (int i = 0; i < count; i++)
        {
            device.Attributes[$"a{i}"] = new() { IntValue = i };
        }
    }

    private static V1CounterSet Set(string name, int counters = 1) => new()
    {
        Name = name,
        Counters = Enumerable.Range(0, counters).ToDictionary(i => $"c{i}", _ => new V1Counter { Value = Q("1") }),
    };

    /// <summary>The device consumes counter c0 of each set; sets that the pool lacks are added to it, except card-9.</summary>
    private static void Consume(Shape shape, params string[] sets)
    {
        shape.Device.ConsumesCounters = [.. sets.Select(s => new V1DeviceCounterConsumption { CounterSet = s, Counters = new Dictionary<string, V1Counter> { ["c0"] = new() { Value = Q("1") } } })];
        foreach (string set in sets.Distinct().Where(s => s != "card-9" && shape.Counters.All(c => c.Name != s)))
        {
            shape.Counters.Add(Set(set));
        }
    }

    private static V1NodeSelectorRequirement Expression(string key, string op, params string[] values) =>
        new() { Key = key, OperatorProperty = op, Values = values.Length == 0 ? null : [.. values] };

    private static V1NodeSelectorTerm Term() => new() { MatchExpressions = [Expression("rack", "Exists")] };

    private static V1NodeSelector Selector(V1NodeSelectorRequirement? expression = null, V1NodeSelectorRequirement? fields = null) => new()
    {
        NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = expression is null ? null : [expression], MatchFields = fields is null ? null : [fields] }],
    };

    /// <summary>One in-memory API server with the defaults of kube-apiserver 1.36, shared by the cases.</summary>
    public sealed class Server : IAsyncLifetime
    {
        private int _next;
        private InMemoryKubernetesApiServer? _api;

        public IKubernetes Client { get; private set; } = null!;

        public int Next() => Interlocked.Increment(ref _next);

        public async ValueTask InitializeAsync()
        {
            _api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
            Client = _api.CreateClient();
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            if (_api is not null)
            {
                await _api.DisposeAsync();
            }
        }
    }
}
