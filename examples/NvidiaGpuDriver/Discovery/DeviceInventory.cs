using System.Globalization;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NvidiaGpuDriver.Health;
using NvidiaGpuDriver.Nvml;

namespace NvidiaGpuDriver.Discovery;

/// <summary>
/// The node's devices as the driver knows them now: discovered once at start, then changed by health events (taints,
/// a GPU that disappears). Taints are saved in <see cref="TaintState"/> and restored at start within the same boot.
/// Thread-safe; <see cref="Changed"/> fires after every change so the slice is republished.
/// </summary>
internal sealed partial class DeviceInventory(IGpuDeviceSource source, IOptions<NvidiaDriverOptions> options, TaintState taintState, TimeProvider time, ILogger<DeviceInventory> logger)
{
    public const string XidTaintKey = "gpu.nvidia.com/xid";
    public const string GpuLostTaintKey = "gpu.nvidia.com/gpu-lost";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<V1DeviceTaint>> _taints = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removedGpus = new(StringComparer.Ordinal);
    private DiscoveryResult? _discovery;

    /// <summary>Fires (outside the lock) after the devices or their taints changed.</summary>
    public event Action? Changed;

    public IGpuDeviceSource Source => source;

    public DiscoveryResult Discovery
    {
        get
        {
            lock (_gate)
            {
                if (_discovery is null)
                {
                    _discovery = Discover();
                    HashSet<string> names = [.. _discovery.Devices.Select(d => d.Name)];
                    foreach ((string device, List<V1DeviceTaint> taints) in taintState.Load().Where(t => names.Contains(t.Key)))
                    {
                        _taints[device] = taints;
                    }
                }

                return _discovery;
            }
        }
    }

    /// <summary>The devices published now (a disappeared GPU and its MIG devices are not).</summary>
    public IReadOnlyList<AllocatableDevice> Devices
    {
        get
        {
            DiscoveryResult discovery = Discovery;
            lock (_gate)
            {
                return [.. discovery.Devices.Where(d => !_removedGpus.Contains(d.GpuUuid))];
            }
        }
    }

    public AllocatableDevice? Find(string name) => Devices.FirstOrDefault(d => d.Name == name);

    public IReadOnlyList<V1DeviceTaint> TaintsOf(string deviceName)
    {
        lock (_gate)
        {
            return _taints.TryGetValue(deviceName, out List<V1DeviceTaint>? t) ? [.. t] : [];
        }
    }

    /// <summary>The devices with their taints, as the ResourceSlice publishes them.</summary>
    public IReadOnlyList<V1Device> ToV1Devices() => [.. Devices.Select(d => d.ToV1Device(TaintsOf(d.Name)))];

    /// <summary>Applies a health event; returns whether anything changed.</summary>
    public bool Apply(GpuEvent gpuEvent)
    {
        IReadOnlyList<AllocatableDevice> all = Discovery.Devices;
        AllocatableDevice[] affected = [.. all.Where(d => d.GpuUuid == gpuEvent.Uuid || d.Uuid == gpuEvent.Uuid)];
        if (affected.Length == 0)
        {
            LogUnknownGpu(logger, gpuEvent.Uuid, gpuEvent.Kind.ToString());
            return false;
        }

        bool changed = false;
        lock (_gate)
        {
            switch (gpuEvent.Kind)
            {
                case GpuEventKind.Xid when gpuEvent.Xid is { } xid && options.Value.IsIgnoredXid(xid):
                    LogIgnoredXid(logger, gpuEvent.Uuid, xid);
                    break;
                case GpuEventKind.Xid:
                    string value = (gpuEvent.Xid ?? 0).ToString(CultureInfo.InvariantCulture);
                    changed = AddTaint(affected, XidTaintKey, value);
                    LogTainted(logger, gpuEvent.Uuid, XidTaintKey, value, gpuEvent.Detail ?? string.Empty);
                    break;
                case GpuEventKind.GpuLost:
                    changed = AddTaint(affected, GpuLostTaintKey, null);
                    LogTainted(logger, gpuEvent.Uuid, GpuLostTaintKey, string.Empty, gpuEvent.Detail ?? string.Empty);
                    break;
                case GpuEventKind.Removed:
                    changed = _removedGpus.Add(affected[0].GpuUuid);
                    LogRemoved(logger, gpuEvent.Uuid);
                    break;
                case GpuEventKind.Recovered:
                    changed = _removedGpus.Remove(affected[0].GpuUuid);
                    foreach (AllocatableDevice d in affected)
                    {
                        changed |= _taints.Remove(d.Name);
                    }

                    break;
            }

            if (changed && gpuEvent.Kind is not GpuEventKind.Removed)
            {
                SaveTaints();
            }
        }

        if (changed)
        {
            Changed?.Invoke();
        }

        return changed;
    }

    /// <summary>Saves the taints; a failure is logged and the driver goes on (the taints stay published until a restart).</summary>
    private void SaveTaints()
    {
        try
        {
            taintState.Save(_taints);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogTaintsNotSaved(logger, ex.Message);
        }
    }

    private bool AddTaint(IEnumerable<AllocatableDevice> devices, string key, string? value)
    {
        bool changed = false;
        foreach (AllocatableDevice d in devices)
        {
            if (!_taints.TryGetValue(d.Name, out List<V1DeviceTaint>? list))
            {
                _taints[d.Name] = list = [];
            }

            if (list.Any(t => t.Key == key && t.Value == value))
            {
                continue;
            }

            list.RemoveAll(t => t.Key == key); // one taint per key: the latest XID
            list.Add(new V1DeviceTaint { Key = key, Value = value, Effect = "NoSchedule", TimeAdded = time.GetUtcNow().UtcDateTime });
            changed = true;
        }

        return changed;
    }

    private DiscoveryResult Discover()
    {
        NvmlSnapshot snapshot = source.Read();
        DiscoveryResult result = DeviceDiscovery.Discover(snapshot, options.Value.SysfsRoot);
        foreach (string problem in result.Problems)
        {
            LogProblem(logger, problem);
        }

        LogDiscovered(logger, result.Devices.Count, source.Description, snapshot.Devices.Count);
        return result;
    }

    [LoggerMessage(1, LogLevel.Information, "Discovered {Count} device(s) from {Source} ({GpuCount} GPU(s))")]
    private static partial void LogDiscovered(ILogger logger, int count, string source, int gpuCount);

    [LoggerMessage(2, LogLevel.Warning, "Discovery: {Problem}")]
    private static partial void LogProblem(ILogger logger, string problem);

    [LoggerMessage(3, LogLevel.Warning, "GPU {Uuid}: taint {Key}={Value} ({Detail})")]
    private static partial void LogTainted(ILogger logger, string uuid, string key, string value, string detail);

    [LoggerMessage(4, LogLevel.Information, "GPU {Uuid}: XID {Xid} is an application error; not tainted")]
    private static partial void LogIgnoredXid(ILogger logger, string uuid, long xid);

    [LoggerMessage(5, LogLevel.Warning, "GPU {Uuid} disappeared; it and its MIG devices are no longer published")]
    private static partial void LogRemoved(ILogger logger, string uuid);

    [LoggerMessage(7, LogLevel.Warning, "Device taints could not be saved ({Problem}); a restart of the driver would clear them")]
    private static partial void LogTaintsNotSaved(ILogger logger, string problem);

    [LoggerMessage(6, LogLevel.Debug, "Health event {Kind} for unknown GPU {Uuid} ignored")]
    private static partial void LogUnknownGpu(ILogger logger, string uuid, string kind);
}
