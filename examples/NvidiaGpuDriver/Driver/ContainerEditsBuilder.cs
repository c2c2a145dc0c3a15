using System.Globalization;
using DraSdk.Cdi;
using Microsoft.Extensions.Options;
using NvidiaGpuDriver.Discovery;

namespace NvidiaGpuDriver.Driver;

/// <summary>
/// What a container using NVIDIA devices needs, limited to what exists on this node: the device nodes, the driver's
/// user-space libraries and binaries under the driver root, and <c>NVIDIA_VISIBLE_DEVICES</c>. On a node without GPUs
/// (replay mode on kind) that is the environment only, so the pods still start.
/// </summary>
internal sealed class ContainerEditsBuilder(IOptions<NvidiaDriverOptions> options)
{
    /// <summary>Control nodes every GPU container needs.</summary>
    public static readonly string[] ControlDeviceNodes = ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"];

    /// <summary>Libraries by soname (mounted at that name) and by driver-versioned name.</summary>
    public static readonly string[] LibrarySonames =
    [
        "libnvidia-ml.so.1", "libcuda.so.1", "libcudadebugger.so.1", "libnvidia-ptxjitcompiler.so.1", "libnvidia-nvvm.so.4",
        "libnvidia-opencl.so.1", "libnvidia-cfg.so.1", "libnvidia-allocator.so.1", "libnvidia-encode.so.1", "libnvcuvid.so.1",
        "libnvidia-opticalflow.so.1",
    ];

    public static readonly string[] VersionedLibraries = ["libnvidia-gpucomp.so", "libnvidia-pkcs11-openssl3.so", "libnvidia-tls.so"];

    public static readonly string[] Binaries = ["nvidia-smi", "nvidia-debugdump", "nvidia-persistenced", "nvidia-cuda-mps-control", "nvidia-cuda-mps-server"];

    public static readonly string[] BinaryDirectories = ["usr/bin", "usr/local/nvidia/bin", "bin"];

    private static readonly string[] MountOptions = ["ro", "nosuid", "nodev", "rbind", "rprivate"];

    private readonly Lock _gate = new();
    private IReadOnlyList<Mount>? _driverMounts;

    /// <summary>The device's own nodes (<c>/dev/nvidia&lt;minor&gt;</c>, MIG capability nodes) and an env naming it.</summary>
    public ContainerEdits ForDevice(AllocatableDevice device, IReadOnlyList<string>? extraEnv = null)
    {
        var nodes = new List<DeviceNode>();
        AddIfPresent(nodes, string.Create(CultureInfo.InvariantCulture, $"/dev/nvidia{device.GpuMinor}"));
        foreach (string cap in device.CapabilityDevices)
        {
            AddIfPresent(nodes, cap);
        }

        var env = new List<string> { $"NVIDIA_DRA_DEVICE_{EnvName(device.Name)}={device.Uuid}" };
        env.AddRange(extraEnv ?? []);
        return new ContainerEdits { Env = env, DeviceNodes = nodes.Count > 0 ? nodes : null };
    }

    /// <summary>What every container of the claim gets: control nodes, the driver's files, the visible devices.</summary>
    public ContainerEdits ForClaim(string claimUid, IEnumerable<AllocatableDevice> devices, IReadOnlyList<string> extraEnv, IReadOnlyList<Mount> extraMounts)
    {
        var nodes = new List<DeviceNode>();
        foreach (string node in ControlDeviceNodes)
        {
            AddIfPresent(nodes, node);
        }

        var env = new List<string>
        {
            $"NVIDIA_VISIBLE_DEVICES={string.Join(',', devices.Select(d => d.Uuid).Distinct())}",
            $"DRA_RESOURCE_DRIVER_NAME={NvidiaDriverOptions.DriverName}",
            $"DRA_RESOURCE_CLAIM_UID={claimUid}",
        };
        env.AddRange(extraEnv);
        List<Mount> mounts = [.. DriverMounts, .. extraMounts];
        return new ContainerEdits { Env = env, DeviceNodes = nodes.Count > 0 ? nodes : null, Mounts = mounts.Count > 0 ? mounts : null };
    }

    /// <summary>The driver's libraries and binaries found under the driver root (looked up once).</summary>
    public IReadOnlyList<Mount> DriverMounts
    {
        get
        {
            lock (_gate)
            {
                return _driverMounts ??= FindDriverMounts();
            }
        }
    }

    private List<Mount> FindDriverMounts()
    {
        NvidiaDriverOptions o = options.Value;
        string root = o.EffectiveContainerDriverRoot;
        var mounts = new List<Mount>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string directory in Nvml.NvmlLibrary.LibraryDirectories)
        {
            string dir = Path.Combine(root, directory);
            if (!Directory.Exists(dir))
            {
                continue;
            }

            foreach (string soname in LibrarySonames)
            {
                AddFile(mounts, seen, root, directory, soname, soname);
            }

            foreach (string prefix in VersionedLibraries)
            {
                IEnumerable<string> files;
                try
                {
                    files = Directory.EnumerateFiles(dir, prefix + ".*");
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    continue;
                }

                foreach (string file in files.Order(StringComparer.Ordinal))
                {
                    string name = Path.GetFileName(file);
                    AddFile(mounts, seen, root, directory, name, name);
                }
            }
        }

        foreach (string directory in BinaryDirectories)
        {
            foreach (string binary in Binaries)
            {
                AddFile(mounts, seen, root, directory, binary, binary);
            }
        }

        return mounts;
    }

    /// <summary>
    /// Mounts <c>&lt;dir&gt;/&lt;name&gt;</c> (its final target, for a symlinked soname) at the same path in the container,
    /// once per name.
    /// </summary>
    private void AddFile(List<Mount> mounts, HashSet<string> seen, string root, string directory, string name, string key)
    {
        if (seen.Contains(key))
        {
            return;
        }

        string path = Path.Combine(root, directory, name);
        if (!File.Exists(path))
        {
            return;
        }

        string real = path;
        try
        {
            if (new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                real = target.FullName;
            }
        }
        catch (IOException)
        {
        }

        string relativeReal = Path.GetRelativePath(root, real);
        if (relativeReal.StartsWith("..", StringComparison.Ordinal))
        {
            relativeReal = Path.Combine(directory, name); // a link out of the driver root: mount the link's own path
        }

        seen.Add(key);
        mounts.Add(new Mount
        {
            HostPath = HostPath(relativeReal),
            ContainerPath = "/" + Path.Combine(directory, name),
            Options = MountOptions,
        });
    }

    private string HostPath(string relative) => Path.Combine(options.Value.DriverRoot, relative);

    private void AddIfPresent(List<DeviceNode> nodes, string hostDevicePath)
    {
        string seenHere = Path.Combine(options.Value.DevRoot, hostDevicePath.TrimStart('/'));
        if (Path.Exists(seenHere))
        {
            nodes.Add(new DeviceNode { Path = hostDevicePath });
        }
    }

    /// <summary><c>gpu-0-mig-1g10gb-19-2</c> → <c>GPU_0_MIG_1G10GB_19_2</c>.</summary>
    public static string EnvName(string deviceName) =>
        new([.. deviceName.ToUpperInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
}
