using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace NvidiaGpuDriver.Benchmarks;

/// <summary>
/// Prepare and unprepare of a one-GPU claim on the published driver (replay mode, a process of its own) through the
/// fake kubelet, against the floor of an empty NodePrepareResources on the same socket.
/// </summary>
[MemoryDiagnoser]
public class PrepareLatencyBenchmarks
{
    private InMemoryKubernetesApiServer _api = null!;
    private Process _driver = null!;
    private FakeKubelet _kubelet = null!;
    private KubeletPluginConnection _plugin = null!;
    private Resourcev1ResourceClaim _claim = null!;
    private string _root = null!;
    private readonly V1.NodePrepareResourcesRequest _empty = new();

    [GlobalSetup]
    public async Task Setup()
    {
        _root = Path.Combine("/tmp", "nv-prep-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_root);
        _api = await InMemoryKubernetesApiServer.StartAsync();
        IKubernetes client = _api.CreateClient();
        await client.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "bench-node" } });
        _driver = DriverProcesses.StartDriver(_root, _api.WriteKubeconfig(Path.Combine(_root, "kubeconfig")));
        _kubelet = new FakeKubelet(Path.Combine(_root, "reg"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _plugin = await _kubelet.WaitForDriverAsync("gpu.nvidia.com", timeout.Token);

        Resourcev1ResourceClaim created = await client.ResourceV1.CreateNamespacedResourceClaimAsync(new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = "one-gpu", NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec { Devices = new V1DeviceClaim { Requests = [new V1DeviceRequest { Name = "gpu", Exactly = new V1ExactDeviceRequest { DeviceClassName = "gpu.nvidia.com" } }] } },
        }, "default");
        created.Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult { Results = [new V1DeviceRequestAllocationResult { Request = "gpu", Driver = "gpu.nvidia.com", Pool = "bench-node", Device = "gpu-0" }] },
            },
        };
        _claim = await client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, "one-gpu", "default");
        V1.NodePrepareResourcesResponse check = await _plugin.PrepareAsync([_claim]);
        if (check.Claims[_claim.Metadata.Uid].Error.Length > 0)
        {
            throw new InvalidOperationException(check.Claims[_claim.Metadata.Uid].Error);
        }

        await _plugin.UnprepareAsync([_claim]);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _kubelet.DisposeAsync();
        DriverProcesses.Stop(_driver);
        await _api.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "floor: empty NodePrepareResources")]
    public async Task<int> EmptyCall() => (await _plugin.DraV1.NodePrepareResourcesAsync(_empty)).Claims.Count;

    [Benchmark(Description = "prepare + unprepare one GPU claim")]
    public async Task<string> PrepareOneGpu()
    {
        V1.NodePrepareResourcesResponse response = await _plugin.PrepareAsync([_claim]);
        await _plugin.UnprepareAsync([_claim]);
        return response.Claims[_claim.Metadata.Uid].Error;
    }
}
