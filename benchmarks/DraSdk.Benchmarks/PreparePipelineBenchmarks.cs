using BenchmarkDotNet.Attributes;
using DraSdk.Cdi;
using DraSdk.KubeletPlugin;
using DraSdk.Testing;
using ExampleDriver;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace DraSdk.Benchmarks;

/// <summary>
/// A NodePrepareResources + NodeUnprepareResources round trip over the Unix socket: the example driver on the SDK's
/// prepare pipeline (checkpoint flushed once per call, spec not flushed), against a floor measured in the same run: a
/// minimal driver that does the same claim GET and writes the same CDI spec, without checkpoint or fsync.
/// </summary>
[MemoryDiagnoser]
public class PreparePipelineBenchmarks
{
    private const string DriverName = "gpu.example.com";
    private InMemoryKubernetesApiServer _api = null!;
    private readonly List<(IHost Host, FakeKubelet Kubelet, string Root)> _nodes = [];
    private KubeletPluginConnection _floor = null!;
    private KubeletPluginConnection _pipeline = null!;
    private KubeletPluginConnection _unflushed = null!;
    private V1.NodePrepareResourcesRequest _prepare = null!;
    private V1.NodeUnprepareResourcesRequest _unprepare = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _api = await InMemoryKubernetesApiServer.StartAsync();
        IKubernetes client = _api.CreateClient();
        await client.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "bench-node" } });
        _floor = await StartAsync(b => b.Services.AddDraDriver<FloorDriver>(o => o.DriverName = DriverName));
        _pipeline = await StartAsync(b => b.AddExampleDriver());
        _unflushed = await StartAsync(b =>
        {
            b.AddExampleDriver();
            b.Services.Configure<DraSdk.Checkpoint.PreparedClaimStoreOptions>(o => o.Durable = false);
        });

        var claim = new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = "bench", NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec { Devices = new V1DeviceClaim { Requests = [new V1DeviceRequest { Name = "gpu", Exactly = new V1ExactDeviceRequest { DeviceClassName = DriverName } }] } },
        };
        Resourcev1ResourceClaim created = await client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default");
        created.Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult { Results = [new V1DeviceRequestAllocationResult { Request = "gpu", Driver = DriverName, Pool = "bench-node", Device = "gpu-0" }] },
            },
        };
        created = await client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, "bench", "default");
        _prepare = new V1.NodePrepareResourcesRequest { Claims = { KubeletPluginConnection.ToWire(created) } };
        _unprepare = new V1.NodeUnprepareResourcesRequest { Claims = { KubeletPluginConnection.ToWire(created) } };
        foreach (KubeletPluginConnection plugin in new[] { _floor, _pipeline, _unflushed })
        {
            V1.NodePrepareResourcesResponse check = await plugin.DraV1.NodePrepareResourcesAsync(_prepare);
            string error = check.Claims[created.Metadata.Uid].Error;
            if (error.Length > 0)
            {
                throw new InvalidOperationException(error);
            }

            await plugin.DraV1.NodeUnprepareResourcesAsync(_unprepare);
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        foreach ((IHost host, FakeKubelet kubelet, string root) in _nodes)
        {
            await kubelet.DisposeAsync();
            await host.StopAsync();
            host.Dispose();
            Directory.Delete(root, recursive: true);
        }

        await _api.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "floor: claim GET + the same CDI spec, no checkpoint, no fsync")]
    public Task<int> Floor() => RoundTripAsync(_floor);

    [Benchmark(Description = "example driver on the prepare pipeline")]
    public Task<int> Pipeline() => RoundTripAsync(_pipeline);

    [Benchmark(Description = "part: the pipeline without its flushes (not power-loss safe)")]
    public Task<int> PipelineWithoutFlush() => RoundTripAsync(_unflushed);

    private async Task<int> RoundTripAsync(KubeletPluginConnection plugin)
    {
        V1.NodePrepareResourcesResponse prepared = await plugin.DraV1.NodePrepareResourcesAsync(_prepare);
        V1.NodeUnprepareResourcesResponse unprepared = await plugin.DraV1.NodeUnprepareResourcesAsync(_unprepare);
        return prepared.Claims.Count + unprepared.Claims.Count;
    }

    private async Task<KubeletPluginConnection> StartAsync(Action<HostApplicationBuilder> configure)
    {
        string root = Path.Combine("/tmp", "drasdk-pp-" + Guid.NewGuid().ToString("N")[..8]);
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["NODE_NAME"] = "bench-node", ["NUM_DEVICES"] = "4" });
        builder.Services.AddSingleton(_api.CreateClient());
        builder.Services.Configure<DraDriverOptions>(o =>
        {
            o.NodeName = "bench-node";
            o.RegistrarDirectoryPath = Path.Combine(root, "reg");
            o.KubeletPluginsDirectoryPath = Path.Combine(root, "plugins");
            o.CdiRoot = Path.Combine(root, "cdi");
        });
        configure(builder);
        IHost host = builder.Build();
        await host.StartAsync();
        var kubelet = new FakeKubelet(Path.Combine(root, "reg"));
        _nodes.Add((host, kubelet, root));
        return await kubelet.WaitForDriverAsync(DriverName);
    }

    /// <summary>The floor: the same spec as the example driver's, written without a flush, and nothing remembered.</summary>
    private sealed class FloorDriver(Microsoft.Extensions.Options.IOptions<DraDriverOptions> options) : DraDriver
    {
        private readonly CdiClaimSpecs _specs = new(
            new CdiSpecWriter(new CdiSpecWriterOptions { SpecDirectory = options.Value.CdiRoot, Durable = false }), CdiKind.Parse("k8s.gpu.example.com/gpu"));

        protected override ValueTask<PrepareResult> PrepareClaimAsync(PreparableClaim claim, CancellationToken cancellationToken)
        {
            V1DeviceRequestAllocationResult device = claim.Devices[0];
            CdiClaimSpecFile file = _specs.Write(
                claim.Uid,
                [new CdiDevice { Name = device.Device, ContainerEdits = new ContainerEdits { Env = [$"GPU_DEVICE_0={device.Device}", $"GPU_DEVICE_0_RESOURCE_CLAIM={claim.Uid}", "GPU_DEVICE_0_ADMIN_ACCESS=false", "GPU_DEVICE_0_SHARING_STRATEGY=TimeSlicing", "GPU_DEVICE_0_TIMESLICE_INTERVAL=Default"] } }],
                new ContainerEdits { Env = ["KUBERNETES_NODE_NAME=bench-node", $"DRA_RESOURCE_DRIVER_NAME={DriverName}", $"DRA_RESOURCE_CLAIM_UID={claim.Uid}"] });
            return ValueTask.FromResult(PrepareResult.Success([PreparedDevice.For(device, [file.DeviceIds[device.Device].ToString()])]));
        }

        protected override ValueTask<UnprepareResult> UnprepareClaimAsync(ClaimReference claim, CancellationToken cancellationToken)
        {
            _specs.Remove(claim.Uid);
            return ValueTask.FromResult(UnprepareResult.Success());
        }
    }
}
