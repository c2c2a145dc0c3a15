using System.Text.Json.Nodes;
using DraSdk.Checkpoint;
using DraSdk.KubeletPlugin;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using NvidiaGpuDriver.Nvml;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace NvidiaGpuDriver.Tests;

/// <summary>The driver in replay mode through the fake kubelet: slices, prepare, CDI, sharing, health.</summary>
public sealed class DriverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_published_slice_holds_the_snapshots_devices()
    {
        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot);

        V1ResourceSlice slice = await env.WaitForSliceAsync(s => s.Spec.Devices.Count > 0);

        Assert.Equal("gpu.nvidia.com", slice.Spec.Driver);
        Assert.Equal("node-a", slice.Spec.Pool.Name);
        Assert.Equal(11, slice.Spec.Devices.Count);
        Assert.Equal("Hopper", slice.Spec.Devices.Single(d => d.Name == "gpu-0").Attributes["architecture"].StringValue);
        Assert.Equal("1g.10gb", slice.Spec.Devices.Single(d => d.Name == "gpu-7-mig-1g10gb-19-2").Attributes["profile"].StringValue);
    }

    [Fact]
    public async Task DEVICE_METADATA_false_turns_the_device_metadata_off()
    {
        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot, settings: new() { ["DEVICE_METADATA"] = "false" });
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(env.Client, "plain", "gpu-0");

        V1.NodePrepareResourceResponse result = (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];

        Assert.Equal(string.Empty, result.Error);
        Assert.Equal($"k8s.gpu.nvidia.com/claim={claim.Metadata.Uid}-gpu-0", Assert.Single(Assert.Single(result.Devices).CdiDeviceIds));
        Assert.Empty(Directory.GetFiles(env.CdiRoot, "gpu.nvidia.com_metadata_*"));
    }

    [Fact]
    public async Task A_GPU_claim_gets_a_transient_CDI_spec_with_the_nodes_libraries_binaries_and_env_that_exist()
    {
        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot);
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(env.Client, "one", "gpu-0");

        V1.NodePrepareResourceResponse result = (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];

        Assert.Equal(string.Empty, result.Error);
        V1.Device device = Assert.Single(result.Devices);
        Assert.Equal([$"k8s.gpu.nvidia.com/claim={claim.Metadata.Uid}-gpu-0", $"gpu.nvidia.com/metadata={claim.Metadata.Uid}_gpu0"], device.CdiDeviceIds);
        string specPath = Assert.Single(Directory.GetFiles(env.CdiRoot, "k8s.gpu.nvidia.com-claim_*"));

        // The request's device metadata (on by default): the GPU's published attributes, mounted read-only by its own spec.
        JsonObject metadataSpec = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(env.CdiRoot, $"gpu.nvidia.com_metadata_{claim.Metadata.Uid}_gpu0.json"), Ct))!.AsObject();
        JsonNode metadataMount = metadataSpec["devices"]![0]!["containerEdits"]!["mounts"]![0]!;
        Assert.Equal("/var/run/kubernetes.io/dra-device-attributes/resourceclaims/one/gpu0/gpu.nvidia.com-metadata.json", (string?)metadataMount["containerPath"]);
        DraSdk.DeviceMetadata.DeviceMetadataDocument metadata = DraSdk.DeviceMetadata.DeviceMetadataReader.ReadFile((string)metadataMount["hostPath"]!)!;
        DraSdk.DeviceMetadata.DeviceMetadataDevice gpuMetadata = metadata.Requests.Single().Devices.Single();
        Assert.Equal(("gpu.nvidia.com", "gpu-0", 1L), (gpuMetadata.Driver, gpuMetadata.Name, metadata.Generation));
        Assert.Equal("GPU-d680b5d7-e8ae-5bd1-a6aa-8fca9b8b93e4", gpuMetadata.Attributes!["uuid"].StringValue);
        Assert.False(string.IsNullOrEmpty(gpuMetadata.Attributes["productName"].StringValue));
        Assert.Equal($"k8s.gpu.nvidia.com-claim_{claim.Metadata.Uid}.json", Path.GetFileName(specPath));
        JsonObject spec = JsonNode.Parse(await File.ReadAllTextAsync(specPath, Ct))!.AsObject();
        Assert.Equal("k8s.gpu.nvidia.com/claim", (string?)spec["kind"]);
        JsonObject gpu = spec["devices"]![0]!.AsObject();
        Assert.Equal($"{claim.Metadata.Uid}-gpu-0", (string?)gpu["name"]);
        Assert.Equal(["/dev/nvidia0"], gpu["containerEdits"]!["deviceNodes"]!.AsArray().Select(n => (string?)n!["path"]));
        Assert.Contains("NVIDIA_DRA_DEVICE_GPU_0=GPU-d680b5d7-e8ae-5bd1-a6aa-8fca9b8b93e4", Strings(gpu["containerEdits"]!["env"]));
        JsonNode claimEdits = spec["containerEdits"]!;
        Assert.Equal(["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"], claimEdits["deviceNodes"]!.AsArray().Select(n => (string?)n!["path"]));
        Assert.Contains("NVIDIA_VISIBLE_DEVICES=GPU-d680b5d7-e8ae-5bd1-a6aa-8fca9b8b93e4", Strings(claimEdits["env"]));
        Assert.Contains($"DRA_RESOURCE_CLAIM_UID={claim.Metadata.Uid}", Strings(claimEdits["env"]));
        var mounts = claimEdits["mounts"]!.AsArray().Select(m => ((string?)m!["hostPath"], (string?)m["containerPath"])).ToList();
        // Sonames are mounted from their real (versioned) file; host paths are under the host's driver root.
        Assert.Contains(("/run/nvidia/driver/usr/lib/x86_64-linux-gnu/libcuda.so.580.159.04", "/usr/lib/x86_64-linux-gnu/libcuda.so.1"), mounts);
        Assert.Contains(("/run/nvidia/driver/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.580.159.04", "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1"), mounts);
        Assert.Contains(("/run/nvidia/driver/usr/lib/x86_64-linux-gnu/libnvidia-gpucomp.so.580.159.04", "/usr/lib/x86_64-linux-gnu/libnvidia-gpucomp.so.580.159.04"), mounts);
        Assert.Contains(("/run/nvidia/driver/usr/bin/nvidia-smi", "/usr/bin/nvidia-smi"), mounts);
        Assert.Equal(5, mounts.Count);
        // The lowest version for this content: device names starting with a digit need 0.5.0 at most.
        Assert.Contains((string?)spec["cdiVersion"], new[] { "0.3.0", "0.5.0" });
        if (char.IsAsciiDigit(claim.Metadata.Uid[0]))
        {
            Assert.Equal("0.5.0", (string?)spec["cdiVersion"]);
        }

        await env.Plugin.UnprepareAsync([claim], Ct);
        Assert.Empty(Directory.GetFiles(env.CdiRoot));
    }

    [Fact]
    public async Task On_a_node_without_GPUs_the_CDI_spec_holds_only_env_so_pods_still_start()
    {
        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot, fakeNode: false);
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(env.Client, "kind", "gpu-2");

        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);

        JsonObject spec = JsonNode.Parse(env.SpecOf(claim.Metadata.Uid))!.AsObject();
        Assert.Null(spec["containerEdits"]!["deviceNodes"]);
        Assert.Null(spec["containerEdits"]!["mounts"]);
        Assert.Null(spec["devices"]![0]!["containerEdits"]!["deviceNodes"]);
        Assert.Contains("NVIDIA_VISIBLE_DEVICES=GPU-8f42092e-338c-518c-a63b-c66567cbceb7", Strings(spec["containerEdits"]!["env"]));
    }

    [Fact]
    public async Task A_MIG_claim_gets_the_parent_node_and_its_capability_nodes()
    {
        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot);
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(env.Client, "mig", "gpu-7-mig-1g10gb-19-3");

        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);

        JsonObject spec = JsonNode.Parse(env.SpecOf(claim.Metadata.Uid))!.AsObject();
        Assert.Equal(["/dev/nvidia7", "/dev/nvidia-caps/nvidia-cap120", "/dev/nvidia-caps/nvidia-cap121"],
            spec["devices"]![0]!["containerEdits"]!["deviceNodes"]!.AsArray().Select(n => (string?)n!["path"]));
        Assert.Contains("NVIDIA_VISIBLE_DEVICES=MIG-1fc9d5d5-5efc-543f-8d70-c3e9a528011e", Strings(spec["containerEdits"]!["env"]));
    }

    [Fact]
    public async Task A_device_prepared_for_one_claim_is_refused_to_another_unless_admin_access()
    {
        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot);
        Resourcev1ResourceClaim a = await Claims.CreateAllocatedAsync(env.Client, "a", "gpu-0");
        Resourcev1ResourceClaim b = await Claims.CreateAllocatedAsync(env.Client, "b", "gpu-0");
        Resourcev1ResourceClaim monitor = await Claims.CreateAllocatedAsync(env.Client, "monitor", "gpu-0", adminAccess: true);

        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([a], Ct)).Claims[a.Metadata.Uid].Error);
        Assert.Equal($"device gpu-0 is already prepared for claim default/a ({a.Metadata.Uid})", (await env.Plugin.PrepareAsync([b], Ct)).Claims[b.Metadata.Uid].Error);
        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([monitor], Ct)).Claims[monitor.Metadata.Uid].Error);
        V1.NodePrepareResourceResponse again = (await env.Plugin.PrepareAsync([a], Ct)).Claims[a.Metadata.Uid];
        Assert.Equal(string.Empty, again.Error); // idempotent

        await env.Plugin.UnprepareAsync([a], Ct);
        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([b], Ct)).Claims[b.Metadata.Uid].Error);
    }

    [Fact]
    public async Task A_device_of_another_node_or_not_on_this_node_is_reported()
    {
        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot);
        Resourcev1ResourceClaim ghost = await Claims.CreateAllocatedAsync(env.Client, "ghost", "gpu-9");
        Resourcev1ResourceClaim elsewhere = await Claims.CreateAllocatedAsync(env.Client, "elsewhere", "gpu-0", pool: "node-b");

        V1.NodePrepareResourcesResponse response = await env.Plugin.PrepareAsync([ghost, elsewhere], Ct);

        Assert.Equal("device node-a/gpu-9 of request gpu0 does not exist on this node", response.Claims[ghost.Metadata.Uid].Error);
        Assert.Equal("device node-b/gpu-0 of request gpu0 does not exist on this node", response.Claims[elsewhere.Metadata.Uid].Error);
    }

    [Fact]
    public async Task TimeSlicing_sets_the_interval_on_the_GPU_and_tells_the_container()
    {
        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot);
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(env.Client, "ts", "gpu-1",
            """{"apiVersion":"resource.nvidia.com/v1beta1","kind":"GpuConfig","sharing":{"strategy":"TimeSlicing","timeSlicingConfig":{"interval":"Long"}}}""");

        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);

        Assert.Contains("timeslice GPU-b80e8a6d-7ae0-5b41-b7a9-84f40f9714f5 3", env.Control.Actions);
        JsonObject spec = JsonNode.Parse(env.SpecOf(claim.Metadata.Uid))!.AsObject();
        string[] env0 = Strings(spec["devices"]![0]!["containerEdits"]!["env"]);
        Assert.Contains("NVIDIA_DRA_DEVICE_GPU_1_SHARING_STRATEGY=TimeSlicing", env0);
        Assert.Contains("NVIDIA_DRA_DEVICE_GPU_1_TIMESLICE_INTERVAL=Long", env0);
    }

    [Fact]
    public async Task MPS_starts_a_control_daemon_per_claim_and_mounts_its_pipe_directory()
    {
        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot);
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(env.Client, "mps", "gpu-7-mig-1g10gb-19-2",
            """{"apiVersion":"resource.nvidia.com/v1beta1","kind":"MigDeviceConfig","sharing":{"strategy":"MPS","mpsConfig":{"defaultActiveThreadPercentage":25,"defaultPinnedDeviceMemoryLimit":"2Gi"}}}""");

        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);

        string pipe = Path.Combine(env.MpsRoot, claim.Metadata.Uid, "pipe");
        Assert.True(Directory.Exists(pipe));
        Assert.Contains($"mps start {claim.Metadata.Uid} MIG-d71a2c5e-3b73-589b-9562-1de8b414daea {pipe}", env.Control.Actions);
        JsonObject spec = JsonNode.Parse(env.SpecOf(claim.Metadata.Uid))!.AsObject();
        string[] claimEnv = Strings(spec["containerEdits"]!["env"]);
        Assert.Contains("CUDA_MPS_PIPE_DIRECTORY=/tmp/nvidia-mps", claimEnv);
        Assert.Contains("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=25", claimEnv);
        Assert.Contains("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=0=2048M", claimEnv);
        Assert.Contains(spec["containerEdits"]!["mounts"]!.AsArray(), m => (string?)m!["hostPath"] == pipe && (string?)m["containerPath"] == "/tmp/nvidia-mps");

        await env.Plugin.UnprepareAsync([claim], Ct);
        Assert.Contains($"mps stop {claim.Metadata.Uid}", env.Control.Actions);
        Assert.False(Directory.Exists(Path.Combine(env.MpsRoot, claim.Metadata.Uid)));
    }

    [Theory]
    [InlineData("""{"apiVersion":"resource.nvidia.com/v1beta1","kind":"GpuConfig","sharing":{"strategy":"Sometimes"}}""", "config[0].opaque.parameters.sharing.strategy: must be TimeSlicing or MPS, not 'Sometimes'")]
    [InlineData("""{"apiVersion":"resource.nvidia.com/v1beta1","kind":"GpuConfig","sharing":{"strategy":"TimeSlicing","timeSlicingConfig":{"interval":"Forever"}}}""", "config[0].opaque.parameters.sharing.timeSlicingConfig.interval: must be one of Default, Short, Medium, Long, not 'Forever'")]
    [InlineData("""{"apiVersion":"resource.nvidia.com/v1beta1","kind":"GpuConfig","sharing":{"strategy":"TimeSlicing","timeSlicingConfig":{"interval":7}}}""", "config[0].opaque.parameters.sharing.timeSlicingConfig.interval")]
    [InlineData("""{"apiVersion":"resource.nvidia.com/v1beta1","kind":"GpuConfig","sharing":{"strategy":"MPS","mpsConfig":{"defaultActiveThreadPercentage":150}}}""", "sharing.mpsConfig.defaultActiveThreadPercentage: must be from 0 to 100, not 150")]
    [InlineData("""{"apiVersion":"resource.nvidia.com/v1beta1","kind":"GpuConfig","sharing":{"strategy":"MPS","mpsConfig":{"defaultPinnedDeviceMemoryLimit":"lots"}}}""", "sharing.mpsConfig.defaultPinnedDeviceMemoryLimit: must be a positive quantity such as 10Gi, not 'lots'")]
    [InlineData("""{"apiVersion":"resource.nvidia.com/v1beta1","kind":"GpuConfig","sharing":{"strategy":"TimeSlicing","mpsConfig":{}}}""", "sharing.mpsConfig: is only allowed with strategy MPS")]
    [InlineData("""{"apiVersion":"resource.nvidia.com/v1beta1","kind":"GpuConfig","sharng":{}}""", "sharng")]
    [InlineData("""{"apiVersion":"gpu.example.com/v1alpha1","kind":"GpuConfig"}""", "config[0].opaque.parameters.apiVersion: must be resource.nvidia.com/v1beta1, not 'gpu.example.com/v1alpha1'")]
    [InlineData("""{"apiVersion":"resource.nvidia.com/v1beta1","kind":"MigDeviceConfig"}""", "config[0].opaque.parameters.kind: MigDeviceConfig cannot configure GPU gpu-2 of request gpu0; use GpuConfig")]
    [InlineData("""{"apiVersion":"resource.nvidia.com/v1beta1","kind":"ComputeDomain"}""", "kind: must be GpuConfig or MigDeviceConfig, not 'ComputeDomain'")]
    public async Task A_bad_opaque_config_fails_that_claim_with_where_and_what(string config, string expected)
    {
        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot);
        Resourcev1ResourceClaim bad = await Claims.CreateAllocatedAsync(env.Client, "bad", "gpu-2", config);
        Resourcev1ResourceClaim good = await Claims.CreateAllocatedAsync(env.Client, "good", "gpu-3");

        V1.NodePrepareResourcesResponse response = await env.Plugin.PrepareAsync([bad, good], Ct);

        Assert.Contains(expected, response.Claims[bad.Metadata.Uid].Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, response.Claims[good.Metadata.Uid].Error);
        Assert.Single(Directory.GetFiles(env.CdiRoot, "k8s.gpu.nvidia.com-claim_*")); // nothing written for the bad claim
        Assert.Empty(env.Control.Actions);
    }

    [Fact]
    public async Task XID_errors_and_a_lost_GPU_become_taints_in_the_republished_slice_and_Unhealthy_in_the_health_stream()
    {
        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot);
        await env.WaitForSliceAsync(s => s.Spec.Devices.Count == 11);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        IAsyncEnumerator<DraSdk.Kubelet.Api.DraHealth.V1.NodeWatchResourcesResponse> health = env.Plugin.WatchHealthAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        env.Source.Inject(new GpuEvent("GPU-b80e8a6d-7ae0-5b41-b7a9-84f40f9714f5", GpuEventKind.Xid, 79, "fell off the bus"));
        env.Source.Inject(new GpuEvent("GPU-470128b3-204b-5745-8619-d6f142e77b72", GpuEventKind.GpuLost)); // the MIG parent
        env.Source.Inject(new GpuEvent("GPU-8f42092e-338c-518c-a63b-c66567cbceb7", GpuEventKind.Xid, 13, "application error")); // ignored XID

        V1ResourceSlice slice = await env.WaitForSliceAsync(s => s.Spec.Devices.Count(d => d.Taints is { Count: > 0 }) == 5);
        V1DeviceTaint xid = Assert.Single(slice.Spec.Devices.Single(d => d.Name == "gpu-1").Taints);
        Assert.Equal(("gpu.nvidia.com/xid", "79", "NoSchedule"), (xid.Key, xid.Value, xid.Effect));
        Assert.NotNull(xid.TimeAdded);
        Assert.All(slice.Spec.Devices.Where(d => d.Name.StartsWith("gpu-7-mig", StringComparison.Ordinal)), d => Assert.Equal("gpu.nvidia.com/gpu-lost", Assert.Single(d.Taints).Key));
        Assert.Null(slice.Spec.Devices.Single(d => d.Name == "gpu-2").Taints);

        // The kubelet's health stream: the tainted devices Unhealthy, the rest Healthy.
        while (await health.MoveNextAsync())
        {
            var unhealthy = health.Current.Devices.Where(d => d.Health == DraSdk.Kubelet.Api.DraHealth.V1.HealthStatus.Unhealthy).Select(d => d.Device.DeviceName).Order().ToArray();
            if (unhealthy.Length == 5)
            {
                Assert.Equal(["gpu-1", "gpu-7-mig-1g10gb-19-2", "gpu-7-mig-1g10gb-19-3", "gpu-7-mig-2g20gb-14-0", "gpu-7-mig-3g40gb-9-4"], unhealthy);
                break;
            }
        }

        await health.DisposeAsync();

        env.Source.Inject(new GpuEvent("GPU-b80e8a6d-7ae0-5b41-b7a9-84f40f9714f5", GpuEventKind.Recovered));
        await env.WaitForSliceAsync(s => s.Spec.Devices.Single(d => d.Name == "gpu-1").Taints is null or { Count: 0 });
    }

    [Fact]
    public async Task A_prepared_GPU_reports_uuid_product_name_and_driver_version_in_the_claim_status_and_an_XID_turns_Ready_false()
    {
        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot);
        V1ResourceSlice slice = await env.WaitForSliceAsync(s => s.Spec.Devices.Count == 11);
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(env.Client, "status", "gpu-1");
        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
        IClaimDeviceStatus status = env.Host.Services.GetRequiredService<IClaimDeviceStatus>();
        await status.WhenWrittenAsync(Ct);

        V1AllocatedDeviceStatus device = Assert.Single((await env.Client.ResourceV1.ReadNamespacedResourceClaimAsync("status", "default", cancellationToken: Ct)).Status.Devices);
        var data = System.Text.Json.Nodes.JsonNode.Parse(k8s.KubernetesJson.Serialize(device.Data))!;
        V1Device published = slice.Spec.Devices.Single(d => d.Name == "gpu-1");
        Assert.Equal("GPU-b80e8a6d-7ae0-5b41-b7a9-84f40f9714f5", data["uuid"]!.GetValue<string>());
        Assert.Equal(published.Attributes["productName"].StringValue, data["productName"]!.GetValue<string>());
        Assert.Equal(published.Attributes["driverVersion"].Version, data["driverVersion"]!.GetValue<string>());
        Assert.Equal(("Ready", "True"), (Assert.Single(device.Conditions).Type, device.Conditions[0].Status));

        env.Source.Inject(new GpuEvent("GPU-b80e8a6d-7ae0-5b41-b7a9-84f40f9714f5", GpuEventKind.Xid, 79, "fell off the bus"));
        await env.WaitForSliceAsync(s => s.Spec.Devices.Single(d => d.Name == "gpu-1").Taints is { Count: 1 });
        V1Condition ready;
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            await Task.Delay(20, Ct);
            await status.WhenWrittenAsync(Ct);
            ready = (await env.Client.ResourceV1.ReadNamespacedResourceClaimAsync("status", "default", cancellationToken: Ct)).Status.Devices.Single().Conditions.Single();
        }
        while (ready.Status == "True" && DateTime.UtcNow < deadline);

        Assert.Equal(("False", "Tainted"), (ready.Status, ready.Reason));
        Assert.Contains("gpu.nvidia.com/xid=79", ready.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Taints_survive_a_restart_of_the_driver_but_not_a_reboot_and_a_corrupt_file_is_set_aside()
    {
        using var root = new TempRoot();
        string bootId = root.File("boot_id", "11111111-1111-1111-1111-111111111111\n");
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(Ct);
        await using (var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot, root, api, bootId))
        {
            await env.WaitForSliceAsync(s => s.Spec.Devices.Count == 11);
            env.Source.Inject(new GpuEvent("GPU-b80e8a6d-7ae0-5b41-b7a9-84f40f9714f5", GpuEventKind.Xid, 79, "fell off the bus"));
            await env.WaitForSliceAsync(s => s.Spec.Devices.Single(d => d.Name == "gpu-1").Taints is { Count: 1 });
        }

        // A restart (a crash, a rolling update) in the same boot: the broken GPU stays tainted from the first slice on.
        // (The old instance's slices are deleted, so that every slice seen below is the new instance's.)
        string state = Path.Combine(root.Path, "plugins", "gpu.nvidia.com", "device-taints.json");
        Assert.True(File.Exists(state));
        DeleteSlices(api);
        await using (var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot, root, api, bootId))
        {
            V1ResourceSlice slice = await env.WaitForSliceAsync(s => s.Spec.Devices.Count == 11);
            V1DeviceTaint xid = Assert.Single(slice.Spec.Devices.Single(d => d.Name == "gpu-1").Taints);
            Assert.Equal(("gpu.nvidia.com/xid", "79"), (xid.Key, xid.Value));
            Assert.Equal(10, slice.Spec.Devices.Count(d => d.Taints is null or { Count: 0 }));
        }

        // A reboot: the GPU starts healthy again.
        await File.WriteAllTextAsync(bootId, "22222222-2222-2222-2222-222222222222\n", Ct);
        DeleteSlices(api);
        await using (var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot, root, api, bootId))
        {
            V1ResourceSlice slice = await env.WaitForSliceAsync(s => s.Spec.Devices.Count == 11);
            Assert.All(slice.Spec.Devices, d => Assert.True(d.Taints is null or { Count: 0 }, d.Name));
        }

        // A corrupt file is set aside; the driver starts without taints.
        await File.WriteAllTextAsync(state, "{ not json", Ct);
        DeleteSlices(api);
        await using (var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot, root, api, bootId))
        {
            V1ResourceSlice slice = await env.WaitForSliceAsync(s => s.Spec.Devices.Count == 11);
            Assert.All(slice.Spec.Devices, d => Assert.True(d.Taints is null or { Count: 0 }, d.Name));
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(state)!, "device-taints.json.corrupt-*"));
        }

        static void DeleteSlices(InMemoryKubernetesApiServer api)
        {
            foreach (V1ResourceSlice slice in api.List<V1ResourceSlice>())
            {
                api.Delete<V1ResourceSlice>(slice.Metadata.Name);
            }
        }
    }

    [Fact]
    public async Task A_GPU_that_disappears_is_no_longer_published_and_the_others_keep_working()
    {
        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot);
        await env.WaitForSliceAsync(s => s.Spec.Devices.Count == 11);

        env.Source.Inject(new GpuEvent("GPU-187868ab-7c86-501f-b60e-69ef5b5ea1a9", GpuEventKind.Removed));

        V1ResourceSlice slice = await env.WaitForSliceAsync(s => s.Spec.Devices.Count == 10);
        Assert.DoesNotContain(slice.Spec.Devices, d => d.Name == "gpu-3");
        Resourcev1ResourceClaim gone = await Claims.CreateAllocatedAsync(env.Client, "gone", "gpu-3");
        Resourcev1ResourceClaim other = await Claims.CreateAllocatedAsync(env.Client, "other", "gpu-4");
        V1.NodePrepareResourcesResponse response = await env.Plugin.PrepareAsync([gone, other], Ct);
        Assert.Equal("device node-a/gpu-3 of request gpu0 does not exist on this node", response.Claims[gone.Metadata.Uid].Error);
        Assert.Equal(string.Empty, response.Claims[other.Metadata.Uid].Error);
        Assert.DoesNotContain(env.Host.Services.GetRequiredService<DeviceHealthTracker>().Current, h => h.DeviceName == "gpu-3");
    }

    [Fact]
    public async Task Events_in_the_snapshot_are_replayed_after_their_delay()
    {
        using var root = new TempRoot();
        string snapshot = Fixtures.Edited(root, Fixtures.RealH100, json =>
            json["events"] = new JsonArray(new JsonObject { ["afterMs"] = 200, ["uuid"] = "GPU-8272c72e-3ba8-6fe5-e94c-756c25c6a98e", ["type"] = "xid", ["xid"] = 48 }));
        await using var env = await DriverEnvironment.StartAsync(snapshot, root);

        V1ResourceSlice slice = await env.WaitForSliceAsync(s => s.Spec.Devices.Single().Taints is { Count: 1 });

        Assert.Equal("48", slice.Spec.Devices.Single().Taints[0].Value);
    }

    [Fact]
    public async Task After_a_reboot_the_lost_CDI_specs_are_recreated_from_the_checkpoint()
    {
        using var root = new TempRoot();
        string bootId = root.File("boot_id", "11111111-1111-1111-1111-111111111111\n");
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(Ct);
        Resourcev1ResourceClaim claim;
        string spec;
        string before;
        await using (var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot, root, api, bootId))
        {
            claim = await Claims.CreateAllocatedAsync(env.Client, "survivor", "gpu-1",
                """{"apiVersion":"resource.nvidia.com/v1beta1","kind":"GpuConfig","sharing":{"strategy":"MPS"}}""");
            Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
            spec = Assert.Single(Directory.GetFiles(env.CdiRoot, "k8s.gpu.nvidia.com-claim_*"));
            before = await File.ReadAllTextAsync(spec, Ct);
        }

        // The reboot: a new boot id, and /var/run/cdi (a tmpfs) is empty.
        await File.WriteAllTextAsync(bootId, "22222222-2222-2222-2222-222222222222\n", Ct);
        Directory.Delete(Path.Combine(root.Path, "cdi"), recursive: true);

        await using (var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot, root, api, bootId))
        {
            Assert.Equal(before, await File.ReadAllTextAsync(spec, Ct)); // re-created at start, before the kubelet asks
            Assert.Contains(env.Control.Actions, a => a.StartsWith($"mps start {claim.Metadata.Uid}", StringComparison.Ordinal)); // and the MPS daemon
            PreparedClaimStore store = env.Host.Services.GetRequiredService<PreparedClaimStore>();
            Assert.Equal(CheckpointLoadStatus.BootChanged, store.LoadResult!.Status);
            Assert.Empty(store.RecordsNeedingRecreation);
            Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
        }
    }

    [Fact]
    public async Task A_corrupt_checkpoint_is_set_aside_and_the_driver_serves()
    {
        using var root = new TempRoot();
        root.File("plugins/gpu.nvidia.com/checkpoint.json", "{\"apiVersion\":\"checkpoint.drasdk.io/v1\",\"kind\":\"Prepared");

        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot, root);
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(env.Client, "fresh", "gpu-0");

        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
        Assert.Single(Directory.GetFiles(Path.Combine(root.Path, "plugins/gpu.nvidia.com"), "checkpoint.json.corrupt-*"));
    }

    private static string[] Strings(JsonNode? array) => [.. array!.AsArray().Select(n => (string)n!)];
}
