using DraSdk.Checkpoint;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NvidiaGpuDriver.Driver;
using NvidiaGpuDriver.Nvml;

namespace NvidiaGpuDriver.Tests;

/// <summary>The driver on a host in this process, in replay mode, with a fake kubelet and an in-memory API server.</summary>
internal sealed class DriverEnvironment : IAsyncDisposable
{
    private readonly bool _ownsApi;
    private readonly TempRoot? _ownedRoot;

    private DriverEnvironment(IHost host, InMemoryKubernetesApiServer api, KubeletPluginConnection plugin, FakeKubelet kubelet, string root, bool ownsApi, TempRoot? ownedRoot)
    {
        Host = host;
        Api = api;
        Plugin = plugin;
        Kubelet = kubelet;
        Root = root;
        _ownsApi = ownsApi;
        _ownedRoot = ownedRoot;
        Client = api.CreateClient();
    }

    public IHost Host { get; }

    public InMemoryKubernetesApiServer Api { get; }

    public IKubernetes Client { get; }

    public KubeletPluginConnection Plugin { get; }

    public FakeKubelet Kubelet { get; }

    public string Root { get; }

    public string CdiRoot => Path.Combine(Root, "cdi");

    public string MpsRoot => Path.Combine(Root, "plugins", "gpu.nvidia.com", "mps");

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
        TempRoot? owned = root is null ? new TempRoot() : null;
        root ??= owned!;
        bool ownsApi = api is null;
        api ??= await InMemoryKubernetesApiServer.StartAsync();
        IKubernetes client = api.CreateClient();
        try
        {
            await client.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "node-a" } });
        }
        catch (k8s.Autorest.HttpOperationException)
        {
            // already there
        }

        if (fakeNode && !Directory.Exists(Path.Combine(root.Path, "host")))
        {
            CreateFakeNode(root.Path);
        }

        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var config = new Dictionary<string, string?>
        {
            ["NODE_NAME"] = "node-a",
            ["DEVICE_SOURCE"] = "replay:" + snapshot,
            ["NVIDIA_DRIVER_ROOT"] = "/run/nvidia/driver",
            ["CONTAINER_DRIVER_ROOT"] = Path.Combine(root.Path, "driver"),
            ["DEV_ROOT"] = Path.Combine(root.Path, "host"),
            ["SYSFS_ROOT"] = Path.Combine(root.Path, "sys"),
        };
        foreach ((string key, string? value) in settings ?? [])
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.Services.AddSingleton(client);
        builder.AddNvidiaGpuDriver(o =>
        {
            o.RegistrarDirectoryPath = Path.Combine(root.Path, "reg");
            o.KubeletPluginsDirectoryPath = Path.Combine(root.Path, "plugins");
            o.CdiRoot = Path.Combine(root.Path, "cdi");
        });
        if (bootIdPath is not null)
        {
            builder.Services.Configure<PreparedClaimStoreOptions>(o => o.BootIdPath = bootIdPath);
        }

        IHost host = builder.Build();
        await host.StartAsync();
        var kubelet = new FakeKubelet(Path.Combine(root.Path, "reg"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        KubeletPluginConnection plugin = await kubelet.WaitForDriverAsync("gpu.nvidia.com", timeout.Token);
        return new DriverEnvironment(host, api, plugin, kubelet, root.Path, ownsApi, owned);
    }

    /// <summary>Waits until the node's slice satisfies <paramref name="condition"/>.</summary>
    public async Task<V1ResourceSlice> WaitForSliceAsync(Func<V1ResourceSlice, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            V1ResourceSliceList slices = await Client.ResourceV1.ListResourceSliceAsync(cancellationToken: timeout.Token);
            if (slices.Items.SingleOrDefault(s => s.Spec.NodeName == "node-a") is { } slice && condition(slice))
            {
                return slice;
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    public string SpecOf(string claimUid) => File.ReadAllText(Directory.GetFiles(CdiRoot).Single(f => f.Contains(claimUid, StringComparison.Ordinal)));

    public async ValueTask DisposeAsync()
    {
        await Kubelet.DisposeAsync();
        await Host.StopAsync();
        Host.Dispose();
        if (_ownsApi)
        {
            await Api.DisposeAsync();
        }

        _ownedRoot?.Dispose();
    }

    private static void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Empty);
    }
}
