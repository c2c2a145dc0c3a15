using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using DraSdk.KubeletPlugin;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DraSdk.ResourceSlices.Tests.Infrastructure;

/// <summary>A generic host with only the ResourceSlice publisher (no kubelet plugin), talking HTTP to the in-memory API server.</summary>
internal sealed class PublisherHost : IAsyncDisposable
{
    public const string DriverName = "gpu.example.com";
    public const string NodeName = "node-a";
    public const string GenerateName = "00000-gpu-example-com-node-a-";

    private PublisherHost(IHost host, ListLogger logs)
    {
        Host = host;
        Logs = logs;
    }

    public IHost Host { get; }

    public ListLogger Logs { get; }

    public IResourceSlicePublisher Publisher => Host.Services.GetRequiredService<IResourceSlicePublisher>();

    public DriverErrorReporter Errors => Host.Services.GetRequiredService<DriverErrorReporter>();

    public static async Task<PublisherHost> StartAsync(
        InMemoryKubernetesApiServer api,
        Action<ResourceSlicePublisherOptions>? configure = null,
        IKubernetes? client = null,
        TimeProvider? time = null,
        string? nodeName = NodeName)
    {
        var logs = new ListLogger();
        HostApplicationBuilder hb = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        hb.Logging.ClearProviders();
        hb.Logging.AddProvider(logs);
        hb.Logging.SetMinimumLevel(LogLevel.Debug);
        hb.Services.AddSingleton(client ?? api.CreateClient());
        if (time is not null)
        {
            hb.Services.AddSingleton(time);
        }

        hb.Services.AddOptions<DraDriverOptions>().Configure(o =>
        {
            o.DriverName = DriverName;
            o.NodeName = nodeName;
        });
        new TestDriverBuilder(hb.Services).AddResourceSlicePublisher(o =>
        {
            o.InitialBackoff = TimeSpan.FromMilliseconds(10);
            o.MaxBackoff = TimeSpan.FromMilliseconds(200);
            o.ResyncInterval = Timeout.InfiniteTimeSpan;
            o.SyncDelay = TimeSpan.FromMilliseconds(20);
            configure?.Invoke(o);
        });
        IHost host = hb.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new PublisherHost(host, logs);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync(TimeSpan.FromSeconds(10));
        Host.Dispose();
    }

    private sealed class TestDriverBuilder(IServiceCollection services) : IDraDriverBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}

/// <summary>A driver that prepares nothing, for tests of what runs around it.</summary>
internal sealed class NoopDriver : IDraDriver
{
    public Task<IReadOnlyDictionary<string, PrepareResult>> PrepareResourceClaimsAsync(IReadOnlyList<PreparableClaim> claims, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, PrepareResult>>(new Dictionary<string, PrepareResult>());

    public Task<IReadOnlyDictionary<string, UnprepareResult>> UnprepareResourceClaimsAsync(IReadOnlyList<ClaimReference> claims, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, UnprepareResult>>(new Dictionary<string, UnprepareResult>());
}

/// <summary>Helpers for the API server's state.</summary>
internal static class Api
{
    public static V1Node SeedNode(this InMemoryKubernetesApiServer api, string name = PublisherHost.NodeName) =>
        api.Seed(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = name } });

    /// <summary>The slices of the test driver on the test node, by name.</summary>
    public static List<V1ResourceSlice> Slices(this InMemoryKubernetesApiServer api, string driver = PublisherHost.DriverName, string node = PublisherHost.NodeName) =>
        [.. api.List<V1ResourceSlice>().Where(s => s.Spec.Driver == driver && s.Spec.NodeName == node).OrderBy(s => s.Metadata.Name, StringComparer.Ordinal)];

    /// <summary>Requests that wrote ResourceSlices.</summary>
    public static List<ApiRequest> SliceWrites(this InMemoryKubernetesApiServer api) =>
        [.. api.Requests.Where(r => r.Resource == "resourceslices" && r.Verb is "create" or "update" or "patch" or "delete" or "deletecollection")];

    public static V1ResourceSlice SeedSlice(this InMemoryKubernetesApiServer api, V1Node owner, string pool, long generation, int count, params V1Device[] devices) =>
        api.SeedSlice(owner, 0, pool, generation, count, devices);

    public static V1ResourceSlice SeedSlice(this InMemoryKubernetesApiServer api, V1Node owner, int index, string pool, long generation, int count, params V1Device[] devices) =>
        api.Seed(new V1ResourceSlice
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceSlice",
            Metadata = new V1ObjectMeta
            {
                GenerateName = $"{index:x5}-gpu-example-com-node-a-",
                OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = owner.Metadata.Name, Uid = owner.Metadata.Uid, Controller = true }],
            },
            Spec = new V1ResourceSliceSpec
            {
                Driver = PublisherHost.DriverName,
                NodeName = owner.Metadata.Name,
                Pool = new V1ResourcePool { Name = pool, Generation = generation, ResourceSliceCount = count },
                Devices = devices,
            },
        });

    public static V1Device Gpu(int index, string model = "A100") => new()
    {
        Name = $"gpu-{index}",
        Attributes = new Dictionary<string, V1DeviceAttribute>
        {
            ["model"] = new() { StringValue = model },
            ["index"] = new() { IntValue = index },
        },
        Capacity = new Dictionary<string, V1DeviceCapacity> { ["memory"] = new() { Value = new ResourceQuantity("40Gi") } },
    };

    public static async Task EventuallyAsync(Func<bool> condition, string what, int timeoutSeconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The test's cancellation, limited to <paramref name="seconds"/>.</summary>
    public static CancellationToken Timeout(int seconds = 10)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }
}

/// <summary>
/// Routes requests to a closed loopback port while <see cref="Down"/> is set, so the client gets a real
/// "connection refused" as if the API server were not reachable yet.
/// </summary>
internal sealed class UnreachableWhileDown : DelegatingHandler
{
    private readonly int _closedPort = ClosedPort();

    public volatile bool Down = true;

    public int Refused;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Down)
        {
            Interlocked.Increment(ref Refused);
            request.RequestUri = new UriBuilder(request.RequestUri!) { Port = _closedPort }.Uri;
        }

        return base.SendAsync(request, cancellationToken);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>The system clock, recording the due time of every timer created (Task.Delay and timed cancellations use them).</summary>
internal sealed class RecordingTimeProvider : TimeProvider
{
    public ConcurrentQueue<TimeSpan> DueTimes { get; } = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        DueTimes.Enqueue(dueTime);
        return TimeProvider.System.CreateTimer(callback, state, dueTime, period);
    }
}

/// <summary>Collects log lines for assertions.</summary>
internal sealed class ListLogger : ILoggerProvider, ILogger
{
    private readonly List<string> _entries = [];

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }

    public string[] Snapshot()
    {
        lock (_entries)
        {
            return [.. _entries];
        }
    }

    public void Dispose()
    {
    }
}

/// <summary>Runs a hook before each request goes out, e.g. to change the server's state in between, or to look at bodies.</summary>
internal sealed class BeforeRequest(Func<HttpRequestMessage, Task> hook) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await hook(request);
        return await base.SendAsync(request, cancellationToken);
    }
}
