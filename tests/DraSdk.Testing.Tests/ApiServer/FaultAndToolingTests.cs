using System.Net;
using k8s;
using k8s.Models;
using static DraSdk.Testing.Tests.ApiServer.ApiTestSupport;

namespace DraSdk.Testing.Tests.ApiServer;

public sealed class FaultAndToolingTests
{
    [Fact]
    public async Task Injected_fault_fails_the_matching_request_count_times()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        api.Seed(Slice("s"));
        var fault = api.InjectFault("update", "resourceslices", 503, name: "s", count: 2);

        var fresh = await client.ResourceV1.ReadResourceSliceAsync("s", cancellationToken: ct); // GET is not matched
        for (var i = 0; i < 2; i++)
        {
            var status = await ExpectStatusAsync(HttpStatusCode.ServiceUnavailable, () => client.ResourceV1.ReplaceResourceSliceAsync(fresh, "s", cancellationToken: ct));
            Assert.Equal("ServiceUnavailable", status.Reason);
        }

        fresh.Metadata.Labels = new Dictionary<string, string> { ["after"] = "faults" };
        var ok = await client.ResourceV1.ReplaceResourceSliceAsync(fresh, "s", cancellationToken: ct);
        Assert.Equal("faults", ok.Metadata.Labels["after"]);
        Assert.Equal(2, fault.Hits);
    }

    [Fact]
    public async Task Throttling_fault_sends_Retry_After_and_unlimited_faults_last_until_cleared()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        var ct = TestContext.Current.CancellationToken;
        api.InjectFault("GET", "nodes", 429, count: null, retryAfter: TimeSpan.FromSeconds(3));

        for (var i = 0; i < 3; i++)
        {
            using var response = await http.GetAsync(new Uri("api/v1/nodes", UriKind.Relative), ct);
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
            var status = KubernetesJson.Deserialize<V1Status>(await response.Content.ReadAsStringAsync(ct));
            Assert.Equal("TooManyRequests", status.Reason);
            Assert.Equal(3, status.Details.RetryAfterSeconds);
        }

        api.ClearFaults();
        using var after = await http.GetAsync(new Uri("api/v1/nodes", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Request_log_records_method_path_query_and_verb()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        api.Seed(Claim("c", ns: "ns1"));
        api.ClearRequests();

        await client.ResourceV1.ReadNamespacedResourceClaimAsync("c", "ns1", cancellationToken: ct);
        await client.ResourceV1.ListResourceSliceAsync(fieldSelector: "spec.nodeName=node-a", cancellationToken: ct);

        var requests = api.Requests;
        Assert.Equal(2, requests.Count);
        Assert.Equal(new ApiRequest("GET", "/apis/resource.k8s.io/v1/namespaces/ns1/resourceclaims/c", "", "get", "resourceclaims", "ns1", "c"), requests[0]);
        Assert.Equal("list", requests[1].Verb);
        Assert.Equal("resourceslices", requests[1].Resource);
        Assert.Contains("fieldSelector=spec.nodeName%3Dnode-a", requests[1].Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubeconfig_file_works_with_BuildConfigFromConfigFile()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        var dir = Directory.CreateTempSubdirectory("drasdk-kubeconfig-");
        try
        {
            var path = api.WriteKubeconfig(Path.Combine(dir.FullName, "nested", "kubeconfig"));
            var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
            Assert.Equal("default", config.Namespace);
            using var client = new Kubernetes(config);

            await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "node-a" } }, cancellationToken: TestContext.Current.CancellationToken);
            Assert.NotNull(api.Get<V1Node>("node-a"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Discovery_answers_version_groups_and_resources()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;

        var version = await client.Version.GetCodeAsync(ct);
        Assert.Equal("1", version.Major);

        var groups = await client.Apis.GetAPIVersionsAsync(ct);
        Assert.Contains(groups.Groups, g => g.Name == "resource.k8s.io" && g.PreferredVersion.GroupVersion == "resource.k8s.io/v1");

        var resources = await client.ResourceV1.GetAPIResourcesAsync(ct);
        Assert.Contains(resources.Resources, r => r is { Name: "resourceslices", Namespaced: false, Kind: "ResourceSlice" });
        Assert.Contains(resources.Resources, r => r.Name == "resourceclaims/status");

        var core = await client.CoreV1.GetAPIResourcesAsync(ct);
        Assert.Contains(core.Resources, r => r is { Name: "nodes", Kind: "Node" });
    }

    [Fact]
    public async Task Direct_access_round_trips_typed_objects()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        var claim = Claim("c", ns: "team-a");
        claim.Status = CrudTests.Allocated("gpu-0", "gpu-1");

        var seeded = api.Seed(claim);
        Assert.NotNull(seeded.Metadata.Uid);
        Assert.Equal(2, seeded.Status.Allocation.Devices.Results.Count); // direct seeding keeps status
        Assert.Throws<InvalidOperationException>(() => api.Seed(claim));

        var edited = api.Edit<Resourcev1ResourceClaim>("team-a", "c", c => c.Status.ReservedFor = [new V1ResourceClaimConsumerReference { Resource = "pods", Name = "p", Uid = "u1" }]);
        Assert.NotEqual(seeded.Metadata.ResourceVersion, edited.Metadata.ResourceVersion);
        Assert.Equal(1, edited.Metadata.Generation);

        seeded.Metadata.Labels = new Dictionary<string, string> { ["stale"] = "true" };
        Assert.Throws<InvalidOperationException>(() => api.Update(seeded)); // stale resourceVersion

        Assert.Equal("p", api.Get<Resourcev1ResourceClaim>("team-a", "c")!.Status.ReservedFor.Single().Name);
        Assert.Single(api.List<Resourcev1ResourceClaim>("team-a"));
        Assert.Empty(api.List<Resourcev1ResourceClaim>("team-b"));
        Assert.True(api.Delete<Resourcev1ResourceClaim>("team-a", "c"));
        Assert.False(api.Delete<Resourcev1ResourceClaim>("team-a", "c"));
    }
}
