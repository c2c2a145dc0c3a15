using DraSdk.Testing;
using k8s.Models;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace ExampleDriver.Tests;

/// <summary>
/// The same example driver binary against API servers that serve resource.k8s.io in one version only: v1
/// (Kubernetes 1.34 and later), v1beta2 (1.33) and v1beta1 (1.32). It publishes its slices and reads claims in that version.
/// </summary>
public sealed class ApiVersionTests
{
    public static TheoryData<string> Versions => ["v1", "v1beta2", "v1beta1"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task The_driver_publishes_and_prepares_in_the_version_the_server_serves(string version)
    {
        using var root = new TempRoot();
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(new InMemoryApiServerOptions { ResourceApiVersion = version }, Ct);
        api.Seed(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "node-a" } });
        string kubeconfig = api.WriteKubeconfig(Path.Combine(root.Path, "kubeconfig"));
        Resourcev1ResourceClaim claim = api.Seed(new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = "train", NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec { Devices = new V1DeviceClaim { Requests = [new V1DeviceRequest { Name = "gpu", Exactly = new V1ExactDeviceRequest { DeviceClassName = "gpu.example.com" } }] } },
            Status = new V1ResourceClaimStatus
            {
                Allocation = new V1AllocationResult
                {
                    Devices = new V1DeviceAllocationResult { Results = [new V1DeviceRequestAllocationResult { Request = "gpu", Driver = "gpu.example.com", Pool = "node-a", Device = "gpu-1" }] },
                },
            },
        });

        await using DriverProcess driver = DriverProcesses.Start(root.Path, kubeconfig);
        await using var kubelet = new FakeKubelet(Path.Combine(root.Path, "reg"));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        KubeletPluginConnection plugin = await kubelet.WaitForDriverAsync("gpu.example.com", timeout.Token);

        V1.NodePrepareResourceResponse prepared = (await plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];
        Assert.True(prepared.Error.Length == 0, prepared.Error + "\n" + driver.Output);
        Assert.Equal("gpu-1", Assert.Single(prepared.Devices).DeviceName);

        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (api.List<V1ResourceSlice>().Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no slice; output:\n" + driver.Output);
            await Task.Delay(50, Ct);
        }

        V1ResourceSlice slice = Assert.Single(api.List<V1ResourceSlice>());
        Assert.Equal(4, slice.Spec.Devices.Count);
        Assert.All(slice.Spec.Devices, d => Assert.NotEmpty(d.Attributes));

        V1.NodeUnprepareResourcesResponse un = await plugin.UnprepareAsync([claim], Ct);
        Assert.Equal(string.Empty, un.Claims[claim.Metadata.Uid].Error);

        // Discovery of the group once (publisher and claim reads), then every call in the served version.
        Assert.Contains(api.Requests, r => r.Path.TrimEnd('/') == "/apis/resource.k8s.io");
        List<ApiRequest> resourceCalls = [.. api.Requests.Where(r => r.Resource is { Length: > 0 } && r.Path.StartsWith("/apis/resource.k8s.io/", StringComparison.Ordinal))];
        Assert.Contains(resourceCalls, r => r.Resource == "resourceslices" && r.Verb == "create");
        Assert.Contains(resourceCalls, r => r.Resource == "resourceclaims" && r.Verb == "get");
        Assert.All(resourceCalls, r => Assert.StartsWith($"/apis/resource.k8s.io/{version}/", r.Path, StringComparison.Ordinal));
        driver.Terminate();
        Assert.True(await driver.WaitForExitAsync(TimeSpan.FromSeconds(10)) == 0, driver.Output);
    }
}
