using System.Net;
using k8s;
using k8s.Models;
using static DraSdk.Testing.Tests.ApiServer.ApiTestSupport;

namespace DraSdk.Testing.Tests.ApiServer;

public sealed class PatchTests
{
    [Fact]
    public async Task Merge_patch_merges_objects_and_deletes_nulls()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        api.Seed(Slice("s", labels: new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }));

        var patch = new V1Patch(new { metadata = new { labels = new Dictionary<string, string?> { ["a"] = null, ["c"] = "3" } } }, V1Patch.PatchType.MergePatch);
        var patched = await client.ResourceV1.PatchResourceSliceAsync(patch, "s", cancellationToken: ct);

        Assert.Equal(new Dictionary<string, string> { ["b"] = "2", ["c"] = "3" }, patched.Metadata.Labels);
        Assert.Equal("gpu.example.com", patched.Spec.Driver);
        Assert.Equal(1, patched.Metadata.Generation);
    }

    [Fact]
    public async Task Merge_patch_with_a_stale_resourceVersion_conflicts()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var seeded = api.Seed(Slice("s"));
        api.Edit<V1ResourceSlice>("s", s => s.Metadata.Labels = new Dictionary<string, string> { ["x"] = "y" });

        var patch = new V1Patch("{\"metadata\":{\"resourceVersion\":\"" + seeded.Metadata.ResourceVersion + "\",\"labels\":{\"z\":\"1\"}}}", V1Patch.PatchType.MergePatch);
        var status = await ExpectStatusAsync(HttpStatusCode.Conflict, () => client.ResourceV1.PatchResourceSliceAsync(patch, "s", cancellationToken: ct));
        Assert.Equal("Conflict", status.Reason);
    }

    [Fact]
    public async Task Json_patch_supports_all_operations()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        api.Seed(Slice("s", devices: 2, labels: new Dictionary<string, string> { ["a"] = "1", ["b/c"] = "2" }));

        var ops = """
            [
              {"op":"test","path":"/spec/devices/0/name","value":"gpu-0"},
              {"op":"add","path":"/spec/devices/-","value":{"name":"gpu-9"}},
              {"op":"replace","path":"/spec/devices/0/name","value":"gpu-7"},
              {"op":"remove","path":"/spec/devices/1"},
              {"op":"copy","from":"/metadata/labels/a","path":"/metadata/labels/copied"},
              {"op":"move","from":"/metadata/labels/b~1c","path":"/metadata/labels/moved"}
            ]
            """;
        var patched = await client.ResourceV1.PatchResourceSliceAsync(new V1Patch(ops, V1Patch.PatchType.JsonPatch), "s", cancellationToken: ct);

        Assert.Equal(["gpu-7", "gpu-9"], patched.Spec.Devices.Select(d => d.Name));
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["copied"] = "1", ["moved"] = "2" }, patched.Metadata.Labels);
        Assert.Equal(2, patched.Metadata.Generation);

        var failed = """[{"op":"test","path":"/spec/driver","value":"wrong"},{"op":"remove","path":"/spec/devices"}]""";
        await ExpectStatusAsync((HttpStatusCode)422, () => client.ResourceV1.PatchResourceSliceAsync(new V1Patch(failed, V1Patch.PatchType.JsonPatch), "s", cancellationToken: ct));
        Assert.Equal(2, api.Get<V1ResourceSlice>("s")!.Spec.Devices.Count);
    }

    [Fact]
    public async Task Apply_creates_then_updates_and_a_repeated_apply_is_a_no_op()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;

        var desired = Slice("applied", devices: 1);
        var created = await client.ResourceV1.PatchResourceSliceAsync(new V1Patch(desired, V1Patch.PatchType.ApplyPatch), "applied", fieldManager: "gpu.example.com", force: true, cancellationToken: ct);
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Single(created.Spec.Devices);

        var same = await client.ResourceV1.PatchResourceSliceAsync(new V1Patch(desired, V1Patch.PatchType.ApplyPatch), "applied", fieldManager: "gpu.example.com", force: true, cancellationToken: ct);
        Assert.Equal(created.Metadata.ResourceVersion, same.Metadata.ResourceVersion);

        var updated = await client.ResourceV1.PatchResourceSliceAsync(new V1Patch(Slice("applied", devices: 4), V1Patch.PatchType.ApplyPatch), "applied", fieldManager: "gpu.example.com", force: true, cancellationToken: ct);
        Assert.Equal(4, updated.Spec.Devices.Count);
        Assert.Equal(2, updated.Metadata.Generation);
        Assert.Equal(created.Metadata.Uid, updated.Metadata.Uid);

        var noManager = await ExpectStatusAsync(HttpStatusCode.BadRequest, () => client.ResourceV1.PatchResourceSliceAsync(new V1Patch(desired, V1Patch.PatchType.ApplyPatch), "applied", cancellationToken: ct));
        Assert.Contains("fieldManager", noManager.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Strategic_merge_patch_is_served_as_a_merge_patch_and_status_patches_touch_only_status()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var claim = Claim("c");
        claim.Status = CrudTests.Allocated("gpu-0");
        api.Seed(claim);

        var statusPatch = new V1Patch(
            """{"metadata":{"labels":{"ignored":"x"}},"status":{"devices":[{"driver":"gpu.example.com","pool":"node-a","device":"gpu-0","conditions":[{"type":"Ready","status":"True","reason":"Up","message":"","lastTransitionTime":"2025-01-01T00:00:00Z"}]}]}}""",
            V1Patch.PatchType.StrategicMergePatch);
        var patched = await client.ResourceV1.PatchNamespacedResourceClaimStatusAsync(statusPatch, "c", "default", cancellationToken: ct);

        Assert.Equal("Ready", patched.Status.Devices.Single().Conditions.Single().Type);
        Assert.NotNull(patched.Status.Allocation);
        Assert.Null(patched.Metadata.Labels);
    }
}
