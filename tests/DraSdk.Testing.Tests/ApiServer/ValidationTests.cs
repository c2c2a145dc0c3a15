using System.Net;
using k8s;
using k8s.Models;
using static DraSdk.Testing.Tests.ApiServer.ApiTestSupport;

namespace DraSdk.Testing.Tests.ApiServer;

public sealed class ValidationTests
{
    private static readonly HttpStatusCode Unprocessable = (HttpStatusCode)422;

    [Fact]
    public async Task Invalid_slice_is_422_with_a_cause_per_field()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var slice = Slice("bad");
        slice.Spec.Driver = null;
        slice.Spec.Pool.ResourceSliceCount = 0;
        slice.Spec.AllNodes = true; // and nodeName: two node selections
        slice.Spec.Devices = [new V1Device { Name = "GPU_0" }, new V1Device { Name = "gpu-1" }, new V1Device { Name = "gpu-1" }];

        var status = await ExpectStatusAsync(Unprocessable, () => client.ResourceV1.CreateResourceSliceAsync(slice, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal("Invalid", status.Reason);
        Assert.Equal("ResourceSlice", status.Details.Kind);
        Assert.Equal("resource.k8s.io", status.Details.Group);
        Assert.StartsWith("ResourceSlice.resource.k8s.io \"bad\" is invalid: [spec.driver: Required value", status.Message, StringComparison.Ordinal);
        var causes = status.Details.Causes.Select(c => (c.Reason, c.Field)).ToList();
        Assert.Contains(("FieldValueRequired", "spec.driver"), causes);
        Assert.Contains(("FieldValueInvalid", "spec.pool.resourceSliceCount"), causes);
        Assert.Contains(("FieldValueInvalid", "spec"), causes);
        Assert.Contains(("FieldValueInvalid", "spec.devices[0].name"), causes);
        Assert.Contains(("FieldValueDuplicate", "spec.devices[2]"), causes);
        Assert.DoesNotContain(causes, c => c.Field == "spec.devices[1].name");
        Assert.Empty(api.List<V1ResourceSlice>());
    }

    [Fact]
    public async Task Slice_without_a_node_selection_and_too_many_devices_is_rejected()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var slice = Slice("many", devices: 129);
        slice.Spec.NodeName = null;

        var status = await ExpectStatusAsync(Unprocessable, () => client.ResourceV1.CreateResourceSliceAsync(slice, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains(status.Details.Causes, c => c is { Reason: "FieldValueRequired", Field: "spec" } && c.Message.Contains("exactly one of `nodeName`", StringComparison.Ordinal));
        Assert.Contains(status.Details.Causes, c => c is { Reason: "FieldValueTooMany", Field: "spec.devices" });
    }

    [Fact]
    public async Task Object_names_must_be_DNS_subdomains()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();

        var status = await ExpectStatusAsync(Unprocessable, () => client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "Node_A" } }, cancellationToken: TestContext.Current.CancellationToken));
        var cause = Assert.Single(status.Details.Causes);
        Assert.Equal("metadata.name", cause.Field);
        Assert.Contains("RFC 1123 subdomain", cause.Message, StringComparison.Ordinal);

        var tooLong = await ExpectStatusAsync(Unprocessable, () => client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = new string('a', 254) } }, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains(tooLong.Details.Causes, c => c.Message.Contains("no more than 253", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Name_lengths_are_counted_in_UTF8_bytes_as_Go_counts_them()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;

        // 127 characters, 254 bytes: over the subdomain limit (and not of its alphabet). Go counts bytes, while the
        // message of util/validation says "characters".
        var node = await ExpectStatusAsync(Unprocessable, () => client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = new string('é', 127) } }, cancellationToken: ct));
        Assert.Contains(node.Details.Causes, c => c is { Field: "metadata.name" } && c.Message.EndsWith("must be no more than 253 characters", StringComparison.Ordinal));
        Assert.Contains(node.Details.Causes, c => c.Message.Contains("RFC 1123 subdomain", StringComparison.Ordinal));

        // 32 characters, 64 bytes: over the label limit of a namespace name.
        var ns = await ExpectStatusAsync(Unprocessable, () => client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = new string('é', 32) } }, cancellationToken: ct));
        Assert.Contains(ns.Details.Causes, c => c is { Field: "metadata.name" } && c.Message.EndsWith("must be no more than 63 characters", StringComparison.Ordinal));

        // 31 characters, 62 bytes: within the limit, refused only for its alphabet.
        var shortNs = await ExpectStatusAsync(Unprocessable, () => client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = new string('é', 31) } }, cancellationToken: ct));
        Assert.Contains("RFC 1123 label", Assert.Single(shortNs.Details.Causes).Message, StringComparison.Ordinal);

        // A subdomain where a label belongs: the server says what is wrong with it.
        var dotted = await ExpectStatusAsync(Unprocessable, () => client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team.a" } }, cancellationToken: ct));
        var dots = Assert.Single(dotted.Details.Causes);
        Assert.Equal("metadata.name", dots.Field);
        Assert.EndsWith("must not contain dots", dots.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Claim_request_names_must_be_DNS_labels_and_the_spec_is_immutable()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;

        var bad = await ExpectStatusAsync(Unprocessable, () => client.ResourceV1.CreateNamespacedResourceClaimAsync(Claim("c", "default", "ok", "Not.A.Label"), "default", cancellationToken: ct));
        Assert.Equal("spec.devices.requests[1].name", Assert.Single(bad.Details.Causes).Field);

        var created = await client.ResourceV1.CreateNamespacedResourceClaimAsync(Claim("c"), "default", cancellationToken: ct);
        created.Spec.Devices.Requests[0].Exactly.DeviceClassName = "other.example.com";
        var immutable = await ExpectStatusAsync(Unprocessable, () => client.ResourceV1.ReplaceNamespacedResourceClaimAsync(created, "c", "default", cancellationToken: ct));
        Assert.Contains("field is immutable", immutable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Claim_status_devices_must_be_allocated()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var claim = Claim("c");
        claim.Status = CrudTests.Allocated("gpu-0");
        var seeded = api.Seed(claim);

        seeded.Status.Devices = [new V1AllocatedDeviceStatus { Driver = "gpu.example.com", Pool = "node-a", Device = "gpu-9" }];
        var status = await ExpectStatusAsync(Unprocessable, () => client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(seeded, "c", "default", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal("status.devices[0]", Assert.Single(status.Details.Causes).Field);
    }

    [Fact]
    public async Task Registered_validators_run_on_create_and_update()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        api.AddValidator<V1ResourceSlice>((slice, old) =>
            old is not null && slice.Metadata.Labels?.ContainsKey("frozen") == true ? [ApiFieldError.Forbidden("metadata.labels", "no frozen label on update")] :
            slice.Spec.Devices?.Count > 2 ? [ApiFieldError.TooMany("spec.devices", slice.Spec.Devices.Count, 2)] : []);

        var tooMany = await ExpectStatusAsync(Unprocessable, () => client.ResourceV1.CreateResourceSliceAsync(Slice("s", devices: 3), cancellationToken: ct));
        Assert.Equal("FieldValueTooMany", Assert.Single(tooMany.Details.Causes).Reason);

        var created = await client.ResourceV1.CreateResourceSliceAsync(Slice("s", devices: 2), cancellationToken: ct);
        created.Metadata.Labels = new Dictionary<string, string> { ["frozen"] = "yes" };
        var refused = await ExpectStatusAsync(Unprocessable, () => client.ResourceV1.ReplaceResourceSliceAsync(created, "s", cancellationToken: ct));
        Assert.Equal("ResourceSlice.resource.k8s.io \"s\" is invalid: metadata.labels: Forbidden: no frozen label on update", refused.Message);

        Assert.Throws<InvalidOperationException>(() => api.Seed(Slice("direct", devices: 5)));
    }

    [Fact]
    public async Task DeviceClass_selectors_need_an_expression()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var dc = new V1DeviceClass
        {
            Metadata = new V1ObjectMeta { Name = "gpu.example.com" },
            Spec = new V1DeviceClassSpec { Selectors = [new V1DeviceSelector { Cel = new V1CELDeviceSelector { Expression = "" } }] },
        };

        var status = await ExpectStatusAsync(Unprocessable, () => client.ResourceV1.CreateDeviceClassAsync(dc, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal("spec.selectors[0].cel.expression", Assert.Single(status.Details.Causes).Field);

        dc.Spec.Selectors[0].Cel.Expression = "device.driver == 'gpu.example.com'";
        var created = await client.ResourceV1.CreateDeviceClassAsync(dc, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("DeviceClass", created.Kind);
    }
}
