using BenchmarkDotNet.Attributes;
using DraSdk.Cdi;
using DraSdk.KubeletPlugin;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace DraSdk.Benchmarks;

/// <summary>
/// One NodePrepareResources round trip over the driver's Unix socket (claim fetched from the in-memory API server,
/// a transient CDI spec written), against floors measured in the same run: a unary gRPC call on the same socket that
/// does no work (an empty NodePrepareResources), the claim GET alone, and the CDI spec write alone.
/// </summary>
[MemoryDiagnoser]
public class PrepareRoundTripBenchmarks
{
    private InMemoryKubernetesApiServer _api = null!;
    private IKubernetes _client = null!;
    private IHost _host = null!;
    private FakeKubelet _kubelet = null!;
    private KubeletPluginConnection _plugin = null!;
    private Resourcev1ResourceClaim _claim = null!;
    private V1.NodePrepareResourcesRequest _prepare = null!;
    private V1.NodePrepareResourcesRequest _prepareNoWrite = null!;
    private readonly V1.NodePrepareResourcesRequest _empty = new();
    private CdiSpecWriter _writer = null!;
    private string _root = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _root = Path.Combine("/tmp", "drasdk-bench-" + Guid.NewGuid().ToString("N")[..8]);
        _api = await InMemoryKubernetesApiServer.StartAsync();
        _client = _api.CreateClient();
        _writer = new CdiSpecWriter(new CdiSpecWriterOptions { SpecDirectory = Path.Combine(_root, "cdi") });

        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_api.CreateClient());
        builder.Services.AddSingleton(_writer);
        builder.Services.AddDraDriver<CdiWritingDriver>(o =>
        {
            o.DriverName = "gpu.example.com";
            o.NodeName = "bench-node";
            o.RegistrarDirectoryPath = Path.Combine(_root, "reg");
            o.KubeletPluginsDirectoryPath = Path.Combine(_root, "plugins");
            o.CdiRoot = Path.Combine(_root, "cdi");
        });
        _host = builder.Build();
        await _host.StartAsync();
        _kubelet = new FakeKubelet(Path.Combine(_root, "reg"));
        _plugin = await _kubelet.WaitForDriverAsync("gpu.example.com");

        var claim = new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = "bench", NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec { Devices = new V1DeviceClaim { Requests = [new V1DeviceRequest { Name = "gpu", Exactly = new V1ExactDeviceRequest { DeviceClassName = "gpu.example.com" } }] } },
        };
        Resourcev1ResourceClaim created = await _client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default");
        created.Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult
                {
                    Results = [new V1DeviceRequestAllocationResult { Request = "gpu", Driver = "gpu.example.com", Pool = "bench-node", Device = "gpu-0" }],
                },
            },
        };
        _claim = await _client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, "bench", "default");
        _prepare = new V1.NodePrepareResourcesRequest();
        _prepare.Claims.Add(KubeletPluginConnection.ToWire(_claim));

        // A second claim allocated only another driver's device: the same fetch, checks, lock and driver call, no file write.
        Resourcev1ResourceClaim other = await _client.ResourceV1.CreateNamespacedResourceClaimAsync(new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = "bench-other", NamespaceProperty = "default" },
            Spec = claim.Spec,
        }, "default");
        other.Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult
                {
                    Results = [new V1DeviceRequestAllocationResult { Request = "gpu", Driver = "net.example.com", Pool = "bench-node", Device = "nic-0" }],
                },
            },
        };
        other = await _client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(other, "bench-other", "default");
        _prepareNoWrite = new V1.NodePrepareResourcesRequest();
        _prepareNoWrite.Claims.Add(KubeletPluginConnection.ToWire(other));

        V1.NodePrepareResourcesResponse check = await _plugin.DraV1.NodePrepareResourcesAsync(_prepare);
        if (check.Claims[_claim.Metadata.Uid].Error.Length > 0)
        {
            throw new InvalidOperationException(check.Claims[_claim.Metadata.Uid].Error);
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _kubelet.DisposeAsync();
        await _host.StopAsync();
        _host.Dispose();
        await _api.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "floor: empty unary call on the DRA socket")]
    public async Task<int> EmptyUnaryCall() => (await _plugin.DraV1.NodePrepareResourcesAsync(_empty)).Claims.Count;

    [Benchmark(Description = "NodePrepareResources round trip (GET + CDI write)")]
    public async Task<int> PrepareRoundTrip() => (await _plugin.DraV1.NodePrepareResourcesAsync(_prepare)).Claims.Count;

    [Benchmark(Description = "NodePrepareResources round trip, GET but no device to write")]
    public async Task<int> PrepareRoundTripWithoutWrite() => (await _plugin.DraV1.NodePrepareResourcesAsync(_prepareNoWrite)).Claims.Count;

    [Benchmark(Description = "part: claim GET from the API server")]
    public async Task<string> ClaimGet() => (await _client.ResourceV1.ReadNamespacedResourceClaimAsync("bench", "default")).Metadata.Uid;

    [Benchmark(Description = "part: CDI spec atomic write")]
    public string CdiSpecWrite() => _writer.Write(CdiWritingDriver.SpecFor("0b9c7d8e-1234-4000-8000-000000000000", "gpu-0"), "0b9c7d8e-1234-4000-8000-000000000000").Path;

    /// <summary>Writes one transient CDI spec per claim, as a real driver does on every prepare.</summary>
    private sealed class CdiWritingDriver(CdiSpecWriter writer) : DraDriver
    {
        private static readonly CdiKind Kind = new("k8s.gpu.example.com", "gpu");

        public static CdiSpec SpecFor(string claimUid, string device) => new()
        {
            Kind = Kind.ToString(),
            Devices = [new CdiDevice { Name = $"{claimUid}-{device}", ContainerEdits = new ContainerEdits { Env = [$"GPU_DEVICE_0={device}", $"GPU_DEVICE_0_RESOURCE_CLAIM={claimUid}"] } }],
        };

        protected override ValueTask<PrepareResult> PrepareClaimAsync(PreparableClaim claim, CancellationToken cancellationToken)
        {
            if (claim.Devices.Count == 0)
            {
                return ValueTask.FromResult(PrepareResult.Success([]));
            }

            V1DeviceRequestAllocationResult device = claim.Devices[0];
            writer.Write(SpecFor(claim.Uid, device.Device), claim.Uid);
            return ValueTask.FromResult(PrepareResult.Success([PreparedDevice.For(device, [Kind.Device($"{claim.Uid}-{device.Device}").ToString()])]));
        }

        protected override ValueTask<UnprepareResult> UnprepareClaimAsync(ClaimReference claim, CancellationToken cancellationToken) =>
            ValueTask.FromResult(Unprepare(claim.Uid));

        private UnprepareResult Unprepare(string claimUid)
        {
            writer.Remove(Kind, claimUid);
            return UnprepareResult.Success();
        }
    }
}
