using System.Diagnostics;
using System.Text.Json;
using DraSdk.Cdi;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace ExampleDriver.Demo;

/// <summary>
/// The end-to-end demo: an in-memory API server and a fake kubelet in this process, the example driver on its real
/// Unix sockets; registration, the published ResourceSlice, a claim allocated, prepared (CDI spec shown) and unprepared.
/// </summary>
internal static class DemoRunner
{
    private const string NodeName = "demo-node";

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        bool verbose = args.Contains("--verbose");
        string root = Path.Combine("/tmp", "drasdk-demo-" + Guid.NewGuid().ToString("N")[..8]);
        string registrar = Path.Combine(root, "plugins_registry");
        string plugins = Path.Combine(root, "plugins");
        string cdiRoot = Path.Combine(root, "cdi");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        CancellationToken ct = timeout.Token;
        void Step(string text) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F2}s] {text}");

        try
        {
            await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(ct);
            IKubernetes client = api.CreateClient();
            Step($"In-memory Kubernetes API server on {api.BaseAddress}");
            V1Node node = await client.CoreV1.CreateNodeAsync(new V1Node
            {
                ApiVersion = "v1",
                Kind = "Node",
                Metadata = new V1ObjectMeta { Name = NodeName, Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = NodeName } },
            }, cancellationToken: ct);
            await client.ResourceV1.CreateDeviceClassAsync(new V1DeviceClass
            {
                ApiVersion = "resource.k8s.io/v1",
                Kind = "DeviceClass",
                Metadata = new V1ObjectMeta { Name = "gpu.example.com" },
                Spec = new V1DeviceClassSpec { Selectors = [new V1DeviceSelector { Cel = new V1CELDeviceSelector { Expression = "device.driver == 'gpu.example.com'" } }] },
            }, cancellationToken: ct);
            Step($"Created Node {node.Metadata.Name} and DeviceClass gpu.example.com");

            HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["NODE_NAME"] = NodeName, ["NUM_DEVICES"] = "4" });
            builder.Logging.ClearProviders();
            if (verbose)
            {
                builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Debug);
            }

            builder.Services.AddSingleton(client);
            builder.AddExampleDriver(o =>
            {
                o.RegistrarDirectoryPath = registrar;
                o.KubeletPluginsDirectoryPath = plugins;
                o.CdiRoot = cdiRoot;
            });
            using IHost host = builder.Build();
            await host.StartAsync(ct);
            Step($"Driver gpu.example.com started (sockets under {root})");

            await using var kubelet = new FakeKubelet(registrar);
            KubeletPluginConnection plugin = await kubelet.WaitForDriverAsync("gpu.example.com", ct);
            Step($"Fake kubelet registered the driver via {Path.GetFileName(plugin.RegistrationSocketPath)}: endpoint {plugin.Endpoint}, versions [{string.Join(", ", plugin.SupportedVersions)}], using DRA {plugin.DraVersion}");

            V1ResourceSlice slice = await WaitForSliceAsync(client, ct);
            Step($"ResourceSlice {slice.Metadata.Name} published: pool {slice.Spec.Pool.Name} (generation {slice.Spec.Pool.Generation}), {slice.Spec.Devices.Count} devices");
            foreach (V1Device device in slice.Spec.Devices)
            {
                output.WriteLine($"           {device.Name}: uuid={device.Attributes["uuid"].StringValue} model={device.Attributes["model"].StringValue} driverVersion={device.Attributes["driverVersion"].Version} memory={device.Capacity["memory"].Value}");
            }

            Resourcev1ResourceClaim claim = await CreateAndAllocateClaimAsync(client, slice, ct);
            V1DeviceRequestAllocationResult allocated = claim.Status.Allocation.Devices.Results[0];
            Step($"ResourceClaim default/{claim.Metadata.Name} ({claim.Metadata.Uid}) allocated {allocated.Pool}/{allocated.Device} with an opaque GpuConfig (TimeSlicing, Long)");

            V1.NodePrepareResourcesResponse prepared = await plugin.PrepareAsync([claim], ct);
            V1.NodePrepareResourceResponse result = prepared.Claims[claim.Metadata.Uid];
            if (result.Error.Length > 0)
            {
                Step($"FAILED: NodePrepareResources: {result.Error}");
                return 1;
            }

            Step($"NodePrepareResources: {string.Join(", ", result.Devices.Select(d => $"{d.DeviceName} -> [{string.Join(", ", d.CdiDeviceIds)}]"))}");
            string specPath = Directory.EnumerateFiles(cdiRoot, "*.json").Single();
            Step($"CDI spec {specPath}:");
            output.WriteLine(File.ReadAllText(specPath).TrimEnd());

            // What a CDI-aware runtime resolves for these ids: the same registry logic podman and containerd apply.
            var registry = new CdiRegistry([cdiRoot]);
            string[] ids = [.. result.Devices.SelectMany(d => d.CdiDeviceIds)];
            ContainerEdits edits = registry.GetContainerEdits(ids);
            Step($"A container started with --device {string.Join(" --device ", ids)} gets {edits.Env?.Count ?? 0} env vars: {string.Join(" ", edits.Env ?? [])}");

            V1.NodePrepareResourcesResponse again = await plugin.PrepareAsync([claim], ct);
            Step($"NodePrepareResources again (idempotent): same answer = {again.Claims[claim.Metadata.Uid].Equals(result)}");

            V1.NodeUnprepareResourcesResponse unprepared = await plugin.UnprepareAsync([claim], ct);
            string unprepareError = unprepared.Claims[claim.Metadata.Uid].Error;
            Step($"NodeUnprepareResources: {(unprepareError.Length == 0 ? "ok" : unprepareError)}; CDI spec removed = {!File.Exists(specPath)}");

            await host.StopAsync(ct);
            bool socketsGone = !File.Exists(plugin.Endpoint) && !File.Exists(plugin.RegistrationSocketPath);
            Step($"Driver stopped; sockets removed = {socketsGone}");
            bool ok = unprepareError.Length == 0 && !File.Exists(specPath) && socketsGone && again.Claims[claim.Metadata.Uid].Equals(result);
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

    private static async Task<V1ResourceSlice> WaitForSliceAsync(IKubernetes client, CancellationToken ct)
    {
        while (true)
        {
            V1ResourceSliceList slices = await client.ResourceV1.ListResourceSliceAsync(fieldSelector: $"spec.nodeName={NodeName}", cancellationToken: ct);
            if (slices.Items.FirstOrDefault(s => s.Spec.Driver == "gpu.example.com") is { } slice)
            {
                return slice;
            }

            await Task.Delay(20, ct);
        }
    }

    /// <summary>Creates a claim for one GPU and allocates the first device of the slice, as the scheduler's first-fit would.</summary>
    private static async Task<Resourcev1ResourceClaim> CreateAndAllocateClaimAsync(IKubernetes client, V1ResourceSlice slice, CancellationToken ct)
    {
        JsonElement gpuConfig = JsonDocument.Parse("""
            {"apiVersion":"gpu.example.com/v1alpha1","kind":"GpuConfig","sharing":{"strategy":"TimeSlicing","timeSlicingConfig":{"interval":"Long"}}}
            """).RootElement;
        var claim = new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = "single-gpu", NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec
            {
                Devices = new V1DeviceClaim
                {
                    Requests = [new V1DeviceRequest { Name = "gpu", Exactly = new V1ExactDeviceRequest { DeviceClassName = "gpu.example.com", AllocationMode = "ExactCount", Count = 1 } }],
                    Config = [new V1DeviceClaimConfiguration { Requests = ["gpu"], Opaque = new V1OpaqueDeviceConfiguration { Driver = "gpu.example.com", Parameters = gpuConfig } }],
                },
            },
        };
        Resourcev1ResourceClaim created = await client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default", cancellationToken: ct);
        created.Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult
                {
                    Results = [new V1DeviceRequestAllocationResult { Request = "gpu", Driver = slice.Spec.Driver, Pool = slice.Spec.Pool.Name, Device = slice.Spec.Devices[0].Name }],
                    Config = [new V1DeviceAllocationConfiguration { Source = "FromClaim", Requests = ["gpu"], Opaque = claim.Spec.Devices.Config[0].Opaque }],
                },
                NodeSelector = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = [NodeName] }] }],
                },
            },
        };
        return await client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, created.Metadata.Name, "default", cancellationToken: ct);
    }
}
