using System.Diagnostics;
using DraSdk.Cdi;
using DraSdk.DeviceMetadata;
using DraSdk.Testing;
using k8s.Models;
using Microsoft.Extensions.Logging;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace ExampleDriver.Demo;

/// <summary>
/// The end-to-end demo on a <see cref="LocalNode"/>: an in-memory API server and a fake kubelet in this process, the
/// example driver on its real Unix sockets; registration, the published ResourceSlice, a claim allocated by DraSdk's
/// copy of the scheduler's allocator, prepared (CDI spec shown) and unprepared.
/// </summary>
internal static class DemoRunner
{
    private const string NodeName = "demo-node";

    public static async Task<int> RunAsync(bool verbose, TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        string root = LocalNode.NewRootDirectory();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        CancellationToken ct = timeout.Token;
        void Step(string text) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F2}s] {text}");

        try
        {
            await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(ct);
            Step($"In-memory Kubernetes API server on {api.BaseAddress}");
            var options = new LocalNodeOptions
            {
                ApiServer = api,
                DriverName = ExampleDriverOptions.DriverName,
                NodeName = NodeName,
                RootDirectory = root,
                ConfigureHost = builder =>
                {
                    builder.Logging.ClearProviders();
                    if (verbose)
                    {
                        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Debug);
                    }

                    builder.AddExampleDriver();
                },
            };
            options.Configuration["NUM_DEVICES"] = "4";

            KubeletPluginConnection plugin;
            bool served;
            await using (LocalNode node = await LocalNode.StartAsync(options, ct))
            {
                plugin = node.Plugin;
                Step($"Created Node {NodeName} and DeviceClass {node.DriverName}; driver started (sockets under {root})");
                Step($"Fake kubelet registered the driver via {Path.GetFileName(plugin.RegistrationSocketPath)}: endpoint {plugin.Endpoint}, versions [{string.Join(", ", plugin.SupportedVersions)}], using DRA {plugin.DraVersion}");

                V1ResourceSlice slice = await node.WaitForResourceSliceAsync(ct);
                Step($"ResourceSlice {slice.Metadata.Name} published: pool {slice.Spec.Pool.Name} (generation {slice.Spec.Pool.Generation}), {slice.Spec.Devices.Count} devices");
                foreach (V1Device device in slice.Spec.Devices)
                {
                    output.WriteLine($"           {device.Name}: uuid={device.Attributes["uuid"].StringValue} model={device.Attributes["model"].StringValue} driverVersion={device.Attributes["driverVersion"].Version} memory={device.Capacity["memory"].Value}");
                }

                Resourcev1ResourceClaim claim = await node.CreateAndAllocateClaimAsync("single-gpu", configJson: """
                    {"apiVersion":"gpu.example.com/v1alpha1","kind":"GpuConfig","sharing":{"strategy":"TimeSlicing","timeSlicingConfig":{"interval":"Long"}}}
                    """, cancellationToken: ct);
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
                string specPath = Directory.EnumerateFiles(node.CdiRoot, "k8s.gpu.example.com-gpu_*.json").Single();
                Step($"CDI spec {specPath}:");
                output.WriteLine(File.ReadAllText(specPath).TrimEnd());

                // KEP-5304: the request's device metadata file, and the CDI spec that mounts it into the container.
                string? metadataSpecPath = Directory.EnumerateFiles(node.CdiRoot, $"{ExampleDriverOptions.DriverName}_metadata_*.json").SingleOrDefault();
                string? metadataPath = null;
                if (metadataSpecPath is not null)
                {
                    Step($"Device metadata CDI spec {metadataSpecPath}:");
                    output.WriteLine(File.ReadAllText(metadataSpecPath).TrimEnd());
                    metadataPath = Directory.EnumerateFiles(Path.Combine(node.PluginsDirectoryPath, node.DriverName, "dra-device-metadata"), "metadata.json", SearchOption.AllDirectories).Single();
                    Step($"Device metadata file {metadataPath} (in the container: {DeviceMetadataReader.GetResourceClaimPath(ExampleDriverOptions.DriverName, claim.Metadata.Name, allocated.Request)}):");
                    output.WriteLine(File.ReadAllText(metadataPath).TrimEnd());
                }

                // What a CDI-aware runtime resolves for these ids: the same registry logic podman and containerd apply.
                var registry = new CdiRegistry([node.CdiRoot]);
                string[] ids = [.. result.Devices.SelectMany(d => d.CdiDeviceIds)];
                ContainerEdits edits = registry.GetContainerEdits(ids);
                Step($"A container started with --device {string.Join(" --device ", ids)} gets {edits.Env?.Count ?? 0} env vars: {string.Join(" ", edits.Env ?? [])}");

                V1.NodePrepareResourcesResponse again = await plugin.PrepareAsync([claim], ct);
                bool same = again.Claims[claim.Metadata.Uid].Equals(result);
                Step($"NodePrepareResources again (idempotent): same answer = {same}");

                V1.NodeUnprepareResourcesResponse unprepared = await plugin.UnprepareAsync([claim], ct);
                string unprepareError = unprepared.Claims[claim.Metadata.Uid].Error;
                bool metadataGone = metadataPath is null || (!File.Exists(metadataPath) && !File.Exists(metadataSpecPath));
                Step($"NodeUnprepareResources: {(unprepareError.Length == 0 ? "ok" : unprepareError)}; CDI spec removed = {!File.Exists(specPath)}; device metadata removed = {metadataGone}");
                served = unprepareError.Length == 0 && !File.Exists(specPath) && same && metadataGone;
            }

            bool socketsGone = !File.Exists(plugin.Endpoint) && !File.Exists(plugin.RegistrationSocketPath);
            Step($"Driver stopped; sockets removed = {socketsGone}");
            bool ok = served && socketsGone;
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
}
