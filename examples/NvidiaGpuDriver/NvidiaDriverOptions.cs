using System.Globalization;
using DraSdk.KubeletPlugin;
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

    public static readonly DriverSetting<string?> DeviceSourceSetting = DriverSetting.Text("DEVICE_SOURCE", NvmlSource,
        "Where the GPUs come from: nvml (this node's NVIDIA driver) or replay:<path of an nvml.json snapshot>.",
        v => v == NvmlSource || (v.StartsWith(ReplayPrefix, StringComparison.Ordinal) && v.Length > ReplayPrefix.Length) ? null : "must be 'nvml' or 'replay:<path to an nvml.json snapshot>'");

    public static readonly DriverSetting<string?> DriverRootSetting = DriverSetting.Path("NVIDIA_DRIVER_ROOT", "/",
        "Where the NVIDIA driver's files live on the host (/run/nvidia/driver with the GPU Operator); CDI host paths start here.");

    public static readonly DriverSetting<string?> ContainerDriverRootSetting = DriverSetting.Path("CONTAINER_DRIVER_ROOT", null,
        "Where this process sees NVIDIA_DRIVER_ROOT (the chart mounts it at /driver-root); unset: NVIDIA_DRIVER_ROOT.");

    public static readonly DriverSetting<string?> DevRootSetting = DriverSetting.Path("DEV_ROOT", "/", "Where this process sees the host's /dev as <DEV_ROOT>/dev.");

    public static readonly DriverSetting<string?> SysfsRootSetting = DriverSetting.Path("SYSFS_ROOT", "/sys", "Where this process sees the host's /sys.");

    public static readonly DriverSetting<string?> ProcRootSetting = DriverSetting.Path("PROC_ROOT", "/proc", "Where this process sees the host's /proc.");

    public static readonly DriverSetting<string?> MpsRootSetting = DriverSetting.Path("MPS_ROOT", null,
        "Where per-claim MPS pipe and log directories go (the same path on the host); unset: <plugin data directory>/mps.");

    public static readonly DriverSetting<IReadOnlyList<long>> AdditionalXidsSetting = DriverSetting.Create<IReadOnlyList<long>>("ADDITIONAL_XIDS_TO_IGNORE", [], "none",
        "XIDs (comma-separated) that never taint a GPU, besides 13, 31, 43, 45, 68 and 109.", ParseXids);

    public static readonly DriverSetting<bool> DeviceMetadataSetting = DriverSetting.Flag("DEVICE_METADATA", true,
        "Whether containers get the device metadata file of each request (KEP-5304: uuid, productName, driverVersion, PCI bus id...) at /var/run/kubernetes.io/dra-device-attributes/.");

    /// <summary>Every environment variable of the driver's own, for the usage text and for binding.</summary>
    public static readonly DriverSetting[] Settings =
        [DeviceSourceSetting, DriverRootSetting, ContainerDriverRootSetting, DevRootSetting, SysfsRootSetting, ProcRootSetting, MpsRootSetting, AdditionalXidsSetting, DeviceMetadataSetting];

    /// <summary>The node (<c>NODE_NAME</c>); empty when unset (the kubelet plugin then refuses to start).</summary>
    public string NodeName { get; set; } = string.Empty;

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

    /// <summary>Whether each prepared request gets its device metadata file (<c>DEVICE_METADATA</c>, on by default).</summary>
    public bool DeviceMetadata { get; set; } = true;

    public string EffectiveContainerDriverRoot => ContainerDriverRoot ?? DriverRoot;

    public bool IsReplay => DeviceSource.StartsWith(ReplayPrefix, StringComparison.Ordinal);

    public string? ReplayPath => IsReplay ? DeviceSource[ReplayPrefix.Length..] : null;

    /// <summary>Reads the settings from configuration (environment variables); a bad value is a <see cref="DriverConfigurationException"/> naming it.</summary>
    public void Bind(IConfiguration config)
    {
        NodeName = DraDriverSettings.NodeName.Read(config) ?? NodeName;
        DeviceSource = DeviceSourceSetting.Read(config)!;
        DriverRoot = DriverRootSetting.Read(config)!;
        ContainerDriverRoot = ContainerDriverRootSetting.Read(config);
        DevRoot = DevRootSetting.Read(config)!;
        SysfsRoot = SysfsRootSetting.Read(config)!;
        ProcRoot = ProcRootSetting.Read(config)!;
        MpsRoot = MpsRootSetting.Read(config);
        AdditionalXidsToIgnore = AdditionalXidsSetting.Read(config);
        DeviceMetadata = DeviceMetadataSetting.Read(config);
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

    private static IReadOnlyList<long> ParseXids(string xids)
    {
        var list = new List<long>();
        foreach (string part in xids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            list.Add(long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long xid)
                ? xid
                : throw new FormatException("must be a comma-separated list of XID numbers"));
        }

        return list;
    }

    public bool IsIgnoredXid(long xid) => DefaultIgnoredXids.Contains(xid) || AdditionalXidsToIgnore.Contains(xid);
}
