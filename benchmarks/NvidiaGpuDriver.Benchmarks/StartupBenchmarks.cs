using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using DraSdk.Testing;
using k8s;
using k8s.Models;

namespace NvidiaGpuDriver.Benchmarks;

/// <summary>
/// Cold start of the published driver (replay mode) until the fake kubelet has registered it, against the floor of a
/// minimal .NET gRPC server on a Unix socket answering GetInfo; idle memory of both is printed at setup.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 10)]
public class StartupBenchmarks
{
    private InMemoryKubernetesApiServer _api = null!;
    private string _kubeconfig = null!;
    private string _root = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _root = Path.Combine("/tmp", "nv-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_root);
        _api = await InMemoryKubernetesApiServer.StartAsync();
        await _api.CreateClient().CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "bench-node" } });
        _kubeconfig = _api.WriteKubeconfig(Path.Combine(_root, "kubeconfig"));
        await PrintIdleMemoryAsync();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _api.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "floor: minimal gRPC UDS server, start to GetInfo")]
    public async Task MinimalServerStart()
    {
        string socket = Path.Combine(_root, "minimal.sock");
        Process process = DriverProcesses.StartMinimal(socket);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await DriverProcesses.WaitForGetInfoAsync(socket, timeout.Token);
        }
        finally
        {
            DriverProcesses.Stop(process);
        }
    }

    [Benchmark(Description = "nvidia-gpu-driver: start to registration")]
    public async Task DriverStartToRegistration()
    {
        string root = Path.Combine(_root, "d" + Guid.NewGuid().ToString("N")[..6]);
        Process process = DriverProcesses.StartDriver(root, _kubeconfig);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await using var kubelet = new FakeKubelet(Path.Combine(root, "reg")) { PollInterval = TimeSpan.FromMilliseconds(2) };
            await kubelet.WaitForDriverAsync("gpu.nvidia.com", timeout.Token);
        }
        finally
        {
            DriverProcesses.Stop(process);
        }
    }

    /// <summary>Both processes started, registered or answering, then left idle for 5 s: their resident memory.</summary>
    private async Task PrintIdleMemoryAsync()
    {
        string socket = Path.Combine(_root, "idle-minimal.sock");
        string root = Path.Combine(_root, "idle");
        Process minimal = DriverProcesses.StartMinimal(socket);
        Process driver = DriverProcesses.StartDriver(root, _kubeconfig);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await DriverProcesses.WaitForGetInfoAsync(socket, timeout.Token);
            await using var kubelet = new FakeKubelet(Path.Combine(root, "reg"));
            await kubelet.WaitForDriverAsync("gpu.nvidia.com", timeout.Token);
            await Task.Delay(TimeSpan.FromSeconds(5));
            long minimalRss = DriverProcesses.ResidentBytes(minimal);
            long driverRss = DriverProcesses.ResidentBytes(driver);
            Console.WriteLine($"// idle RSS after 5 s: minimal gRPC UDS server {minimalRss / 1048576.0:F1} MiB; nvidia-gpu-driver {driverRss / 1048576.0:F1} MiB; ratio {(double)driverRss / minimalRss:F2}");
        }
        finally
        {
            DriverProcesses.Stop(minimal);
            DriverProcesses.Stop(driver);
        }
    }
}
