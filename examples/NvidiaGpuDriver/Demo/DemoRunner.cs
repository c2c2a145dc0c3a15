using System.Diagnostics;
using DraSdk.KubeletPlugin;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NvidiaGpuDriver.Nvml;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace NvidiaGpuDriver.Demo;

/// <summary>
/// The end-to-end demo in replay mode on a <see cref="LocalNode"/>: an in-memory API server and a fake kubelet in this
/// process, the NVIDIA driver on its real Unix sockets reading a snapshot; registration, the published ResourceSlice, a
/// time-sliced GPU claim and an MPS-shared MIG claim allocated by DraSdk's copy of the scheduler's allocator and
/// prepared (CDI specs shown), a conflicting claim refused, an XID error and a GPU that disappears republished, then
/// unprepare and stop.
/// </summary>
internal static class DemoRunner
{
    private const string NodeName = "demo-node";

    public static string DefaultSnapshot => Path.Combine(AppContext.BaseDirectory, "snapshots", "kind-node.json");

    public static async Task<int> RunAsync(bool verbose, string snapshot, TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        string root = LocalNode.NewRootDirectory();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        CancellationToken ct = timeout.Token;
        void Step(string text) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F2}s] {text}");

        try
        {
            // A simulated /dev with the nodes of GPU 0 and the MIG GPU, so the CDI specs show device nodes.
            string devRoot = Path.Combine(root, "host");
            Directory.CreateDirectory(Path.Combine(devRoot, "dev", "nvidia-caps"));
            foreach (string file in new[] { "nvidia0", "nvidia7", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-caps/nvidia-cap120", "nvidia-caps/nvidia-cap121" })
            {
                await File.WriteAllTextAsync(Path.Combine(devRoot, "dev", file), string.Empty, ct);
            }

            await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(ct);
            Step($"In-memory Kubernetes API server on {api.BaseAddress}");
            var options = new LocalNodeOptions
            {
                ApiServer = api,
                DriverName = NvidiaDriverOptions.DriverName,
                NodeName = NodeName,
                RootDirectory = root,
                CreateDeviceClass = false, // the driver's own classes, below
                ConfigureHost = builder =>
                {
                    builder.Logging.ClearProviders();
                    if (verbose)
                    {
                        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Debug);
                    }

                    builder.AddNvidiaGpuDriver();
                },
            };
            options.Configuration["DEVICE_SOURCE"] = "replay:" + snapshot;
            options.Configuration["DEV_ROOT"] = devRoot;
            options.Configuration["SYSFS_ROOT"] = Path.Combine(root, "sys");
            await using LocalNode node = await LocalNode.StartAsync(options, ct);
            var source = (ReplayDeviceSource)node.Host.Services.GetRequiredService<IGpuDeviceSource>();
            Step($"Node {NodeName}: driver gpu.nvidia.com started from {source.Description}");
            Step($"Fake kubelet registered the driver: versions [{string.Join(", ", node.Plugin.SupportedVersions)}]");

            foreach ((string name, string type) in new[] { ("gpu.nvidia.com", "gpu"), ("mig.nvidia.com", "mig") })
            {
                await node.Client.ResourceV1.CreateDeviceClassAsync(new V1DeviceClass
                {
                    ApiVersion = "resource.k8s.io/v1",
                    Kind = "DeviceClass",
                    Metadata = new V1ObjectMeta { Name = name },
                    Spec = new V1DeviceClassSpec { Selectors = [new V1DeviceSelector { Cel = new V1CELDeviceSelector { Expression = $"device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == '{type}'" } }] },
                }, cancellationToken: ct);
            }

            Step("Created DeviceClasses gpu.nvidia.com, mig.nvidia.com");

            V1ResourceSlice slice = await WaitForSliceAsync(node, s => s.Spec.Devices.Count > 0, ct);
            Step($"ResourceSlice published: pool {slice.Spec.Pool.Name}, {slice.Spec.Devices.Count} devices");
            foreach (V1Device device in slice.Spec.Devices)
            {
                IDictionary<string, V1DeviceAttribute> a = device.Attributes;
                string extra = a["type"].StringValue == "mig" ? $" profile={a["profile"].StringValue} parent={a["parentUUID"].StringValue[..12]}…" : string.Empty;
                output.WriteLine($"           {device.Name,-24} {a["type"].StringValue,-3} {a["uuid"].StringValue} {a["productName"].StringValue} memory={device.Capacity["memory"].Value} cc={a["cudaComputeCapability"].Version} driver={a["driverVersion"].Version} cuda={a["cudaDriverVersion"].Version} pci={a["resource.kubernetes.io/pciBusID"].StringValue}{extra}");
            }

            // Allocated by DraSdk's copy of the scheduler's allocator: any GPU, and a 1g.10gb MIG device.
            Resourcev1ResourceClaim timeSliced = await node.CreateAndAllocateClaimAsync("time-sliced",
                configJson: """{"apiVersion":"resource.nvidia.com/v1beta1","kind":"GpuConfig","sharing":{"strategy":"TimeSlicing","timeSlicingConfig":{"interval":"Long"}}}""", cancellationToken: ct);
            Resourcev1ResourceClaim mps = await node.CreateAndAllocateClaimAsync(new LocalClaim("mps-mig")
            {
                DeviceClassName = "mig.nvidia.com",
                Selector = "device.attributes['gpu.nvidia.com'].profile == '1g.10gb'",
                ConfigJson = """{"apiVersion":"resource.nvidia.com/v1beta1","kind":"MigDeviceConfig","sharing":{"strategy":"MPS","mpsConfig":{"defaultActiveThreadPercentage":50,"defaultPinnedDeviceMemoryLimit":"4Gi"}}}""",
            }, ct);
            string gpu = timeSliced.Status.Allocation.Devices.Results[0].Device;
            Step($"ResourceClaims allocated: time-sliced -> {gpu}, mps-mig -> {mps.Status.Allocation.Devices.Results[0].Device}");

            // A claim allocated to the same GPU, as a stale allocation would be: the driver must refuse it.
            Resourcev1ResourceClaim conflict = await node.CreateClaimAllocatedToAsync("conflict", gpu, ct);

            V1.NodePrepareResourcesResponse prepared = await node.Plugin.PrepareAsync([timeSliced, mps], ct);
            foreach (Resourcev1ResourceClaim claim in new[] { timeSliced, mps })
            {
                V1.NodePrepareResourceResponse result = prepared.Claims[claim.Metadata.Uid];
                if (result.Error.Length > 0)
                {
                    Step($"FAILED: NodePrepareResources {claim.Metadata.Name}: {result.Error}");
                    return 1;
                }

                Step($"NodePrepareResources {claim.Metadata.Name}: {string.Join(", ", result.Devices.Select(d => $"{d.DeviceName} -> [{string.Join(", ", d.CdiDeviceIds)}]"))}");
                string spec = Directory.EnumerateFiles(node.CdiRoot, $"k8s.gpu.nvidia.com-*{claim.Metadata.Uid}*.json").Single();
                output.WriteLine(File.ReadAllText(spec).TrimEnd());

                // KEP-5304: each request's device metadata file, mounted read-only into the container by its own CDI spec.
                foreach (string metadataSpec in Directory.EnumerateFiles(node.CdiRoot, $"gpu.nvidia.com_metadata_{claim.Metadata.Uid}_*.json"))
                {
                    string request = Path.GetFileNameWithoutExtension(metadataSpec)[$"gpu.nvidia.com_metadata_{claim.Metadata.Uid}_".Length..];
                    string file = Path.Combine(node.PluginsDirectoryPath, node.DriverName, "dra-device-metadata", $"default_{claim.Metadata.Name}", request, "metadata.json");
                    Step($"Device metadata of {claim.Metadata.Name}/{request}: {file}, in the container {DraSdk.DeviceMetadata.DeviceMetadataReader.GetResourceClaimPath(node.DriverName, claim.Metadata.Name, request)}:");
                    output.WriteLine(File.ReadAllText(file).TrimEnd());
                }
            }

            string refused = (await node.Plugin.PrepareAsync([conflict], ct)).Claims[conflict.Metadata.Uid].Error;
            Step($"NodePrepareResources conflict ({gpu} again, no admin access): refused = {refused.Length > 0}: {refused}");

            source.Inject(new GpuEvent(slice.Spec.Devices.First(d => d.Name == "gpu-1").Attributes["uuid"].StringValue, GpuEventKind.Xid, 48, "double-bit ECC error (demo)"));
            V1ResourceSlice tainted = await WaitForSliceAsync(node, s => s.Spec.Devices.Any(d => d.Taints is { Count: > 0 }), ct);
            V1Device sick = tainted.Spec.Devices.First(d => d.Taints is { Count: > 0 });
            Step($"Injected XID 48 on gpu-1: republished, {sick.Name} taints [{string.Join(", ", sick.Taints.Select(t => $"{t.Key}={t.Value}:{t.Effect}"))}]");
            DeviceHealthTracker health = node.Host.Services.GetRequiredService<DeviceHealthTracker>();
            Step($"Health stream: {string.Join(", ", health.Current.Where(h => h.Status != DeviceHealthStatus.Healthy).Select(h => $"{h.DeviceName}={h.Status}"))}");

            source.Inject(new GpuEvent(slice.Spec.Devices.First(d => d.Name == "gpu-3").Attributes["uuid"].StringValue, GpuEventKind.Removed));
            V1ResourceSlice smaller = await WaitForSliceAsync(node, s => s.Spec.Devices.Count == slice.Spec.Devices.Count - 1, ct);
            Step($"Injected: gpu-3 disappeared: republished with {smaller.Spec.Devices.Count} devices (gpu-3 present = {smaller.Spec.Devices.Any(d => d.Name == "gpu-3")})");

            V1.NodeUnprepareResourcesResponse unprepared = await node.Plugin.UnprepareAsync([timeSliced, mps], ct);
            bool unprepareOk = unprepared.Claims.Values.All(c => c.Error.Length == 0);
            bool specsGone = !Directory.EnumerateFiles(node.CdiRoot, "*.json").Any();
            Step($"NodeUnprepareResources: {(unprepareOk ? "ok" : "FAILED")}; CDI specs removed = {specsGone}");

            bool ok = unprepareOk && specsGone && refused.Contains("already prepared", StringComparison.Ordinal);
            Step(ok ? "Demo finished: OK" : "Demo finished: FAILED");
            return ok ? 0 : 1;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Step("FAILED: the demo did not finish within 60 seconds");
            return 1;
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<V1ResourceSlice> WaitForSliceAsync(LocalNode node, Func<V1ResourceSlice, bool> condition, CancellationToken ct)
    {
        while (true)
        {
            V1ResourceSliceList slices = await node.Client.ResourceV1.ListResourceSliceAsync(fieldSelector: $"spec.nodeName={node.NodeName}", cancellationToken: ct);
            if (slices.Items.FirstOrDefault(s => s.Spec.Driver == node.DriverName && condition(s)) is { } slice)
            {
                return slice;
            }

            await Task.Delay(20, ct);
        }
    }
}
