using DraSdk.Checkpoint;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace ExampleDriver.Tests;

/// <summary>The example driver on a host in this process, through the fake kubelet.</summary>
public sealed class GpuDriverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_gpu_prepared_for_one_claim_is_refused_to_another_unless_admin_access()
    {
        await using var env = await DriverEnvironment.StartAsync();
        Resourcev1ResourceClaim a = await Claims.CreateAllocatedAsync(env.Client, "a", "gpu-0");
        Resourcev1ResourceClaim b = await Claims.CreateAllocatedAsync(env.Client, "b", "gpu-0");
        Resourcev1ResourceClaim monitor = await Claims.CreateAllocatedAsync(env.Client, "monitor", "gpu-0", adminAccess: true);

        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([a], Ct)).Claims[a.Metadata.Uid].Error);
        string refused = (await env.Plugin.PrepareAsync([b], Ct)).Claims[b.Metadata.Uid].Error;
        Assert.Contains($"device gpu-0 is already prepared for claim default/a ({a.Metadata.Uid})", refused, StringComparison.Ordinal);
        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([monitor], Ct)).Claims[monitor.Metadata.Uid].Error);

        // Once a is unprepared, b gets the GPU.
        await env.Plugin.UnprepareAsync([a], Ct);
        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([b], Ct)).Claims[b.Metadata.Uid].Error);
    }

    [Theory]
    [InlineData("""{"apiVersion":"gpu.example.com/v1alpha1","kind":"GpuConfig","sharing":{"strategy":"Sometimes"}}""", "config[0].opaque.parameters.sharing.strategy: must be TimeSlicing or SpacePartitioning, not 'Sometimes'")]
    [InlineData("""{"apiVersion":"gpu.example.com/v1alpha1","kind":"GpuConfig","sharing":{"strategy":"SpacePartitioning","spacePartitioningConfig":{"partitionCount":0}}}""", "sharing.spacePartitioningConfig.partitionCount: must be at least 1")]
    [InlineData("""{"apiVersion":"gpu.example.com/v1alpha1","kind":"GpuConfig","sharing":{"strategy":"TimeSlicing","timeSlicingConfig":{"interval":7}}}""", "config[0].opaque.parameters.sharing.timeSlicingConfig.interval")]
    [InlineData("""{"apiVersion":"gpu.example.com/v1alpha1","kind":"GpuConfig","sharng":{}}""", "sharng")]
    [InlineData("""{"apiVersion":"gpu.example.com/v2","kind":"GpuConfig"}""", "config[0].opaque.parameters.apiVersion: must be gpu.example.com/v1alpha1")]
    public async Task A_bad_opaque_config_fails_that_claim_with_where_and_what(string config, string expected)
    {
        await using var env = await DriverEnvironment.StartAsync();
        Resourcev1ResourceClaim bad = await Claims.CreateAllocatedAsync(env.Client, "bad", "gpu-2", config);
        Resourcev1ResourceClaim good = await Claims.CreateAllocatedAsync(env.Client, "good", "gpu-3");

        V1.NodePrepareResourcesResponse response = await env.Plugin.PrepareAsync([bad, good], Ct);

        Assert.Contains(expected, response.Claims[bad.Metadata.Uid].Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, response.Claims[good.Metadata.Uid].Error);
        Assert.Single(Directory.GetFiles(env.CdiRoot)); // nothing written for the bad claim
    }

    [Fact]
    public async Task A_failed_cdi_write_leaves_nothing_behind_and_the_kubelets_retry_succeeds()
    {
        await using var env = await DriverEnvironment.StartAsync();
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(env.Client, "unlucky", "gpu-1");
        if (Directory.Exists(env.CdiRoot))
        {
            Directory.Delete(env.CdiRoot, recursive: true);
        }

        await File.WriteAllTextAsync(env.CdiRoot, "a file where the CDI directory should be", Ct);

        string error = (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error;

        Assert.Contains($"writing the CDI spec of claim default/unlucky ({claim.Metadata.Uid}) failed", error, StringComparison.Ordinal);
        Assert.False(env.Host.Services.GetRequiredService<PreparedClaimStore>().TryGet(claim.Metadata.Uid, out _));

        File.Delete(env.CdiRoot);
        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
        Assert.Single(Directory.GetFiles(env.CdiRoot));
    }

    [Fact]
    public async Task A_device_that_does_not_exist_on_the_node_is_reported()
    {
        await using var env = await DriverEnvironment.StartAsync();
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(env.Client, "ghost", "gpu-9");

        string error = (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error;

        Assert.Equal("device node-a/gpu-9 of request gpu does not exist on this node", error);
    }

    [Fact]
    public async Task After_a_reboot_the_lost_cdi_specs_are_recreated_from_the_checkpoint()
    {
        using var root = new TempRoot();
        string bootId = Path.Combine(root.Path, "boot_id");
        await File.WriteAllTextAsync(bootId, "11111111-1111-1111-1111-111111111111\n", Ct);
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(Ct);
        Resourcev1ResourceClaim claim;
        string spec;
        string before;
        await using (var env = await DriverEnvironment.StartAsync(root, api, bootId))
        {
            claim = await Claims.CreateAllocatedAsync(env.Client, "survivor", "gpu-1");
            Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
            spec = Assert.Single(Directory.GetFiles(env.CdiRoot));
            before = await File.ReadAllTextAsync(spec, Ct);
        }

        // The reboot: a new boot id, and /var/run/cdi (a tmpfs) is empty.
        await File.WriteAllTextAsync(bootId, "22222222-2222-2222-2222-222222222222\n", Ct);
        Directory.Delete(Path.Combine(root.Path, "cdi"), recursive: true);

        await using (var env = await DriverEnvironment.StartAsync(root, api, bootId))
        {
            // Re-created at start, before the kubelet asks again.
            Assert.Equal(before, await File.ReadAllTextAsync(spec, Ct));
            PreparedClaimStore store = env.Host.Services.GetRequiredService<PreparedClaimStore>();
            Assert.Equal(CheckpointLoadStatus.BootChanged, store.LoadResult!.Status);
            Assert.Empty(store.RecordsNeedingRecreation);
            V1.NodePrepareResourceResponse again = (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];
            Assert.Equal(string.Empty, again.Error);
        }
    }

    [Fact]
    public async Task A_corrupt_checkpoint_is_set_aside_and_the_driver_serves()
    {
        using var root = new TempRoot();
        string dataDir = Path.Combine(root.Path, "plugins", "gpu.example.com");
        Directory.CreateDirectory(dataDir);
        await File.WriteAllTextAsync(Path.Combine(dataDir, "checkpoint.json"), "{\"apiVersion\":\"checkpoint.drasdk.io/v1\",\"kind\":\"Prepared", Ct);

        await using var env = await DriverEnvironment.StartAsync(root);
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(env.Client, "fresh", "gpu-0");

        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
        Assert.Single(Directory.GetFiles(dataDir, "checkpoint.json.corrupt-*"));
    }

    private sealed class DriverEnvironment : IAsyncDisposable
    {
        private readonly bool _ownsApi;
        private readonly TempRoot? _ownedRoot;

        private DriverEnvironment(IHost host, InMemoryKubernetesApiServer api, KubeletPluginConnection plugin, FakeKubelet kubelet, string root, bool ownsApi, TempRoot? ownedRoot)
        {
            Host = host;
            Api = api;
            Plugin = plugin;
            Kubelet = kubelet;
            CdiRoot = Path.Combine(root, "cdi");
            _ownsApi = ownsApi;
            _ownedRoot = ownedRoot;
            Client = api.CreateClient();
        }

        public IHost Host { get; }

        public InMemoryKubernetesApiServer Api { get; }

        public IKubernetes Client { get; }

        public KubeletPluginConnection Plugin { get; }

        public FakeKubelet Kubelet { get; }

        public string CdiRoot { get; }

        public static async Task<DriverEnvironment> StartAsync(TempRoot? root = null, InMemoryKubernetesApiServer? api = null, string? bootIdPath = null)
        {
            TempRoot? owned = root is null ? new TempRoot() : null;
            root ??= owned!;
            bool ownsApi = api is null;
            api ??= await InMemoryKubernetesApiServer.StartAsync();
            IKubernetes client = api.CreateClient();
            try
            {
                await client.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "node-a" } });
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                // already there
            }

            HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["NODE_NAME"] = "node-a", ["NUM_DEVICES"] = "4" });
            builder.Services.AddSingleton(client);
            builder.AddExampleDriver(o =>
            {
                o.RegistrarDirectoryPath = Path.Combine(root.Path, "reg");
                o.KubeletPluginsDirectoryPath = Path.Combine(root.Path, "plugins");
                o.CdiRoot = Path.Combine(root.Path, "cdi");
            });
            if (bootIdPath is not null)
            {
                builder.Services.Configure<PreparedClaimStoreOptions>(o => o.BootIdPath = bootIdPath);
            }

            IHost host = builder.Build();
            await host.StartAsync();
            var kubelet = new FakeKubelet(Path.Combine(root.Path, "reg"));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            KubeletPluginConnection plugin = await kubelet.WaitForDriverAsync("gpu.example.com", timeout.Token);
            return new DriverEnvironment(host, api, plugin, kubelet, root.Path, ownsApi, owned);
        }

        public async ValueTask DisposeAsync()
        {
            await Kubelet.DisposeAsync();
            await Host.StopAsync();
            Host.Dispose();
            if (_ownsApi)
            {
                await Api.DisposeAsync();
            }

            _ownedRoot?.Dispose();
        }
    }
}
