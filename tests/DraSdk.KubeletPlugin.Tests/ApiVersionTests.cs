using System.Text.Json;
using DraSdk.KubeletPlugin.Tests.Infrastructure;
using DraSdk.Testing;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace DraSdk.KubeletPlugin.Tests;

/// <summary>Prepare against API servers that serve resource.k8s.io in one version only (1.34+: v1, 1.33: v1beta2, 1.32: v1beta1).</summary>
public sealed class ApiVersionTests
{
    public static TheoryData<string> Versions => ["v1", "v1beta2", "v1beta1"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_claim_is_read_and_prepared_in_the_version_the_server_serves(string version)
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(new InMemoryApiServerOptions { ResourceApiVersion = version }, Ct);
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>(api: api);
        KubeletPluginConnection plugin = await host.RegisterAsync();

        // Stored by the server in its version (a v1beta1 request has no "exactly"); the driver gets the v1 model.
        Resourcev1ResourceClaim claim = api.Seed(new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = "old-cluster", NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec
            {
                Devices = new V1DeviceClaim
                {
                    Requests =
                    [
                        new V1DeviceRequest { Name = "gpu", Exactly = new V1ExactDeviceRequest { DeviceClassName = "gpu.example.com", AllocationMode = "ExactCount", Count = 2 } },
                        new V1DeviceRequest { Name = "alt", FirstAvailable = [new V1DeviceSubRequest { Name = "small", DeviceClassName = "gpu.example.com" }] },
                    ],
                },
            },
            Status = new V1ResourceClaimStatus
            {
                Allocation = new V1AllocationResult
                {
                    Devices = new V1DeviceAllocationResult
                    {
                        Results =
                        [
                            new V1DeviceRequestAllocationResult { Request = "gpu", Driver = DriverHost.DriverName, Pool = "node-a", Device = "gpu-0" },
                            new V1DeviceRequestAllocationResult { Request = "gpu", Driver = DriverHost.DriverName, Pool = "node-a", Device = "gpu-1" },
                            new V1DeviceRequestAllocationResult { Request = "alt/small", Driver = DriverHost.DriverName, Pool = "node-a", Device = "gpu-2" },
                        ],
                        Config =
                        [
                            new V1DeviceAllocationConfiguration
                            {
                                Source = "FromClaim",
                                Requests = ["gpu"],
                                Opaque = new V1OpaqueDeviceConfiguration { Driver = DriverHost.DriverName, Parameters = JsonDocument.Parse("""{"sharing":"TimeSlicing"}""").RootElement },
                            },
                        ],
                    },
                },
            },
        });
        if (version == "v1beta1")
        {
            V1beta1DeviceRequest stored = api.Get<V1beta1ResourceClaim>("old-cluster")!.Spec.Devices.Requests[0];
            Assert.Equal(("gpu.example.com", 2L), (stored.DeviceClassName, stored.Count));
        }

        api.ClearRequests();

        V1.NodePrepareResourcesResponse response = await plugin.PrepareAsync([claim], Ct);

        Assert.Equal(string.Empty, response.Claims[claim.Metadata.Uid].Error);
        Assert.Equal(["gpu-0", "gpu-1", "gpu-2"], response.Claims[claim.Metadata.Uid].Devices.Select(d => d.DeviceName));
        PreparableClaim handed = Assert.Single(host.Host.Services.GetRequiredService<RecordingDriver>().Prepared);
        Assert.Equal(claim.Metadata.Uid, handed.Reference.Uid);
        V1DeviceRequest gpu = handed.Claim.Spec.Devices.Requests[0];
        Assert.Equal(("gpu.example.com", "ExactCount", 2L), (gpu.Exactly.DeviceClassName, gpu.Exactly.AllocationMode, gpu.Exactly.Count));
        Assert.Equal("small", Assert.Single(handed.Claim.Spec.Devices.Requests[1].FirstAvailable).Name);
        Assert.Null(handed.Claim.Spec.Devices.Requests[1].Exactly);
        V1DeviceAllocationConfiguration config = Assert.Single(handed.Claim.Status.Allocation.Devices.Config);
        Assert.Equal("TimeSlicing", ((JsonElement)config.Opaque.Parameters).GetProperty("sharing").GetString());

        ApiRequest read = Assert.Single(api.Requests, r => r.Resource == "resourceclaims");
        Assert.Equal($"/apis/resource.k8s.io/{version}/namespaces/default/resourceclaims/old-cluster", read.Path);
    }
}
