using DraSdk.Checkpoint;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NvidiaGpuDriver.Driver;
using NvidiaGpuDriver.Nvml;

namespace NvidiaGpuDriver.Tests;

/// <summary>
/// The driver in replay mode on a <see cref="LocalNode"/> (a host in this process, a fake kubelet, an in-memory API
/// server), with a fake node's device nodes and driver installation under the root.
/// </summary>
internal sealed class DriverEnvironment : IAsyncDisposable
{
    private readonly InMemoryKubernetesApiServer? _ownedApi;
    private readonly TempRoot? _ownedRoot;

    private DriverEnvironment(LocalNode node, string root, InMemoryKubernetesApiServer? ownedApi, TempRoot? ownedRoot)
    {
        Node = node;
        Root = root;
        _ownedApi = ownedApi;
        _ownedRoot = ownedRoot;
    }

    /// <summary>The driver's host, the fake kubelet and the API server's client.</summary>
    public LocalNode Node { get; }

    public IHost Host => Node.Host;

    public IKubernetes Client => Node.Client;

    public KubeletPluginConnection Plugin => Node.Plugin;

    public string Root { get; }

    public string CdiRoot => Node.CdiRoot;

    public string MpsRoot => Path.Combine(Node.PluginsDirectoryPath, "gpu.nvidia.com", "mps");

    public ReplayDeviceSource Source => (ReplayDeviceSource)Host.Services.GetRequiredService<IGpuDeviceSource>();

    public RecordingGpuControl Control => (RecordingGpuControl)Host.Services.GetRequiredService<IGpuControl>();

    /// <summary>A node with GPU device nodes, a driver installation (libraries, binaries) and sysfs, all under the root.</summary>
    public static void CreateFakeNode(string root)
    {
        foreach (string node in new[] { "nvidia0", "nvidia1", "nvidia7", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-caps/nvidia-cap120", "nvidia-caps/nvidia-cap121" })
        {
            Write(Path.Combine(root, "host", "dev", node));
        }

        string lib = Path.Combine(root, "driver", "usr", "lib", "x86_64-linux-gnu");
        Write(Path.Combine(lib, "libcuda.so.580.159.04"));
        File.CreateSymbolicLink(Path.Combine(lib, "libcuda.so.1"), "libcuda.so.580.159.04");
        Write(Path.Combine(lib, "libnvidia-ml.so.580.159.04"));
        File.CreateSymbolicLink(Path.Combine(lib, "libnvidia-ml.so.1"), "libnvidia-ml.so.580.159.04");
        Write(Path.Combine(lib, "libnvidia-gpucomp.so.580.159.04"));
        Write(Path.Combine(root, "driver", "usr", "bin", "nvidia-smi"));
        Write(Path.Combine(root, "driver", "usr", "bin", "nvidia-cuda-mps-control"));
    }

    public static async Task<DriverEnvironment> StartAsync(string snapshot, TempRoot? root = null, InMemoryKubernetesApiServer? api = null, string? bootIdPath = null, bool fakeNode = true, Dictionary<string, string?>? settings = null)
    {
        TempRoot? ownedRoot = root is null ? new TempRoot() : null;
        root ??= ownedRoot!;
        InMemoryKubernetesApiServer? ownedApi = api is null ? await InMemoryKubernetesApiServer.StartAsync() : null;
        if (fakeNode && !Directory.Exists(Path.Combine(root.Path, "host")))
        {
            CreateFakeNode(root.Path);
        }

        var options = new LocalNodeOptions
        {
            ApiServer = api ?? ownedApi!,
            DriverName = Claims.Driver,
            RootDirectory = root.Path,
            CreateDeviceClass = false, // claims are allocated to given devices (Claims.CreateAllocatedAsync)
            ConfigureHost = builder =>
            {
                builder.AddNvidiaGpuDriver();
                if (bootIdPath is not null)
                {
                    builder.Services.Configure<PreparedClaimStoreOptions>(o => o.BootIdPath = bootIdPath);
                }
            },
        };
        options.Configuration["DEVICE_SOURCE"] = "replay:" + snapshot;
        options.Configuration["NVIDIA_DRIVER_ROOT"] = "/run/nvidia/driver";
        options.Configuration["CONTAINER_DRIVER_ROOT"] = Path.Combine(root.Path, "driver");
        options.Configuration["DEV_ROOT"] = Path.Combine(root.Path, "host");
        options.Configuration["SYSFS_ROOT"] = Path.Combine(root.Path, "sys");
        foreach ((string key, string? value) in settings ?? [])
        {
            options.Configuration[key] = value;
        }

        return new DriverEnvironment(await LocalNode.StartAsync(options), root.Path, ownedApi, ownedRoot);
    }

    /// <summary>Waits (at most 10 s) until the node's slice satisfies <paramref name="condition"/>.</summary>
    public async Task<V1ResourceSlice> WaitForSliceAsync(Func<V1ResourceSlice, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await Node.WaitForResourceSliceAsync(condition, timeout.Token);
    }

    public string SpecOf(string claimUid) => File.ReadAllText(Directory.GetFiles(CdiRoot, "k8s.gpu.nvidia.com-claim_*").Single(f => f.Contains(claimUid, StringComparison.Ordinal)));

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        if (_ownedApi is not null)
        {
            await _ownedApi.DisposeAsync();
        }

        _ownedRoot?.Dispose();
    }

    private static void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Empty);
    }
}
