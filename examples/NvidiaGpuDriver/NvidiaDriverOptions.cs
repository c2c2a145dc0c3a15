using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace NvidiaGpuDriver;

/// <summary>
/// The driver's own settings, from the environment like the SDK's (<c>NODE_NAME</c>, <c>KUBECONFIG</c>, the kubelet
/// directories, <c>CDI_ROOT</c>): <c>DEVICE_SOURCE</c>, <c>NVIDIA_DRIVER_ROOT</c>, <c>CONTAINER_DRIVER_ROOT</c>,
/// <c>DEV_ROOT</c>, <c>SYSFS_ROOT</c>, <c>PROC_ROOT</c>, <c>MPS_ROOT</c>, <c>ADDITIONAL_XIDS_TO_IGNORE</c>.
/// </summary>
internal sealed class NvidiaDriverOptions
{
    public const string DriverName = "gpu.nvidia.com";

    /// <summary>The CDI kind of the per-claim specs, as NVIDIA's driver: <c>k8s.gpu.nvidia.com/claim</c>.</summary>
    public const string CdiKind = "k8s.gpu.nvidia.com/claim";

    public const string NvmlSource = "nvml";

    public const string ReplayPrefix = "replay:";

    /// <summary>XIDs that are the application's fault, not the GPU's: never taint (as NVIDIA's driver ignores them).</summary>
    public static readonly IReadOnlyList<long> DefaultIgnoredXids = [13, 31, 43, 45, 68, 109];

    public string NodeName { get; set; } = Environment.MachineName.ToLowerInvariant();

    /// <summary><c>nvml</c> (the default) or <c>replay:&lt;path to an nvml.json snapshot&gt;</c>.</summary>
    public string DeviceSource { get; set; } = NvmlSource;

    /// <summary>Where the NVIDIA driver's files live on the host (<c>/</c>, <c>/run/nvidia/driver</c> with the GPU Operator): CDI host paths start here.</summary>
    public string DriverRoot { get; set; } = "/";

    /// <summary>Where this process sees <see cref="DriverRoot"/> (the chart mounts it at <c>/driver-root</c>); defaults to <see cref="DriverRoot"/>.</summary>
    public string? ContainerDriverRoot { get; set; }

    /// <summary>Where this process sees the host's <c>/dev</c> as <c>&lt;DevRoot&gt;/dev</c>.</summary>
    public string DevRoot { get; set; } = "/";

    public string SysfsRoot { get; set; } = "/sys";

    public string ProcRoot { get; set; } = "/proc";

    /// <summary>Where per-claim MPS pipe and log directories go (same path on the host and here); defaults to <c>&lt;plugin data dir&gt;/mps</c>.</summary>
    public string? MpsRoot { get; set; }

    public IReadOnlyList<long> AdditionalXidsToIgnore { get; set; } = [];

    public string EffectiveContainerDriverRoot => ContainerDriverRoot ?? DriverRoot;

    public bool IsReplay => DeviceSource.StartsWith(ReplayPrefix, StringComparison.Ordinal);

    public string? ReplayPath => IsReplay ? DeviceSource[ReplayPrefix.Length..] : null;

    /// <summary>Reads the settings from configuration (environment variables); a bad value is an exception naming it.</summary>
    public void Bind(IConfiguration config)
    {
        if (config["NODE_NAME"] is { Length: > 0 } node)
        {
            NodeName = node;
        }

        if (config["DEVICE_SOURCE"] is { Length: > 0 } source)
        {
            DeviceSource = source;
        }

        DriverRoot = config["NVIDIA_DRIVER_ROOT"] is { Length: > 0 } root ? root : DriverRoot;
        ContainerDriverRoot = config["CONTAINER_DRIVER_ROOT"] is { Length: > 0 } croot ? croot : ContainerDriverRoot;
        DevRoot = config["DEV_ROOT"] is { Length: > 0 } dev ? dev : DevRoot;
        SysfsRoot = config["SYSFS_ROOT"] is { Length: > 0 } sys ? sys : SysfsRoot;
        ProcRoot = config["PROC_ROOT"] is { Length: > 0 } proc ? proc : ProcRoot;
        MpsRoot = config["MPS_ROOT"] is { Length: > 0 } mps ? mps : MpsRoot;
        if (config["ADDITIONAL_XIDS_TO_IGNORE"] is { Length: > 0 } xids)
        {
            var list = new List<long>();
            foreach (string part in xids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                list.Add(long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long xid)
                    ? xid
                    : throw new InvalidOperationException($"ADDITIONAL_XIDS_TO_IGNORE must be a comma-separated list of XID numbers, not '{xids}'"));
            }

            AdditionalXidsToIgnore = list;
        }

        if (Validate() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }
    }

    /// <summary>The first problem with the settings, or null.</summary>
    public string? Validate()
    {
        if (DeviceSource != NvmlSource && !IsReplay)
        {
            return $"DEVICE_SOURCE must be 'nvml' or 'replay:<path to an nvml.json snapshot>', not '{DeviceSource}'";
        }

        if (IsReplay && ReplayPath!.Length == 0)
        {
            return "DEVICE_SOURCE=replay: needs the path of a snapshot, e.g. replay:/etc/nvidia-gpu-driver/nvml.json";
        }

        foreach ((string name, string? value) in new[] { ("NVIDIA_DRIVER_ROOT", DriverRoot), ("CONTAINER_DRIVER_ROOT", ContainerDriverRoot), ("DEV_ROOT", DevRoot), ("SYSFS_ROOT", SysfsRoot), ("PROC_ROOT", ProcRoot), ("MPS_ROOT", MpsRoot) })
        {
            if (value is not null && !Path.IsPathRooted(value))
            {
                return $"{name} must be an absolute path, not '{value}'";
            }
        }

        return null;
    }

    public bool IsIgnoredXid(long xid) => DefaultIgnoredXids.Contains(xid) || AdditionalXidsToIgnore.Contains(xid);
}
