using DraSdk.KubeletPlugin;
using DraSdk.ResourceSlices;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NvidiaGpuDriver.Discovery;
using NvidiaGpuDriver.Nvml;

namespace NvidiaGpuDriver.Health;

/// <summary>
/// Publishes the node's devices as its ResourceSlice at start and again after every change (taints, a GPU gone), and
/// keeps the kubelet's health stream in line: NVML's events (XID errors, GPU lost) become taints and Unhealthy.
/// </summary>
internal sealed partial class DevicePublisher(
    DeviceInventory inventory,
    IResourceSlicePublisher publisher,
    DeviceHealthTracker health,
    ILogger<DevicePublisher> logger,
    IClaimDeviceStatus? claimStatus = null) : BackgroundService
{
    private readonly Lock _gate = new();
    private HashSet<string> _reported = [];

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        inventory.Changed += Publish;
        Publish();
        return base.StartAsync(cancellationToken);
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        inventory.Changed -= Publish;
        return base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string[] uuids = [.. inventory.Discovery.Devices.Select(d => d.GpuUuid).Distinct()];
        if (uuids.Length == 0)
        {
            return;
        }

        try
        {
            await foreach (GpuEvent gpuEvent in inventory.Source.WatchAsync(uuids, stoppingToken).ConfigureAwait(false))
            {
                inventory.Apply(gpuEvent);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (NvmlException ex)
        {
            LogNotMonitored(logger, ex.Message);
        }
    }

    /// <summary>Republishes the slice (non-blocking: the publisher converges in the background) and the health of every device.</summary>
    private void Publish()
    {
        lock (_gate)
        {
            publisher.Update(DriverResources.ForNode(publisher.NodeName, inventory.ToV1Devices()));
            var now = new HashSet<string>(StringComparer.Ordinal);
            var updates = new List<DeviceHealth>();
            foreach (AllocatableDevice device in inventory.Devices)
            {
                now.Add(device.Name);
                var taints = inventory.TaintsOf(device.Name);
                updates.Add(new DeviceHealth(publisher.NodeName, device.Name, taints.Count == 0 ? DeviceHealthStatus.Healthy : DeviceHealthStatus.Unhealthy)
                {
                    Message = taints.Count == 0 ? null : string.Join("; ", taints.Select(t => $"{t.Key}={t.Value}:{t.Effect}")),
                });
            }

            health.Report(updates);
            foreach (string gone in _reported.Where(d => !now.Contains(d)))
            {
                health.Remove(publisher.NodeName, gone);
                claimStatus?.ReportCondition(publisher.NodeName, gone, new V1Condition { Type = "Ready", Status = "False", Reason = "DeviceGone", Message = "the GPU is no longer visible to the driver" });
            }

            // The claims that hold a device say so too (their status.devices Ready condition); unchanged ones are not written.
            foreach (DeviceHealth update in updates)
            {
                bool healthy = update.Status == DeviceHealthStatus.Healthy;
                claimStatus?.ReportCondition(publisher.NodeName, update.DeviceName, new V1Condition
                {
                    Type = "Ready",
                    Status = healthy ? "True" : "False",
                    Reason = healthy ? "Prepared" : "Tainted",
                    Message = healthy ? $"{update.DeviceName} is prepared" : update.Message,
                });
            }

            _reported = now;
            LogPublished(logger, updates.Count, updates.Count(u => u.Status == DeviceHealthStatus.Unhealthy));
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Publishing {Count} device(s), {Unhealthy} tainted")]
    private static partial void LogPublished(ILogger logger, int count, int unhealthy);

    [LoggerMessage(2, LogLevel.Warning, "Device health is not monitored: {Reason}")]
    private static partial void LogNotMonitored(ILogger logger, string reason);
}
