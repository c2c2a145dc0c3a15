using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using DraSdk.ResourceSlices;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using IHost = Microsoft.Extensions.Hosting.IHost;

namespace DraSdk.ResourceSlices.Benchmarks;

/// <summary>
/// A network-attached pool of N devices published through the in-memory API server over HTTP. Every invocation checks
/// the requests it caused against the minimum (ceil(N/128) creates for a new pool, one update for one changed
/// attribute, no write for an unchanged pool) and fails the run if they differ.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessMonitoring))]
public class NetworkPoolBenchmarks
{
    public const int PerSliceLimit = 128;

    private InMemoryKubernetesApiServer _api = null!;
    private IHost _host = null!;
    private INetworkResourceSlicePublisher _publisher = null!;
    private List<V1Device> _devices = null!;
    private int _round;
    private int _writesBefore;

    /// <summary>One invocation per iteration (each changes the server's state), in this process (no generated project).</summary>
    private sealed class InProcessMonitoring : ManualConfig
    {
        public InProcessMonitoring() =>
            AddJob(Job.Default
                .WithStrategy(RunStrategy.Monitoring)
                .WithLaunchCount(1)
                .WithWarmupCount(2)
                .WithIterationCount(10)
                .WithInvocationCount(1)
                .WithUnrollFactor(1)
                .WithToolchain(InProcessEmitToolchain.Instance));
    }

    [Params(10_000)]
    public int N { get; set; }

    public static int MinimumCreates(int n) => (n + PerSliceLimit - 1) / PerSliceLimit;

    [GlobalSetup]
    public void Setup()
    {
        (_api, _host, _publisher) = StartAsync().GetAwaiter().GetResult();
        _devices = Devices(N, "100G");
        _publisher.PublishAsync(Resources(("fabric", _devices))).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.StopAsync().GetAwaiter().GetResult();
        _host.Dispose();
        _api.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [IterationSetup]
    public void CountFrom() => _writesBefore = Writes(_api).Count;

    /// <summary>A new pool of N devices next to the published one: exactly ceil(N/128) creates.</summary>
    [Benchmark(Description = "publish new pool")]
    public void PublishNewPool()
    {
        string pool = $"new-{_round++}";
        _publisher.PublishAsync(Resources(("fabric", _devices), (pool, Devices(N, "100G")))).GetAwaiter().GetResult();
        Expect("create", MinimumCreates(N));
    }

    /// <summary>Not measured: the new pool is deleted again after each iteration.</summary>
    [IterationCleanup(Targets = [nameof(PublishNewPool)])]
    public void RemoveNewPool() => _publisher.PublishAsync(Resources(("fabric", _devices))).GetAwaiter().GetResult();

    /// <summary>One attribute of one device changes: exactly one update.</summary>
    [Benchmark(Description = "change one attribute")]
    public void ChangeOneAttribute()
    {
        int i = (_round++ * 997) % N;
        _devices[i] = Device(i, _devices[i].Attributes["speed"].StringValue == "100G" ? "400G" : "100G");
        _publisher.PublishAsync(Resources(("fabric", _devices))).GetAwaiter().GetResult();
        Expect("update", 1);
    }

    /// <summary>The same content again: a full reconcile of the pool from the watch cache, no request.</summary>
    [Benchmark(Baseline = true, Description = "reconcile unchanged")]
    public void ReconcileUnchanged()
    {
        _publisher.PublishAsync(Resources(("fabric", Devices(N, null, _devices)))).GetAwaiter().GetResult();
        Expect(null, 0);
    }

    internal static async Task<(InMemoryKubernetesApiServer, IHost, INetworkResourceSlicePublisher)> StartAsync()
    {
        InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(new InMemoryApiServerOptions { RequestLogLimit = 100_000 });
        HostApplicationBuilder hb = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        hb.Logging.ClearProviders();
        hb.Services.AddSingleton(api.CreateClient());
        hb.Services.AddNetworkResourceSlicePublisher(o =>
        {
            o.DriverName = "nic.example.com";
            o.LeaderElection = false;
            o.SyncDelay = TimeSpan.FromSeconds(30); // our own writes come back through the watch; nothing to batch here
            o.ResyncInterval = Timeout.InfiniteTimeSpan;
        });
        IHost host = hb.Build();
        await host.StartAsync();
        return (api, host, host.Services.GetRequiredService<INetworkResourceSlicePublisher>());
    }

    internal static List<ApiRequest> Writes(InMemoryKubernetesApiServer api) =>
        [.. api.Requests.Where(r => r.Resource == "resourceslices" && r.Verb is "create" or "update" or "patch" or "delete")];

    internal static List<V1Device> Devices(int n, string? speed, List<V1Device>? like = null) =>
        [.. Enumerable.Range(0, n).Select(i => Device(i, speed ?? like![i].Attributes["speed"].StringValue))];

    internal static V1Device Device(int i, string speed) => new()
    {
        Name = $"nic-{i}",
        Attributes = new Dictionary<string, V1DeviceAttribute>
        {
            ["speed"] = new() { StringValue = speed },
            ["index"] = new() { IntValue = i },
            ["example.com/firmware"] = new() { Version = "1.2.3" },
        },
        Capacity = new Dictionary<string, V1DeviceCapacity> { ["bandwidth"] = new() { Value = new ResourceQuantity("100G") } },
    };

    internal static DriverResources Resources(params (string Name, List<V1Device> Devices)[] pools) => new()
    {
        Pools = pools.ToDictionary(p => p.Name, p => new Pool { AllNodes = true, Slices = [new Slice { Devices = p.Devices }] }),
    };

    private void Expect(string? verb, int count)
    {
        List<ApiRequest> writes = Writes(_api).Skip(_writesBefore).ToList();
        int actual = verb is null ? writes.Count : writes.Count(w => w.Verb == verb);
        int others = writes.Count(w => verb is null || w.Verb != verb);
        if (actual != count || (verb is not null && others > 0 && verb != "create"))
        {
            throw new InvalidOperationException($"Expected {count} {verb ?? "write"}(s), got {actual} (and {others} other writes): {string.Join(", ", writes.Select(w => w.Verb))}");
        }
    }
}
