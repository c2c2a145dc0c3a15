using DraSdk.KubeletPlugin;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DraSdk.KubeletPlugin.Tests.Infrastructure;

/// <summary>A driver on a real generic host, with short temp directories, the in-memory API server and a fake kubelet.</summary>
internal sealed class DriverHost : IAsyncDisposable
{
    public const string DriverName = "gpu.example.com";

    private DriverHost(IHost host, TempDirectory root, InMemoryKubernetesApiServer api, bool ownsApi, bool ownsRoot, ListLogger logs)
    {
        Host = host;
        Logs = logs;
        Root = root;
        Api = api;
        OwnsApi = ownsApi;
        OwnsRoot = ownsRoot;
        Kubelet = new FakeKubelet(RegistrarDirectory);
    }

    public IHost Host { get; }

    public TempDirectory Root { get; }

    public InMemoryKubernetesApiServer Api { get; }

    public FakeKubelet Kubelet { get; }

    public IKubernetes Client => Host.Services.GetRequiredService<IKubernetes>();

    public string RegistrarDirectory => Path.Combine(Root.Path, "reg");

    public string PluginsDirectory => Path.Combine(Root.Path, "plugins");

    public string PluginDataDirectory => Path.Combine(PluginsDirectory, DriverName);

    public ListLogger Logs { get; }

    private bool OwnsApi { get; }

    private bool OwnsRoot { get; }

    public static async Task<DriverHost> StartAsync<TDriver>(
        Action<IServiceCollection>? services = null,
        Action<DraDriverOptions>? options = null,
        Action<IDraDriverBuilder>? builder = null,
        InMemoryKubernetesApiServer? api = null,
        TempDirectory? root = null,
        bool start = true)
        where TDriver : class, IDraDriver
    {
        bool ownsApi = api is null;
        bool ownsRoot = root is null;
        api ??= await InMemoryKubernetesApiServer.StartAsync();
        root ??= new TempDirectory();
        var logs = new ListLogger();
        HostApplicationBuilder hb = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        hb.Logging.ClearProviders();
        hb.Logging.AddProvider(logs);
        hb.Logging.SetMinimumLevel(LogLevel.Debug);
        hb.Services.AddSingleton(api.CreateClient());
        services?.Invoke(hb.Services);
        IDraDriverBuilder b = hb.Services.AddDraDriver<TDriver>(o =>
        {
            o.DriverName = DriverName;
            o.NodeName = "node-a";
            o.RegistrarDirectoryPath = Path.Combine(root.Path, "reg");
            o.KubeletPluginsDirectoryPath = Path.Combine(root.Path, "plugins");
            o.CdiRoot = Path.Combine(root.Path, "cdi");
            options?.Invoke(o);
        });
        builder?.Invoke(b);
        IHost host = hb.Build();
        var driverHost = new DriverHost(host, root, api, ownsApi, ownsRoot, logs);
        if (start)
        {
            await host.StartAsync();
        }

        return driverHost;
    }

    public async Task<KubeletPluginConnection> RegisterAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await Kubelet.WaitForDriverAsync(DriverName, timeout.Token);
    }

    /// <summary>Creates a claim in the API server and allocates it, as the scheduler would.</summary>
    public Task<Resourcev1ResourceClaim> CreateAllocatedClaimAsync(string name, params (string Request, string Driver, string Device)[] devices) =>
        CreateAllocatedClaimAsync(name, devices, configs: null);

    public async Task<Resourcev1ResourceClaim> CreateAllocatedClaimAsync(
        string name, (string Request, string Driver, string Device)[] devices, IList<V1DeviceAllocationConfiguration>? configs, string? shareId = null)
    {
        IKubernetes client = Api.CreateClient();
        // A result for "request/subrequest" needs a firstAvailable request with that subrequest, as on a real server.
        var requests = devices.GroupBy(d => d.Request.Split('/')[0]).Select(g =>
        {
            var subrequests = g.Select(d => d.Request.Split('/')).Where(p => p.Length == 2).Select(p => p[1]).Distinct().ToList();
            return subrequests.Count == 0
                ? new V1DeviceRequest { Name = g.Key, Exactly = new V1ExactDeviceRequest { DeviceClassName = "gpu.example.com", AllocationMode = "ExactCount", Count = 1 } }
                : new V1DeviceRequest { Name = g.Key, FirstAvailable = [.. subrequests.Select(s => new V1DeviceSubRequest { Name = s, DeviceClassName = "gpu.example.com" })] };
        }).ToList();
        var claim = new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec { Devices = new V1DeviceClaim { Requests = requests } },
        };
        Resourcev1ResourceClaim created = await client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default");
        if (devices.Length == 0)
        {
            return created;
        }

        created.Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult
                {
                    Results = [.. devices.Select(d => new V1DeviceRequestAllocationResult
                    {
                        Request = d.Request,
                        Driver = d.Driver,
                        Pool = "node-a",
                        Device = d.Device,
                        ShareID = shareId,
                    })],
                    Config = configs,
                },
            },
        };
        return await client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, name, "default");
    }

    public async ValueTask DisposeAsync()
    {
        await Kubelet.DisposeAsync();
        try
        {
            await Host.StopAsync(TimeSpan.FromSeconds(10));
        }
        catch (OperationCanceledException)
        {
        }

        Host.Dispose();
        if (OwnsApi)
        {
            await Api.DisposeAsync();
        }

        if (OwnsRoot)
        {
            Root.Dispose();
        }
    }
}

/// <summary>A short temporary directory (Unix socket paths must stay under 108 bytes).</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine("/tmp", "dra-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

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

/// <summary>Collects log lines (with scopes) for assertions.</summary>
internal sealed class ListLogger : ILoggerProvider, ILogger
{
    private readonly AsyncLocal<Scope?> _scopes = new();

    public List<string> Entries { get; } = [];

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
    {
        var scope = new Scope(state, _scopes.Value);
        _scopes.Value = scope;
        return new Pop(this, scope);
    }

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var states = new List<string>();
        for (Scope? s = _scopes.Value; s is not null; s = s.Parent)
        {
            states.Insert(0, $"[{s.State}]");
        }

        string scope = string.Join(" ", states);
        string line = $"{logLevel}: {scope} {formatter(state, exception)}";
        lock (Entries)
        {
            Entries.Add(line);
        }
    }

    public string[] Snapshot()
    {
        lock (Entries)
        {
            return [.. Entries];
        }
    }

    public void Dispose()
    {
    }

    private sealed record Scope(object? State, Scope? Parent);

    private sealed class Pop(ListLogger owner, Scope scope) : IDisposable
    {
        public void Dispose() => owner._scopes.Value = scope.Parent;
    }
}
