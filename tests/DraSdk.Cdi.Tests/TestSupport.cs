using System.Reflection;
using System.Text;

namespace DraSdk.Cdi.Tests;

/// <summary>A temporary directory removed after the test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "drasdk-cdi-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string[] FileNames() =>
        Directory.GetFileSystemEntries(Path).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// Compares output against files under Golden/. Set DRASDK_UPDATE_GOLDEN=1 to (re)write them from the actual output.
/// </summary>
internal static class Golden
{
    public static void AssertMatches(string fileName, byte[] actual)
    {
        string actualText = Encoding.UTF8.GetString(actual);
        string sourceDirectory = typeof(Golden).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "GoldenDirectory").Value!;
        if (Environment.GetEnvironmentVariable("DRASDK_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(sourceDirectory);
            File.WriteAllText(Path.Combine(sourceDirectory, fileName), actualText);
            return;
        }

        string path = Path.Combine(sourceDirectory, fileName);
        if (!File.Exists(path))
        {
            path = Path.Combine(AppContext.BaseDirectory, "Golden", fileName);
        }

        Assert.True(File.Exists(path), $"Golden file {fileName} is missing; run the tests with DRASDK_UPDATE_GOLDEN=1 to create it.");
        string expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (expected != actualText)
        {
            Assert.Fail($"Output differs from golden file {path} (DRASDK_UPDATE_GOLDEN=1 updates it).\n" +
                $"--- expected\n{expected}\n--- actual\n{actualText}");
        }
    }
}

/// <summary>Specs used by several tests.</summary>
internal static class Specs
{
    public const string GpuKind = "k8s.gpu.example.com/gpu";

    /// <summary>A spec needing nothing newer than 0.3.0.</summary>
    public static CdiSpec Minimal(string kind = "vendor.com/device") => new()
    {
        Kind = kind,
        Devices = [Device("dev0")],
    };

    public static CdiDevice Device(string name, ContainerEdits? edits = null) => new()
    {
        Name = name,
        ContainerEdits = edits ?? new ContainerEdits { Env = [$"DEVICE={name}"] },
    };

    /// <summary>A typical GPU spec: device nodes with host paths, driver libraries bind-mounted, an ldcache hook.</summary>
    public static CdiSpec Gpu() => new()
    {
        Kind = GpuKind,
        Devices =
        [
            new CdiDevice
            {
                Name = "gpu-0",
                ContainerEdits = new ContainerEdits
                {
                    Env = ["NVIDIA_VISIBLE_DEVICES=GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c"],
                    DeviceNodes =
                    [
                        new DeviceNode
                        {
                            Path = "/dev/nvidia0", HostPath = "/dev/nvidia0", Type = "c", Major = 195, Minor = 0,
                            FileMode = Convert.ToUInt32("666", 8), Permissions = "rw", Uid = 0, Gid = 0,
                        },
                        new DeviceNode { Path = "/dev/dri/card1", HostPath = "/dev/dri/card1" },
                    ],
                },
            },
            new CdiDevice
            {
                Name = "gpu-1",
                ContainerEdits = new ContainerEdits
                {
                    Env = ["NVIDIA_VISIBLE_DEVICES=GPU-93c7a1e8-2f2b-4a0c-8d36-0b8a3c0f1b55"],
                    DeviceNodes = [new DeviceNode { Path = "/dev/nvidia1", HostPath = "/dev/nvidia1" }],
                },
            },
        ],
        ContainerEdits = new ContainerEdits
        {
            Env = ["NVIDIA_DRIVER_CAPABILITIES=compute,utility"],
            DeviceNodes =
            [
                new DeviceNode { Path = "/dev/nvidiactl", HostPath = "/dev/nvidiactl" },
                new DeviceNode { Path = "/dev/nvidia-uvm", HostPath = "/dev/nvidia-uvm" },
            ],
            Mounts =
            [
                new Mount
                {
                    HostPath = "/usr/lib/x86_64-linux-gnu/libcuda.so.570.86.15",
                    ContainerPath = "/usr/lib/x86_64-linux-gnu/libcuda.so.570.86.15",
                    Options = ["ro", "nosuid", "nodev", "rbind", "rprivate"],
                },
                new Mount
                {
                    HostPath = "/usr/bin/nvidia-smi",
                    ContainerPath = "/usr/bin/nvidia-smi",
                    Options = ["ro", "nosuid", "nodev", "rbind", "rprivate"],
                },
            ],
            Hooks =
            [
                new Hook
                {
                    HookName = CdiHookNames.CreateContainer,
                    Path = "/usr/bin/nvidia-cdi-hook",
                    Args = ["nvidia-cdi-hook", "update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu"],
                    Env = ["NVIDIA_CTK_DEBUG=false"],
                    Timeout = 10,
                },
            ],
        },
    };

    /// <summary>A spec that sets every field of the 1.1.0 model.</summary>
    public static CdiSpec EveryField() => new()
    {
        Kind = "example.com/net.fabric",
        Annotations = new Dictionary<string, string> { ["example.com/zeta"] = "z", ["example.com/alpha"] = "a" },
        Devices =
        [
            new CdiDevice
            {
                Name = "0",
                Annotations = new Dictionary<string, string> { ["owner"] = "test" },
                ContainerEdits = new ContainerEdits
                {
                    Env = ["A=1"],
                    DeviceNodes =
                    [
                        new DeviceNode
                        {
                            Path = "/dev/fabric0", HostPath = "/dev/host-fabric0", Type = "b", Major = 8, Minor = 1,
                            FileMode = 416, Permissions = "rwm", Uid = 1000, Gid = 1000,
                        },
                    ],
                    Hooks = [new Hook { HookName = CdiHookNames.StartContainer, Path = "/bin/true", Args = ["true"], Env = ["B=2"], Timeout = 5 }],
                    Mounts = [new Mount { HostPath = "tmpfs", ContainerPath = "/scratch", Options = ["size=64m"], Type = "tmpfs" }],
                    IntelRdt = new IntelRdt
                    {
                        ClosId = "clos1", L3CacheSchema = "L3:0=f", MemBwSchema = "MB:0=50",
                        Schemata = ["L3:0=f;1=f"], EnableMonitoring = true,
                    },
                    AdditionalGids = [44, 109],
                    NetDevices = [new LinuxNetDevice { HostInterfaceName = "ens1f0", Name = "net1" }],
                },
            },
        ],
        ContainerEdits = new ContainerEdits { Env = ["SHARED=1"] },
    };
}
