using System.Diagnostics;
using System.Text.Json;
using DraSdk.KubeletPlugin;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NvidiaGpuDriver.Nvml;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace NvidiaGpuDriver.Demo;

/// <summary>
/// The end-to-end demo in replay mode: an in-memory API server and a fake kubelet in this process, the NVIDIA driver
/// on its real Unix sockets reading a snapshot; registration, the published ResourceSlice, a time-sliced GPU claim and
/// an MPS-shared MIG claim prepared (CDI specs shown), a conflicting claim refused, an XID error and a GPU that
/// disappears republished, then unprepare and stop.
/// </summary>
internal static class DemoRunner
{
    private const string NodeName = "demo-node";

    public static string DefaultSnapshot => Path.Combine(AppContext.BaseDirectory, "snapshots", "kind-node.json");

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        bool verbose = args.Contains("--verbose");
        int snapshotIndex = Array.IndexOf(args, "--snapshot");
        string snapshot = snapshotIndex >= 0 && snapshotIndex + 1 < args.Length ? Path.GetFullPath(args[snapshotIndex + 1]) : DefaultSnapshot;
        string root = Path.Combine("/tmp", "nvdra-demo-" + Guid.NewGuid().ToString("N")[..8]);
        string cdiRoot = Path.Combine(root, "cdi");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        CancellationToken ct = timeout.Token;
        void Step(string text) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F2}s] {text}");

        try
        {
            // A simulated /dev with the nodes of GPU 0 and the MIG GPU, so the CDI specs show device nodes.
            string devRoot = Path.Combine(root, "host");
            Directory.CreateDirectory(Path.Combine(devRoot, "dev", "nvidia-caps"));
            foreach (string node in new[] { "nvidia0", "nvidia7", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-caps/nvidia-cap120", "nvidia-caps/nvidia-cap121" })
            {
                await File.WriteAllTextAsync(Path.Combine(devRoot, "dev", node), string.Empty, ct);
            }

            await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(ct);
            IKubernetes client = api.CreateClient();
            Step($"In-memory Kubernetes API server on {api.BaseAddress}");
            await client.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = NodeName } }, cancellationToken: ct);
            foreach ((string name, string type) in new[] { ("gpu.nvidia.com", "gpu"), ("mig.nvidia.com", "mig") })
            {
                await client.ResourceV1.CreateDeviceClassAsync(new V1DeviceClass
                {
                    ApiVersion = "resource.k8s.io/v1",
                    Kind = "DeviceClass",
                    Metadata = new V1ObjectMeta { Name = name },
                    Spec = new V1DeviceClassSpec { Selectors = [new V1DeviceSelector { Cel = new V1CELDeviceSelector { Expression = $"device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == '{type}'" } }] },
                }, cancellationToken: ct);
            }

            Step($"Created Node {NodeName} and DeviceClasses gpu.nvidia.com, mig.nvidia.com");

            HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["NODE_NAME"] = NodeName,
                ["DEVICE_SOURCE"] = "replay:" + snapshot,
                ["DEV_ROOT"] = devRoot,
                ["SYSFS_ROOT"] = Path.Combine(root, "sys"),
            });
            builder.Logging.ClearProviders();
            if (verbose)
            {
                builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Debug);
            }

            builder.Services.AddSingleton(client);
            builder.AddNvidiaGpuDriver(o =>
            {
                o.RegistrarDirectoryPath = Path.Combine(root, "plugins_registry");
                o.KubeletPluginsDirectoryPath = Path.Combine(root, "plugins");
                o.CdiRoot = cdiRoot;
            });
            using IHost host = builder.Build();
            await host.StartAsync(ct);
            var source = (ReplayDeviceSource)host.Services.GetRequiredService<IGpuDeviceSource>();
            Step($"Driver gpu.nvidia.com started from {source.Description}");

            await using var kubelet = new FakeKubelet(Path.Combine(root, "plugins_registry"));
            KubeletPluginConnection plugin = await kubelet.WaitForDriverAsync("gpu.nvidia.com", ct);
            Step($"Fake kubelet registered the driver: versions [{string.Join(", ", plugin.SupportedVersions)}]");

            V1ResourceSlice slice = await WaitForSliceAsync(client, s => s.Spec.Devices.Count > 0, ct);
            Step($"ResourceSlice published: pool {slice.Spec.Pool.Name}, {slice.Spec.Devices.Count} devices");
            foreach (V1Device device in slice.Spec.Devices)
            {
                IDictionary<string, V1DeviceAttribute> a = device.Attributes;
                string extra = a["type"].StringValue == "mig" ? $" profile={a["profile"].StringValue} parent={a["parentUUID"].StringValue[..12]}…" : string.Empty;
                output.WriteLine($"           {device.Name,-24} {a["type"].StringValue,-3} {a["uuid"].StringValue} {a["productName"].StringValue} memory={device.Capacity["memory"].Value} cc={a["cudaComputeCapability"].Version} driver={a["driverVersion"].Version} cuda={a["cudaDriverVersion"].Version} pci={a["resource.kubernetes.io/pciBusID"].StringValue}{extra}");
            }

            string gpu0 = "gpu-0";
            string mig = slice.Spec.Devices.First(d => d.Attributes["type"].StringValue == "mig" && d.Attributes["profile"].StringValue == "1g.10gb").Name;
            Resourcev1ResourceClaim timeSliced = await CreateAllocatedClaimAsync(client, "time-sliced", "gpu.nvidia.com", gpu0,
                """{"apiVersion":"resource.nvidia.com/v1beta1","kind":"GpuConfig","sharing":{"strategy":"TimeSlicing","timeSlicingConfig":{"interval":"Long"}}}""", ct);
            Resourcev1ResourceClaim mps = await CreateAllocatedClaimAsync(client, "mps-mig", "mig.nvidia.com", mig,
                """{"apiVersion":"resource.nvidia.com/v1beta1","kind":"MigDeviceConfig","sharing":{"strategy":"MPS","mpsConfig":{"defaultActiveThreadPercentage":50,"defaultPinnedDeviceMemoryLimit":"4Gi"}}}""", ct);
            Resourcev1ResourceClaim conflict = await CreateAllocatedClaimAsync(client, "conflict", "gpu.nvidia.com", gpu0, null, ct);

            V1.NodePrepareResourcesResponse prepared = await plugin.PrepareAsync([timeSliced, mps], ct);
            foreach (Resourcev1ResourceClaim claim in new[] { timeSliced, mps })
            {
                V1.NodePrepareResourceResponse result = prepared.Claims[claim.Metadata.Uid];
                if (result.Error.Length > 0)
                {
                    Step($"FAILED: NodePrepareResources {claim.Metadata.Name}: {result.Error}");
                    return 1;
                }

                Step($"NodePrepareResources {claim.Metadata.Name}: {string.Join(", ", result.Devices.Select(d => $"{d.DeviceName} -> [{string.Join(", ", d.CdiDeviceIds)}]"))}");
                string spec = Path.Combine(cdiRoot, Directory.EnumerateFiles(cdiRoot, $"*{claim.Metadata.Uid}*.json").Single());
                output.WriteLine(File.ReadAllText(spec).TrimEnd());
            }

            string refused = (await plugin.PrepareAsync([conflict], ct)).Claims[conflict.Metadata.Uid].Error;
            Step($"NodePrepareResources conflict (gpu-0 again, no admin access): refused = {refused.Length > 0}: {refused}");

            source.Inject(new GpuEvent(slice.Spec.Devices.First(d => d.Name == "gpu-1").Attributes["uuid"].StringValue, GpuEventKind.Xid, 48, "double-bit ECC error (demo)"));
            V1ResourceSlice tainted = await WaitForSliceAsync(client, s => s.Spec.Devices.Any(d => d.Taints is { Count: > 0 }), ct);
            V1Device sick = tainted.Spec.Devices.First(d => d.Taints is { Count: > 0 });
            Step($"Injected XID 48 on gpu-1: republished, {sick.Name} taints [{string.Join(", ", sick.Taints.Select(t => $"{t.Key}={t.Value}:{t.Effect}"))}]");
            DeviceHealthTracker health = host.Services.GetRequiredService<DeviceHealthTracker>();
            Step($"Health stream: {string.Join(", ", health.Current.Where(h => h.Status != DeviceHealthStatus.Healthy).Select(h => $"{h.DeviceName}={h.Status}"))}");

            source.Inject(new GpuEvent(slice.Spec.Devices.First(d => d.Name == "gpu-3").Attributes["uuid"].StringValue, GpuEventKind.Removed));
            V1ResourceSlice smaller = await WaitForSliceAsync(client, s => s.Spec.Devices.Count == slice.Spec.Devices.Count - 1, ct);
            Step($"Injected: gpu-3 disappeared: republished with {smaller.Spec.Devices.Count} devices (gpu-3 present = {smaller.Spec.Devices.Any(d => d.Name == "gpu-3")})");

            V1.NodeUnprepareResourcesResponse unprepared = await plugin.UnprepareAsync([timeSliced, mps], ct);
            bool unprepareOk = unprepared.Claims.Values.All(c => c.Error.Length == 0);
            bool specsGone = !Directory.EnumerateFiles(cdiRoot, "*.json").Any();
            Step($"NodeUnprepareResources: {(unprepareOk ? "ok" : "FAILED")}; CDI specs removed = {specsGone}");

            await host.StopAsync(ct);
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

    private static async Task<V1ResourceSlice> WaitForSliceAsync(IKubernetes client, Func<V1ResourceSlice, bool> condition, CancellationToken ct)
    {
        while (true)
        {
            V1ResourceSliceList slices = await client.ResourceV1.ListResourceSliceAsync(fieldSelector: $"spec.nodeName={NodeName}", cancellationToken: ct);
            if (slices.Items.FirstOrDefault(s => s.Spec.Driver == "gpu.nvidia.com" && condition(s)) is { } slice)
            {
                return slice;
            }

            await Task.Delay(20, ct);
        }
    }

    /// <summary>Creates a claim for one device and allocates it, as the scheduler would.</summary>
    private static async Task<Resourcev1ResourceClaim> CreateAllocatedClaimAsync(IKubernetes client, string name, string deviceClass, string device, string? config, CancellationToken ct)
    {
        V1DeviceAllocationConfiguration[]? configs = config is null ? null :
            [new V1DeviceAllocationConfiguration { Source = "FromClaim", Requests = ["gpu"], Opaque = new V1OpaqueDeviceConfiguration { Driver = "gpu.nvidia.com", Parameters = JsonDocument.Parse(config).RootElement } }];
        var claim = new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec { Devices = new V1DeviceClaim { Requests = [new V1DeviceRequest { Name = "gpu", Exactly = new V1ExactDeviceRequest { DeviceClassName = deviceClass } }] } },
        };
        Resourcev1ResourceClaim created = await client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default", cancellationToken: ct);
        created.Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult
                {
                    Results = [new V1DeviceRequestAllocationResult { Request = "gpu", Driver = "gpu.nvidia.com", Pool = NodeName, Device = device }],
                    Config = configs,
                },
            },
        };
        return await client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, name, "default", cancellationToken: ct);
    }
}
