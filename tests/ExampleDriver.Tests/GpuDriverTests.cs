using DraSdk.Checkpoint;
using DraSdk.Testing;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace ExampleDriver.Tests;

/// <summary>The example driver on a <see cref="LocalNode"/>: a host in this process, through the fake kubelet.</summary>
public sealed class GpuDriverTests : IAsyncLifetime
{
    private readonly TempRoot _root = new();
    private InMemoryKubernetesApiServer _api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _api = await InMemoryKubernetesApiServer.StartAsync(Ct);

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public async Task A_gpu_prepared_for_one_claim_is_refused_to_another_unless_admin_access()
    {
        await using LocalNode node = await StartAsync();
        Resourcev1ResourceClaim a = await Claims.CreateAllocatedAsync(node.Client, "a", "gpu-0");
        Resourcev1ResourceClaim b = await Claims.CreateAllocatedAsync(node.Client, "b", "gpu-0");
        Resourcev1ResourceClaim monitor = await Claims.CreateAllocatedAsync(node.Client, "monitor", "gpu-0", adminAccess: true);

        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([a], Ct)).Claims[a.Metadata.Uid].Error);
        string refused = (await node.Plugin.PrepareAsync([b], Ct)).Claims[b.Metadata.Uid].Error;
        Assert.Contains($"device gpu-0 is already prepared for claim default/a ({a.Metadata.Uid})", refused, StringComparison.Ordinal);
        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([monitor], Ct)).Claims[monitor.Metadata.Uid].Error);

        // Once a is unprepared, b gets the GPU.
        await node.Plugin.UnprepareAsync([a], Ct);
        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([b], Ct)).Claims[b.Metadata.Uid].Error);
    }

    [Fact]
    public async Task A_prepared_gpu_reports_its_uuid_model_and_driver_version_in_the_claim_status_until_unprepare()
    {
        await using LocalNode node = await StartAsync();
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(node.Client, "status", "gpu-1");

        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
        await node.Host.Services.GetRequiredService<DraSdk.KubeletPlugin.IClaimDeviceStatus>().WhenWrittenAsync(Ct);

        V1AllocatedDeviceStatus device = Assert.Single(_api.Get<Resourcev1ResourceClaim>("default", "status")!.Status.Devices);
        Assert.Equal((ExampleDriverOptions.DriverName, "gpu-1"), (device.Driver, device.Device));
        var data = System.Text.Json.Nodes.JsonNode.Parse(k8s.KubernetesJson.Serialize(device.Data))!;
        var gpu = node.Host.Services.GetRequiredService<ExampleDriver.Devices.FakeGpuDiscovery>().Find("gpu-1")!;
        Assert.Equal(gpu.Uuid, data["uuid"]!.GetValue<string>());
        Assert.Equal("LATEST-GPU-MODEL", data["model"]!.GetValue<string>());
        Assert.Equal("1.0.0", data["driverVersion"]!.GetValue<string>());
        Assert.Equal("True", Assert.Single(device.Conditions, c => c.Type == "Ready").Status);

        await node.Plugin.UnprepareAsync([claim], Ct);
        await node.Host.Services.GetRequiredService<DraSdk.KubeletPlugin.IClaimDeviceStatus>().WhenWrittenAsync(Ct);
        Assert.Null(_api.Get<Resourcev1ResourceClaim>("default", "status")!.Status.Devices);
    }

    [Theory]
    [InlineData("""{"apiVersion":"gpu.example.com/v1alpha1","kind":"GpuConfig","sharing":{"strategy":"Sometimes"}}""", "config[0].opaque.parameters.sharing.strategy: must be TimeSlicing or SpacePartitioning, not 'Sometimes'")]
    [InlineData("""{"apiVersion":"gpu.example.com/v1alpha1","kind":"GpuConfig","sharing":{"strategy":"SpacePartitioning","spacePartitioningConfig":{"partitionCount":0}}}""", "sharing.spacePartitioningConfig.partitionCount: must be at least 1")]
    [InlineData("""{"apiVersion":"gpu.example.com/v1alpha1","kind":"GpuConfig","sharing":{"strategy":"TimeSlicing","timeSlicingConfig":{"interval":7}}}""", "config[0].opaque.parameters.sharing.timeSlicingConfig.interval")]
    [InlineData("""{"apiVersion":"gpu.example.com/v1alpha1","kind":"GpuConfig","sharng":{}}""", "sharng")]
    [InlineData("""{"apiVersion":"gpu.example.com/v2","kind":"GpuConfig"}""", "config[0].opaque.parameters.apiVersion: must be gpu.example.com/v1alpha1")]
    public async Task A_bad_opaque_config_fails_that_claim_with_where_and_what(string config, string expected)
    {
        await using LocalNode node = await StartAsync();
        Resourcev1ResourceClaim bad = await node.CreateAndAllocateClaimAsync("bad", configJson: config, cancellationToken: Ct);
        Resourcev1ResourceClaim good = await node.CreateAndAllocateClaimAsync("good", cancellationToken: Ct);

        V1.NodePrepareResourcesResponse response = await node.Plugin.PrepareAsync([bad, good], Ct);

        Assert.Contains(expected, response.Claims[bad.Metadata.Uid].Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, response.Claims[good.Metadata.Uid].Error);
        Assert.Single(Directory.GetFiles(node.CdiRoot, "k8s.gpu.example.com-gpu_*")); // nothing written for the bad claim
    }

    [Fact]
    public async Task A_failed_cdi_write_leaves_nothing_behind_and_the_kubelets_retry_succeeds()
    {
        await using LocalNode node = await StartAsync();
        Resourcev1ResourceClaim claim = await node.CreateAndAllocateClaimAsync("unlucky", cancellationToken: Ct);
        if (Directory.Exists(node.CdiRoot))
        {
            Directory.Delete(node.CdiRoot, recursive: true);
        }

        await File.WriteAllTextAsync(node.CdiRoot, "a file where the CDI directory should be", Ct);

        string error = (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error;

        Assert.Contains($"writing the CDI spec of claim default/unlucky ({claim.Metadata.Uid}) failed", error, StringComparison.Ordinal);
        Assert.False(node.Host.Services.GetRequiredService<PreparedClaimStore>().TryGet(claim.Metadata.Uid, out _));

        File.Delete(node.CdiRoot);
        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
        Assert.Single(Directory.GetFiles(node.CdiRoot, "k8s.gpu.example.com-gpu_*"));
    }

    [Fact]
    public async Task A_device_that_does_not_exist_on_the_node_is_reported()
    {
        await using LocalNode node = await StartAsync();
        Resourcev1ResourceClaim claim = await node.CreateClaimAllocatedToAsync("ghost", "gpu-9", Ct);

        string error = (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error;

        Assert.Equal("device node-a/gpu-9 of request req does not exist on this node", error);
    }

    [Fact]
    public async Task After_a_reboot_the_lost_cdi_specs_are_recreated_from_the_checkpoint()
    {
        string bootId = Path.Combine(_root.Path, "boot_id");
        await File.WriteAllTextAsync(bootId, "11111111-1111-1111-1111-111111111111\n", Ct);
        Resourcev1ResourceClaim claim;
        string spec;
        string before;
        await using (LocalNode node = await StartAsync(bootId))
        {
            claim = await node.CreateAndAllocateClaimAsync("survivor", cancellationToken: Ct);
            Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
            spec = Assert.Single(Directory.GetFiles(node.CdiRoot, "k8s.gpu.example.com-gpu_*"));
            before = await File.ReadAllTextAsync(spec, Ct);
        }

        // The reboot: a new boot id, and /var/run/cdi (a tmpfs) is empty.
        await File.WriteAllTextAsync(bootId, "22222222-2222-2222-2222-222222222222\n", Ct);
        Directory.Delete(Path.Combine(_root.Path, "cdi"), recursive: true);

        await using (LocalNode node = await StartAsync(bootId))
        {
            // Re-created at start, before the kubelet asks again.
            Assert.Equal(before, await File.ReadAllTextAsync(spec, Ct));
            PreparedClaimStore store = node.Host.Services.GetRequiredService<PreparedClaimStore>();
            Assert.Equal(CheckpointLoadStatus.BootChanged, store.LoadResult!.Status);
            Assert.Empty(store.RecordsNeedingRecreation);
            V1.NodePrepareResourceResponse again = (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];
            Assert.Equal(string.Empty, again.Error);
        }
    }

    [Fact]
    public async Task A_corrupt_checkpoint_is_set_aside_and_the_driver_serves()
    {
        string dataDir = Path.Combine(_root.Path, "plugins", "gpu.example.com");
        Directory.CreateDirectory(dataDir);
        await File.WriteAllTextAsync(Path.Combine(dataDir, "checkpoint.json"), "{\"apiVersion\":\"checkpoint.drasdk.io/v1\",\"kind\":\"Prepared", Ct);

        await using LocalNode node = await StartAsync();
        Resourcev1ResourceClaim claim = await node.CreateAndAllocateClaimAsync("fresh", cancellationToken: Ct);

        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
        Assert.Single(Directory.GetFiles(dataDir, "checkpoint.json.corrupt-*"));
    }

    private Task<LocalNode> StartAsync(string? bootIdPath = null)
    {
        var options = new LocalNodeOptions
        {
            ApiServer = _api,
            DriverName = ExampleDriverOptions.DriverName,
            RootDirectory = _root.Path,
            ConfigureHost = builder =>
            {
                builder.AddExampleDriver();
                if (bootIdPath is not null)
                {
                    builder.Services.Configure<PreparedClaimStoreOptions>(o => o.BootIdPath = bootIdPath);
                }
            },
        };
        options.Configuration["NUM_DEVICES"] = "4";
        return LocalNode.StartAsync(options, Ct);
    }
}
