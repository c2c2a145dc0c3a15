using System.Net;
using System.Text.Json.Nodes;
using DraSdk.ResourceSlices.Tests.Infrastructure;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Api;

namespace DraSdk.ResourceSlices.Tests;

/// <summary>The publisher against API servers that serve resource.k8s.io in one version only (1.34+: v1, 1.33: v1beta2, 1.32: v1beta1).</summary>
public sealed class ApiVersionTests
{
    public static TheoryData<string> Versions => ["v1", "v1beta2", "v1beta1"];

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Slices_are_created_updated_and_deleted_in_the_version_the_server_serves(string version)
    {
        var options = new InMemoryApiServerOptions { ResourceApiVersion = version };
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(options, TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);

        await host.Publisher.PublishDevicesAsync([Gpu(0), Gpu(1)], Timeout());
        V1ResourceSlice slice = Assert.Single(api.Slices());
        Assert.Equal(["gpu-0", "gpu-1"], slice.Spec.Devices.Select(d => d.Name));
        Assert.Equal("A100", slice.Spec.Devices[1].Attributes["model"].StringValue);
        Assert.Equal(new ResourceQuantity("40Gi"), slice.Spec.Devices[1].Capacity["memory"].Value);

        // Stored in the served version's shape: v1beta1 keeps a device's fields under "basic".
        JsonObject raw = await GetRawAsync(api, $"/apis/resource.k8s.io/{version}/resourceslices/{slice.Metadata.Name}");
        Assert.Equal($"resource.k8s.io/{version}", (string?)raw["apiVersion"]);
        JsonObject device = raw["spec"]!["devices"]![0]!.AsObject();
        if (version == "v1beta1")
        {
            Assert.Equal("A100", (string?)device["basic"]!["attributes"]!["model"]!["string"]);
            Assert.Null(device["attributes"]);
        }
        else
        {
            Assert.Equal("A100", (string?)device["attributes"]!["model"]!["string"]);
            Assert.Null(device["basic"]);
        }

        await host.Publisher.PublishDevicesAsync([Gpu(0, "H100"), Gpu(1)], Timeout());
        Assert.Equal("H100", Assert.Single(api.Slices()).Spec.Devices[0].Attributes["model"].StringValue);

        // A resync with nothing changed writes nothing: what came back converts to what was sent.
        api.ClearRequests();
        await Task.Delay(200, TestContext.Current.CancellationToken);
        await host.Publisher.PublishDevicesAsync([Gpu(0, "H100"), Gpu(1)], Timeout());
        Assert.Empty(api.SliceWrites());

        await host.Publisher.PublishAsync(new DriverResources(), Timeout());
        Assert.Empty(api.Slices());

        List<ApiRequest> sliceCalls = [.. api.Requests.Where(r => r.Resource == "resourceslices")];
        Assert.NotEmpty(sliceCalls);
        Assert.All(sliceCalls, r => Assert.StartsWith($"/apis/resource.k8s.io/{version}/", r.Path, StringComparison.Ordinal));
        Assert.Equal(0, host.Errors.RecoverableCount);
        Assert.Empty(host.Publisher.Status.PermanentErrors);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Without_discovery_the_versions_are_tried_in_turn(string version)
    {
        var options = new InMemoryApiServerOptions { ResourceApiVersion = version };
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(options, TestContext.Current.CancellationToken);
        api.SeedNode();
        using var client = new Kubernetes(api.CreateClientConfiguration(), new NoGroupDiscovery());
        await using PublisherHost host = await PublisherHost.StartAsync(api, client: client);

        await host.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());

        Assert.Equal("gpu-0", Assert.Single(Assert.Single(api.Slices()).Spec.Devices).Name);
        List<ApiRequest> writes = api.SliceWrites();
        Assert.All(writes, r => Assert.StartsWith($"/apis/resource.k8s.io/{version}/", r.Path, StringComparison.Ordinal));
        Assert.Empty(host.Publisher.Status.PermanentErrors);
    }

    [Fact]
    public async Task A_v1beta1_server_that_drops_taints_is_reported_as_for_v1()
    {
        var options = new InMemoryApiServerOptions { ResourceApiVersion = "v1beta1", DisabledFeatureGates = { "DRADeviceTaints" } };
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(options, TestContext.Current.CancellationToken);
        api.SeedNode();
        await using PublisherHost host = await PublisherHost.StartAsync(api);
        V1Device unhealthy = Gpu(1);
        unhealthy.Taints = [new V1DeviceTaint { Key = "gpu.example.com/unhealthy", Value = "ecc", Effect = "NoSchedule" }];

        await host.Publisher.PublishDevicesAsync([Gpu(0), unhealthy], Timeout());

        V1ResourceSlice slice = Assert.Single(api.Slices());
        Assert.Null(slice.Spec.Devices[1].Taints);
        Assert.Equal("A100", slice.Spec.Devices[1].Attributes["model"].StringValue);
        Assert.Equal(1, host.Errors.RecoverableCount);
        string report = Assert.Single(host.Logs.Snapshot(), l => l.Contains("dropped", StringComparison.Ordinal));
        Assert.Contains("devices[].taints", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_v1beta2_server_refuses_an_invalid_slice_as_v1_would()
    {
        var options = new InMemoryApiServerOptions { ResourceApiVersion = "v1beta2" };
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(options, TestContext.Current.CancellationToken);
        api.SeedNode();

        // Written directly (not through the publisher, which checks first): the server's v1 rules apply to v1beta2.
        using IKubernetes client = api.CreateClient();
        var bad = new V1beta2ResourceSlice
        {
            ApiVersion = "resource.k8s.io/v1beta2",
            Kind = "ResourceSlice",
            Metadata = new V1ObjectMeta { Name = "bad" },
            Spec = new V1beta2ResourceSliceSpec
            {
                Driver = PublisherHost.DriverName,
                NodeName = PublisherHost.NodeName,
                Pool = new V1beta2ResourcePool { Name = "p", Generation = 1, ResourceSliceCount = 1 },
                Devices = [new V1beta2Device { Name = "Not_A_Name" }],
            },
        };
        var error = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => client.ResourceV1beta2.CreateResourceSliceAsync(bad, cancellationToken: Timeout()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Response.StatusCode);
        Assert.Contains("spec.devices[0].name", error.Response.Content, StringComparison.Ordinal);
    }

    private static async Task<JsonObject> GetRawAsync(InMemoryKubernetesApiServer api, string path)
    {
        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        string body = await http.GetStringAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken);
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Answers the group's discovery with 403, as a server whose RBAC hides it would.</summary>
    private sealed class NoGroupDiscovery : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            request.RequestUri?.AbsolutePath.TrimEnd('/') == "/apis/resource.k8s.io"
                ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.Forbidden) { RequestMessage = request, Content = new StringContent("{}") })
                : base.SendAsync(request, cancellationToken);
    }
}
