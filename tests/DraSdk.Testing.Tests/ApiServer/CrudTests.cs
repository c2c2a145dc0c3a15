using System.Net;
using k8s;
using k8s.Models;
using static DraSdk.Testing.Tests.ApiServer.ApiTestSupport;

namespace DraSdk.Testing.Tests.ApiServer;

public sealed class CrudTests
{
    [Fact]
    public async Task Create_assigns_server_fields_and_read_returns_the_object()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();

        var created = await client.ResourceV1.CreateResourceSliceAsync(Slice("node-a-gpu", devices: 2), cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(Guid.TryParse(created.Metadata.Uid, out _));
        Assert.Equal(1, created.Metadata.Generation);
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.True(long.Parse(created.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal(api.ResourceVersion, created.Metadata.ResourceVersion);

        var read = await client.ResourceV1.ReadResourceSliceAsync("node-a-gpu", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("resource.k8s.io/v1", read.ApiVersion);
        Assert.Equal("ResourceSlice", read.Kind);
        Assert.Equal(created.Metadata.Uid, read.Metadata.Uid);
        Assert.Equal(["gpu-0", "gpu-1"], read.Spec.Devices.Select(d => d.Name));
    }

    [Fact]
    public async Task ResourceVersions_increase_globally_across_resources()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;

        var node = await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "node-a" } }, cancellationToken: ct);
        var slice = await client.ResourceV1.CreateResourceSliceAsync(Slice("s"), cancellationToken: ct);
        var lease = await client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease { Metadata = new V1ObjectMeta { Name = "l" } }, "kube-system", cancellationToken: ct);

        var rvs = new[] { node, (IMetadata<V1ObjectMeta>)slice, lease }.Select(o => long.Parse(o.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(rvs[0] < rvs[1] && rvs[1] < rvs[2]);
        Assert.Equal("kube-system", lease.Metadata.NamespaceProperty);

        var readNode = await client.CoreV1.ReadNodeAsync("node-a", cancellationToken: ct);
        Assert.Equal("Node", readNode.Kind);
        Assert.Equal(node.Metadata.Uid, readNode.Metadata.Uid);
    }

    [Fact]
    public async Task GenerateName_appends_five_characters_from_the_kubernetes_alphabet()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var slice = Slice("ignored");
        slice.Metadata.Name = null;
        slice.Metadata.GenerateName = "node-a-gpu.example.com-";

        var a = await client.ResourceV1.CreateResourceSliceAsync(slice, cancellationToken: TestContext.Current.CancellationToken);
        var b = await client.ResourceV1.CreateResourceSliceAsync(slice, cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(a.Metadata.Name, b.Metadata.Name);
        foreach (var name in new[] { a.Metadata.Name, b.Metadata.Name })
        {
            Assert.StartsWith("node-a-gpu.example.com-", name, StringComparison.Ordinal);
            var suffix = name["node-a-gpu.example.com-".Length..];
            Assert.Equal(5, suffix.Length);
            Assert.All(suffix, c => Assert.Contains(c, "bcdfghjklmnpqrstvwxz2456789"));
        }
    }

    [Fact]
    public async Task Errors_are_v1_Status_objects_with_real_reasons_and_messages()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        await client.ResourceV1.CreateResourceSliceAsync(Slice("s"), cancellationToken: ct);

        var exists = await ExpectStatusAsync(HttpStatusCode.Conflict, () => client.ResourceV1.CreateResourceSliceAsync(Slice("s"), cancellationToken: ct));
        Assert.Equal("AlreadyExists", exists.Reason);
        Assert.Equal("resourceslices.resource.k8s.io \"s\" already exists", exists.Message);
        Assert.Equal("s", exists.Details.Name);
        Assert.Equal("resource.k8s.io", exists.Details.Group);
        Assert.Equal("resourceslices", exists.Details.Kind);

        var missing = await ExpectStatusAsync(HttpStatusCode.NotFound, () => client.CoreV1.ReadNodeAsync("nope", cancellationToken: ct));
        Assert.Equal("NotFound", missing.Reason);
        Assert.Equal("nodes \"nope\" not found", missing.Message);

        var claim = Claim("c", ns: "other");
        var mismatch = await ExpectStatusAsync(HttpStatusCode.BadRequest, () => client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default", cancellationToken: ct));
        Assert.Equal("BadRequest", mismatch.Reason);
        Assert.Contains("namespace", mismatch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replace_with_a_stale_resourceVersion_is_a_409_Conflict()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var v1 = await client.ResourceV1.CreateResourceSliceAsync(Slice("x"), cancellationToken: ct);

        v1.Metadata.Labels = new Dictionary<string, string> { ["a"] = "1" };
        var v2 = await client.ResourceV1.ReplaceResourceSliceAsync(v1, "x", cancellationToken: ct);
        Assert.NotEqual(v1.Metadata.ResourceVersion, v2.Metadata.ResourceVersion);
        Assert.Equal(1, v2.Metadata.Generation); // metadata-only change

        v1.Metadata.Labels["a"] = "2"; // still carries the old resourceVersion
        var status = await ExpectStatusAsync(HttpStatusCode.Conflict, () => client.ResourceV1.ReplaceResourceSliceAsync(v1, "x", cancellationToken: ct));
        Assert.Equal("Conflict", status.Reason);
        Assert.Equal(
            "Operation cannot be fulfilled on resourceslices.resource.k8s.io \"x\": the object has been modified; please apply your changes to the latest version and try again",
            status.Message);
    }

    [Fact]
    public async Task Replace_without_resourceVersion_is_unconditional_and_spec_changes_bump_generation()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var created = await client.ResourceV1.CreateResourceSliceAsync(Slice("x"), cancellationToken: ct);

        var replacement = Slice("x", devices: 3);
        var replaced = await client.ResourceV1.ReplaceResourceSliceAsync(replacement, "x", cancellationToken: ct);

        Assert.Equal(2, replaced.Metadata.Generation);
        Assert.Equal(created.Metadata.Uid, replaced.Metadata.Uid);
        Assert.Equal(created.Metadata.CreationTimestamp, replaced.Metadata.CreationTimestamp);
        Assert.Equal(3, replaced.Spec.Devices.Count);

        // A write that changes nothing keeps the resourceVersion.
        var again = await client.ResourceV1.ReplaceResourceSliceAsync(replaced, "x", cancellationToken: ct);
        Assert.Equal(replaced.Metadata.ResourceVersion, again.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Status_subresource_separates_spec_and_status_writes()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var claim = Claim("c");
        claim.Status = new V1ResourceClaimStatus { ReservedFor = [new V1ResourceClaimConsumerReference { Resource = "pods", Name = "p", Uid = "u" }] };
        var created = await client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default", cancellationToken: ct);
        Assert.Null(created.Status?.ReservedFor); // status is dropped on create

        created.Status = Allocated("gpu-0");
        created.Metadata.Labels = new Dictionary<string, string> { ["ignored"] = "by-status" };
        var withStatus = await client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, "c", "default", cancellationToken: ct);
        Assert.Equal("gpu-0", withStatus.Status.Allocation.Devices.Results.Single().Device);
        Assert.Null(withStatus.Metadata.Labels); // /status changes only status

        var read = await client.ResourceV1.ReadNamespacedResourceClaimAsync("c", "default", cancellationToken: ct);
        read.Status = null;
        read.Metadata.Labels = new Dictionary<string, string> { ["kept"] = "yes" };
        var mainWrite = await client.ResourceV1.ReplaceNamespacedResourceClaimAsync(read, "c", "default", cancellationToken: ct);
        Assert.Equal("yes", mainWrite.Metadata.Labels["kept"]);
        Assert.NotNull(mainWrite.Status.Allocation); // the main endpoint ignores status
    }

    [Fact]
    public async Task Delete_honours_preconditions_and_returns_the_object()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var created = await client.ResourceV1.CreateResourceSliceAsync(Slice("x"), cancellationToken: ct);

        var wrongUid = await ExpectStatusAsync(HttpStatusCode.Conflict, () => client.ResourceV1.DeleteResourceSliceAsync(
            "x", new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = Guid.NewGuid().ToString() } }, cancellationToken: ct));
        Assert.Equal("Conflict", wrongUid.Reason);
        Assert.Contains("Precondition failed: UID in precondition", wrongUid.Message, StringComparison.Ordinal);

        await ExpectStatusAsync(HttpStatusCode.Conflict, () => client.ResourceV1.DeleteResourceSliceAsync(
            "x", new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = "1234567" } }, cancellationToken: ct));
        Assert.NotNull(api.Get<V1ResourceSlice>("x"));

        var deleted = await client.ResourceV1.DeleteResourceSliceAsync(
            "x", new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = created.Metadata.Uid, ResourceVersion = created.Metadata.ResourceVersion } }, cancellationToken: ct);
        Assert.Equal("x", deleted.Metadata.Name);
        Assert.Null(api.Get<V1ResourceSlice>("x"));
        await ExpectStatusAsync(HttpStatusCode.NotFound, () => client.ResourceV1.DeleteResourceSliceAsync("x", cancellationToken: ct));
    }

    [Fact]
    public async Task DeleteCollection_deletes_only_matching_slices()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        await client.ResourceV1.CreateResourceSliceAsync(Slice("a1", node: "node-a"), cancellationToken: ct);
        await client.ResourceV1.CreateResourceSliceAsync(Slice("a2", node: "node-a", driver: "other.example.com"), cancellationToken: ct);
        await client.ResourceV1.CreateResourceSliceAsync(Slice("b1", node: "node-b", labels: new Dictionary<string, string> { ["keep"] = "true" }), cancellationToken: ct);
        await client.ResourceV1.CreateResourceSliceAsync(Slice("b2", node: "node-b"), cancellationToken: ct);

        await client.ResourceV1.DeleteCollectionResourceSliceAsync(fieldSelector: "spec.nodeName=node-a,spec.driver=gpu.example.com", cancellationToken: ct);
        Assert.Equal(["a2", "b1", "b2"], api.List<V1ResourceSlice>().Select(s => s.Metadata.Name));

        await client.ResourceV1.DeleteCollectionResourceSliceAsync(labelSelector: "!keep", fieldSelector: "spec.nodeName=node-b", cancellationToken: ct);
        Assert.Equal(["a2", "b1"], api.List<V1ResourceSlice>().Select(s => s.Metadata.Name));
    }

    [Fact]
    public async Task Finalizers_delay_deletion_until_they_are_removed()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var claim = Claim("c");
        claim.Metadata.Finalizers = ["resource.kubernetes.io/delete-protection"];
        await client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default", cancellationToken: ct);

        await client.ResourceV1.DeleteNamespacedResourceClaimAsync("c", "default", cancellationToken: ct);
        var terminating = await client.ResourceV1.ReadNamespacedResourceClaimAsync("c", "default", cancellationToken: ct);
        Assert.NotNull(terminating.Metadata.DeletionTimestamp);

        var patch = new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch);
        await client.ResourceV1.PatchNamespacedResourceClaimAsync(patch, "c", "default", cancellationToken: ct);
        Assert.Null(api.Get<Resourcev1ResourceClaim>("default", "c"));
    }

    internal static V1ResourceClaimStatus Allocated(params string[] devices) => new()
    {
        Allocation = new V1AllocationResult
        {
            Devices = new V1DeviceAllocationResult
            {
                Results = [.. devices.Select(d => new V1DeviceRequestAllocationResult { Request = "gpu", Driver = "gpu.example.com", Pool = "node-a", Device = d })],
            },
        },
    };
}
