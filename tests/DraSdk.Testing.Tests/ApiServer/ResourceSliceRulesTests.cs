using System.Net;
using System.Text;
using k8s;
using k8s.Models;
using static DraSdk.Testing.Tests.ApiServer.ApiTestSupport;

namespace DraSdk.Testing.Tests.ApiServer;

/// <summary>
/// ResourceSlice rules of kube-apiserver 1.36 with their reasons and field paths. The full table of cases, run against
/// the SDK's validation as well, is DraSdk.ResourceSlices.Tests' ValidationAgreementTests.
/// </summary>
public sealed class ResourceSliceRulesTests
{
    private static readonly HttpStatusCode Unprocessable = (HttpStatusCode)422;

    public static TheoryData<string, string, string> Cases => new()
    {
        { "failure-without-binding", "FieldValueInvalid", "spec.devices[0].bindingConditions" },
        { "binding-without-failure", "FieldValueInvalid", "spec.devices[0].bindingFailureConditions" },
        { "binding-duplicate", "FieldValueDuplicate", "spec.devices[0].bindingConditions[1]" },
        { "binding-overlap", "FieldValueInvalid", "spec.devices[0].bindingFailureConditions[0]" },
        { "device-twice", "FieldValueDuplicate", "spec.devices[1]" },
        { "values-and-range", "FieldValueForbidden", "spec.devices[0].capacity[memory].requestPolicy" },
        { "default-above-max", "FieldValueInvalid", "spec.devices[0].capacity[memory].requestPolicy.validRange.default" },
        { "value-above-capacity", "FieldValueInvalid", "spec.devices[0].capacity[memory].requestPolicy.validValues[1]" },
        { "empty-node-name", "FieldValueInvalid", "spec.nodeName" },
        { "node-name-not-subdomain", "FieldValueInvalid", "spec.nodeName" },
        { "all-nodes-false", "FieldValueInvalid", "spec.allNodes" },
        { "selector-in-without-values", "FieldValueRequired", "spec.nodeSelector.nodeSelectorTerms[0].matchExpressions[0].values" },
        { "selector-exists-with-values", "FieldValueForbidden", "spec.nodeSelector.nodeSelectorTerms[0].matchExpressions[0].values" },
        { "selector-field-key", "FieldValueInvalid", "spec.nodeSelector.nodeSelectorTerms[0].matchFields[0].key" },
        { "string-65-bytes", "FieldValueTooLong", "spec.devices[0].attributes[model].string" },
        { "attribute-key", "FieldValueInvalid", "spec.devices[0].attributes" },
        { "attribute-without-value", "FieldValueInvalid", "spec.devices[0].attributes[model]" },
        { "counter-set-twice", "FieldValueDuplicate", "spec.sharedCounters[1]" },
        { "taint-without-key", "FieldValueInvalid", "spec.devices[0].taints[0].key" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_rule_of_kube_apiserver_is_answered_with_its_reason_and_field(string variant, string reason, string field)
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var slice = Invalid(variant);

        var status = await ExpectStatusAsync(Unprocessable, () => client.ResourceV1.CreateResourceSliceAsync(slice, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains((reason, field), status.Details.Causes.Select(c => (c.Reason, c.Field)));
        Assert.Empty(api.List<V1ResourceSlice>());
    }

    [Theory]
    [InlineData("driver", "spec.driver")]
    [InlineData("pool", "spec.pool.name")]
    [InlineData("node", "spec.nodeName")]
    public async Task The_driver_the_pool_name_and_the_node_name_are_immutable(string what, string field)
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var created = await client.ResourceV1.CreateResourceSliceAsync(Slice("s", devices: 2), cancellationToken: ct);

        // Other changes are accepted.
        created.Spec.Devices.RemoveAt(1);
        created.Spec.Pool.Generation = 2;
        created = await client.ResourceV1.ReplaceResourceSliceAsync(created, "s", cancellationToken: ct);
        Assert.Single(created.Spec.Devices);

        switch (what)
        {
            case "driver": created.Spec.Driver = "other.example.com"; break;
            case "pool": created.Spec.Pool.Name = "other-pool"; break;
            default: created.Spec.NodeName = "node-b"; break;
        }

        var status = await ExpectStatusAsync(Unprocessable, () => client.ResourceV1.ReplaceResourceSliceAsync(created, "s", cancellationToken: ct));
        var cause = Assert.Single(status.Details.Causes);
        Assert.Equal(("FieldValueInvalid", field), (cause.Reason, cause.Field));
        Assert.EndsWith("field is immutable", cause.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_type_attributes_are_refused_while_their_gate_is_off_as_by_default_in_1_36()
    {
        var ct = TestContext.Current.CancellationToken;
        var slice = Slice("lists");
        slice.Spec.Devices[0].Attributes = new Dictionary<string, V1DeviceAttribute> { ["models"] = new() { Strings = ["a", "b"] } };

        await using (var api = await InMemoryKubernetesApiServer.StartAsync(ct))
        {
            using var client = api.CreateClient();
            var status = await ExpectStatusAsync(Unprocessable, () => client.ResourceV1.CreateResourceSliceAsync(slice, cancellationToken: ct));
            var cause = Assert.Single(status.Details.Causes);
            Assert.Equal(("FieldValueInvalid", "spec.devices[0].attributes[models]"), (cause.Reason, cause.Field));
            Assert.Contains("exactly one value must be specified", cause.Message, StringComparison.Ordinal);
        }

        var enabled = new InMemoryApiServerOptions();
        Assert.True(enabled.DisabledFeatureGates.Remove("DRAListTypeAttributes"));
        await using (var api = await InMemoryKubernetesApiServer.StartAsync(enabled, ct))
        {
            using var client = api.CreateClient();
            var created = await client.ResourceV1.CreateResourceSliceAsync(slice, cancellationToken: ct);
            Assert.Equal(["a", "b"], created.Spec.Devices[0].Attributes["models"].Strings);
        }
    }

    [Fact]
    public async Task DeviceTaintRules_are_served_only_in_v1alpha3_and_v1beta2_and_only_with_their_gate()
    {
        var ct = TestContext.Current.CancellationToken;
        const string Rule = """{"apiVersion":"resource.k8s.io/VERSION","kind":"DeviceTaintRule","metadata":{"name":"r"},"spec":{"taint":{"key":"example.com/broken","effect":"NoSchedule"}}}""";
        await using (var api = await InMemoryKubernetesApiServer.StartAsync(ct))
        {
            using var http = new HttpClient { BaseAddress = api.BaseAddress };
            foreach (var version in new[] { "v1", "v1beta2", "v1alpha3" })
            {
                using var response = await http.GetAsync(new Uri($"apis/resource.k8s.io/{version}/devicetaintrules", UriKind.Relative), ct);
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }
        }

        var enabled = new InMemoryApiServerOptions();
        enabled.DisabledFeatureGates.Remove("DRADeviceTaintRules");
        await using (var api = await InMemoryKubernetesApiServer.StartAsync(enabled, ct))
        {
            using var http = new HttpClient { BaseAddress = api.BaseAddress };
            using var v1 = await http.GetAsync(new Uri("apis/resource.k8s.io/v1/devicetaintrules", UriKind.Relative), ct);
            Assert.Equal(HttpStatusCode.NotFound, v1.StatusCode);
            foreach (var version in new[] { "v1beta2", "v1alpha3" })
            {
                using var body = new StringContent(Rule.Replace("VERSION", version, StringComparison.Ordinal), Encoding.UTF8, "application/json");
                using var created = await http.PostAsync(new Uri($"apis/resource.k8s.io/{version}/devicetaintrules", UriKind.Relative), body, ct);
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                using var list = await http.GetAsync(new Uri($"apis/resource.k8s.io/{version}/devicetaintrules", UriKind.Relative), ct);
                Assert.Contains("\"name\":\"r\"", await list.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
            }
        }
    }

    private static V1ResourceSlice Invalid(string variant)
    {
        var slice = Slice("bad");
        var d = slice.Spec.Devices[0];
        d.Capacity = new Dictionary<string, V1DeviceCapacity> { ["memory"] = new() { Value = new ResourceQuantity("40Gi") } };
        var memory = d.Capacity["memory"];
        static V1NodeSelector Selector(V1NodeSelectorRequirement? expression = null, V1NodeSelectorRequirement? field = null) =>
            new() { NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = expression is null ? null : [expression], MatchFields = field is null ? null : [field] }] };
        void Network(V1NodeSelector selector) => (slice.Spec.NodeName, slice.Spec.NodeSelector) = (null, selector);
        switch (variant)
        {
            case "failure-without-binding": d.BindingFailureConditions = ["failed"]; break;
            case "binding-without-failure": d.BindingConditions = ["ready"]; break;
            case "binding-duplicate": (d.BindingConditions, d.BindingFailureConditions) = (["ready", "ready"], ["failed"]); break;
            case "binding-overlap": (d.BindingConditions, d.BindingFailureConditions) = (["ready"], ["ready"]); break;
            case "device-twice": slice.Spec.Devices.Add(new V1Device { Name = d.Name }); break;
            case "values-and-range":
                d.AllowMultipleAllocations = true;
                memory.RequestPolicy = new() { DefaultProperty = new("1Gi"), ValidValues = [new("1Gi")], ValidRange = new() { Min = new("1Gi") } };
                break;
            case "default-above-max":
                d.AllowMultipleAllocations = true;
                memory.RequestPolicy = new() { DefaultProperty = new("8Gi"), ValidRange = new() { Min = new("1Gi"), Max = new("4Gi") } };
                break;
            case "value-above-capacity":
                d.AllowMultipleAllocations = true;
                memory.RequestPolicy = new() { DefaultProperty = new("1Gi"), ValidValues = [new("1Gi"), new("80Gi")] };
                break;
            case "empty-node-name": slice.Spec.NodeName = ""; slice.Spec.AllNodes = true; break;
            case "node-name-not-subdomain": slice.Spec.NodeName = "Node_A"; break;
            case "all-nodes-false": slice.Spec.AllNodes = false; break;
            case "selector-in-without-values": Network(Selector(new() { Key = "rack", OperatorProperty = "In" })); break;
            case "selector-exists-with-values": Network(Selector(new() { Key = "rack", OperatorProperty = "Exists", Values = ["r1"] })); break;
            case "selector-field-key": Network(Selector(field: new() { Key = "spec.nodeName", OperatorProperty = "In", Values = ["node-a"] })); break;
            case "string-65-bytes": d.Attributes = new Dictionary<string, V1DeviceAttribute> { ["model"] = new() { StringValue = new string('é', 32) + "x" } }; break;
            case "attribute-key": d.Attributes = new Dictionary<string, V1DeviceAttribute> { ["example.com/bad-name"] = new() { BoolValue = true } }; break;
            case "attribute-without-value": d.Attributes = new Dictionary<string, V1DeviceAttribute> { ["model"] = new() }; break;
            case "counter-set-twice":
                slice.Spec.Devices = null;
                slice.Spec.SharedCounters = [.. Enumerable.Range(0, 2).Select(_ => new V1CounterSet { Name = "card-0", Counters = new Dictionary<string, V1Counter> { ["memory"] = new() { Value = new("1") } } })];
                break;
            case "taint-without-key": d.Taints = [new V1DeviceTaint { Effect = "NoSchedule" }]; break;
            default: throw new ArgumentOutOfRangeException(nameof(variant));
        }

        return slice;
    }
}
