using System.Diagnostics;
using DraSdk.Cdi;
using DraSdk.Testing;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace Acme.DeviceDriver.Local;

/// <summary>
/// <c>dotnet run -- demo</c>: the driver end to end on this machine, no cluster needed (DraSdk.Testing's
/// <see cref="LocalNode"/>: a fake kubelet and an in-memory API server). The kubelet registers the driver, its
/// ResourceSlice is published, a claim with an opaque configuration is allocated by DraSdk's copy of the scheduler's
/// allocator, prepared (the CDI spec is shown) and unprepared.
/// </summary>
internal static class LocalDemo
{
    public static async Task<int> RunAsync(bool verbose, TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        void Step(string text) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F2}s] {text}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        CancellationToken ct = timeout.Token;
        string root = LocalNode.NewRootDirectory();
        try
        {
            await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(ct);
            Step($"In-memory Kubernetes API server on {api.BaseAddress}");
            LogLevel level = verbose ? LogLevel.Debug : LogLevel.Warning;
            await using LocalNode node = await LocalNode.StartAsync(new LocalNodeOptions
            {
                ApiServer = api,
                DriverName = DriverInfo.DriverName,
                RootDirectory = root,
                ConfigureHost = builder =>
                {
                    builder.AddDeviceDriver();
                    builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(level);
                },
            }, ct);
            Step($"Driver {DriverInfo.DriverName} registered by the fake kubelet: endpoint {node.Plugin.Endpoint}, DRA {node.Plugin.DraVersion}");

            V1ResourceSlice slice = await node.WaitForResourceSliceAsync(ct);
            Step($"ResourceSlice {slice.Metadata.Name}: pool {slice.Spec.Pool.Name}, {slice.Spec.Devices.Count} devices");
            foreach (V1Device device in slice.Spec.Devices)
            {
                output.WriteLine($"         {device.Name}: {string.Join(", ", device.Attributes.Select(a => $"{a.Key}={a.Value.IntValue?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? a.Value.StringValue}"))}");
            }

            // The last device, chosen by attribute as a user's claim would choose it.
            string selector = $"device.attributes['{DriverInfo.DriverName}'].index == {slice.Spec.Devices.Count - 1}";
            Resourcev1ResourceClaim claim = await node.CreateAndAllocateClaimAsync(
                "demo", selector, $$"""{"apiVersion":"{{Config.DeviceConfig.ApiVersionValue}}","kind":"DeviceConfig","profile":"Performance"}""", ct);
            V1DeviceRequestAllocationResult allocated = claim.Status.Allocation.Devices.Results[0];
            Step($"ResourceClaim default/demo ({selector}) allocated {allocated.Pool}/{allocated.Device}");

            V1.NodePrepareResourceResponse prepared = (await node.Plugin.PrepareAsync([claim], ct)).Claims[claim.Metadata.Uid];
            if (prepared.Error.Length > 0)
            {
                Step($"FAILED: NodePrepareResources: {prepared.Error}");
                return 1;
            }

            string[] ids = [.. prepared.Devices.SelectMany(d => d.CdiDeviceIds)];
            Step($"NodePrepareResources: CDI devices {string.Join(", ", ids)}");
            string spec = Directory.GetFiles(node.CdiRoot).Single();
            Step($"CDI spec {spec}:");
            output.WriteLine(await File.ReadAllTextAsync(spec, ct));
            ContainerEdits edits = new CdiRegistry([node.CdiRoot]).GetContainerEdits(ids);
            Step($"A container given these devices gets: {string.Join(" ", edits.Env ?? [])}");

            string error = (await node.Plugin.UnprepareAsync([claim], ct)).Claims[claim.Metadata.Uid].Error;
            bool ok = error.Length == 0 && !File.Exists(spec);
            Step(ok ? "NodeUnprepareResources: CDI spec removed. Demo OK" : $"FAILED: NodeUnprepareResources: {error}");
            return ok ? 0 : 1;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Step("FAILED: the demo did not finish within 60 seconds");
            return 1;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
