using DraSdk.KubeletPlugin.Internal.Grpc;
using DraSdk.KubeletPlugin.Internal.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>
/// Serves the DRA socket, then the registration socket (so the kubelet never finds a registration whose
/// endpoint is not yet served), each on its own Kestrel instance that accepts any <c>:authority</c>; removes stale
/// sockets before and its own sockets after; watches that its sockets stay in place, and warns while the kubelet has
/// not registered the driver.
/// </summary>
internal sealed class KubeletPluginServer(
    IServiceProvider services,
    IOptions<DraDriverOptions> options,
    DriverErrorReporter errors,
    ILoggerFactory loggerFactory,
    TimeProvider timeProvider,
    PluginServingState servingState) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<KubeletPluginServer>();
    private WebApplication? _draServer;
    private WebApplication? _registrationServer;
    private CancellationTokenSource? _watchdogStop;
    private Task? _watchdog;

    /// <summary>The DRA socket path being served.</summary>
    public string DraSocketPath { get; private set; } = string.Empty;

    /// <summary>The registration socket path being served.</summary>
    public string RegistrationSocketPath { get; private set; } = string.Empty;

    /// <summary>How often the sockets are checked to still exist.</summary>
    internal static TimeSpan WatchdogInterval { get; set; } = TimeSpan.FromSeconds(5);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        DraDriverOptions o = options.Value;
        DraSocketPath = SocketPaths.DraSocket(o);
        RegistrationSocketPath = SocketPaths.RegistrationSocket(o);
        SocketPaths.EnsureFits(DraSocketPath, "DRA socket");
        SocketPaths.EnsureFits(RegistrationSocketPath, "registration socket");

        Directory.CreateDirectory(o.EffectivePluginDataDirectoryPath);
        Directory.CreateDirectory(o.RegistrarDirectoryPath);
        await RunDriverStartupAsync(cancellationToken).ConfigureAwait(false);
        RemoveStaleSockets(o);

        bool health = services.GetService<IDeviceHealthSource>() is not null;
        var versions = new List<string>();
        if (o.ServeV1)
        {
            versions.Add("v1.DRAPlugin");
        }

        if (o.ServeV1Beta1)
        {
            versions.Add("v1beta1.DRAPlugin");
        }

        if (health)
        {
            versions.Add("v1alpha1.DRAResourceHealth");
            versions.Add("v1.DRAResourceHealth");
        }

        _draServer = BuildServer(DraSocketPath, "DRA socket", inner =>
        {
            inner.AddSingleton(services.GetRequiredService<NodeRequestHandler>());
            if (health)
            {
                inner.AddSingleton(new HealthStreamer(services.GetRequiredService<IDeviceHealthSource>(), timeProvider, loggerFactory.CreateLogger<HealthStreamer>()));
            }
        }, app =>
        {
            if (o.ServeV1)
            {
                app.MapGrpcService<DraV1Service>();
            }

            if (o.ServeV1Beta1)
            {
                app.MapGrpcService<DraV1Beta1Service>();
            }

            if (health)
            {
                app.MapGrpcService<HealthV1Alpha1Service>();
                app.MapGrpcService<HealthV1Service>();
            }
        });
        await StartServerAsync(_draServer, DraSocketPath, "DRA socket", cancellationToken).ConfigureAwait(false);
        Log.ServingDra(_logger, o.DriverName, string.Join(", ", versions), DraSocketPath);

        var endpoint = new PluginEndpoint(o.DriverName, Path.GetFullPath(DraSocketPath), versions);
        _registrationServer = BuildServer(RegistrationSocketPath, "registration socket", inner =>
        {
            inner.AddSingleton(endpoint);
            inner.AddSingleton(services.GetRequiredService<KubeletRegistration>());
        }, app => app.MapGrpcService<RegistrationService>());
        await StartServerAsync(_registrationServer, RegistrationSocketPath, "registration socket", cancellationToken).ConfigureAwait(false);
        Log.ServingRegistration(_logger, o.DriverName, RegistrationSocketPath);
        servingState.Started(DraSocketPath, RegistrationSocketPath);

        _watchdogStop = new CancellationTokenSource();
        _watchdog = Task.WhenAll(
            WatchSocketsAsync(_watchdogStop.Token),
            new RegistrationMonitor(services.GetRequiredService<KubeletRegistration>(), o, RegistrationSocketPath, timeProvider, _logger).RunAsync(_watchdogStop.Token));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        servingState.Stopped();
        if (_watchdogStop is not null)
        {
            await _watchdogStop.CancelAsync().ConfigureAwait(false);
            await (_watchdog ?? Task.CompletedTask).ConfigureAwait(false);
        }

        // Registration first: removing its socket is the kubelet's signal that this instance is gone.
        await StopServerAsync(_registrationServer, RegistrationSocketPath, cancellationToken).ConfigureAwait(false);
        _registrationServer = null;
        await StopServerAsync(_draServer, DraSocketPath, cancellationToken).ConfigureAwait(false);
        _draServer = null;
        if (RegistrationSocketPath.Length > 0)
        {
            Log.Stopped(_logger, options.Value.DriverName, RegistrationSocketPath, DraSocketPath);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_registrationServer is not null)
        {
            await _registrationServer.DisposeAsync().ConfigureAwait(false);
        }

        if (_draServer is not null)
        {
            await _draServer.DisposeAsync().ConfigureAwait(false);
        }

        _watchdogStop?.Dispose();
    }

    /// <summary>The driver's own start-up work, under the prepare/unprepare lock (shared across instances in rolling-update mode).</summary>
    private async Task RunDriverStartupAsync(CancellationToken cancellationToken)
    {
        IDraDriverStartup[] steps = [.. services.GetServices<IDraDriverStartup>()];
        if (steps.Length == 0)
        {
            return;
        }

        CallSerializer serializer = services.GetRequiredService<CallSerializer>();
        using (await serializer.AcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (IDraDriverStartup step in steps)
            {
                await step.StartAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private WebApplication BuildServer(string socketPath, string what, Action<IServiceCollection> addServices, Action<WebApplication> map)
    {
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(KubeletPluginServer).Assembly.GetName().Name,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ListenUnixSocket(socketPath, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;

                // Serve kubelets whose gRPC client sends the socket path as :authority (Kestrel resets such streams).
                listen.UseKubeletAuthority();
            });
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddGrpc(grpc => grpc.Interceptors.Add<CallLoggingInterceptor>());

        // Share the driver's logging (without ASP.NET Core's per-request lines), clock and metrics; the outer host owns
        // the process lifetime.
        builder.Services.AddLogging();
        builder.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(new QuietFrameworkLoggerFactory(loggerFactory, what, socketPath, timeProvider)));
        builder.Services.AddSingleton(timeProvider);
        builder.Services.AddSingleton(services.GetRequiredService<KubeletPluginMetrics>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IHostLifetime, PassiveLifetime>());
        addServices(builder.Services);

        WebApplication app = builder.Build();
        map(app);
        return app;
    }

    private static async Task StartServerAsync(WebApplication server, string socketPath, string what, CancellationToken cancellationToken)
    {
        try
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            throw new InvalidOperationException($"Cannot serve the {what} at {socketPath}: {ex.Message}", ex);
        }
    }

    private async Task StopServerAsync(WebApplication? server, string socketPath, CancellationToken cancellationToken)
    {
        if (server is not null)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.ShutdownTimeout);
            try
            {
                await server.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            await server.DisposeAsync().ConfigureAwait(false);
        }

        TryDelete(socketPath);
    }

    private void RemoveStaleSockets(DraDriverOptions o)
    {
        // Our own paths: whatever is there is left over from a killed instance (the path includes the pod UID in rolling-update mode).
        foreach (string path in new[] { DraSocketPath, RegistrationSocketPath })
        {
            if (File.Exists(path))
            {
                TryDelete(path);
                Log.RemovedStaleSocket(_logger, path);
            }
        }

        if (string.IsNullOrEmpty(o.PodUid))
        {
            return;
        }

        // Rolling update: sockets of earlier pods of this driver that nobody listens on any more.
        IEnumerable<string> candidates = Directory.EnumerateFiles(o.EffectivePluginDataDirectoryPath, "dra-*.sock")
            .Concat(SocketPaths.RollingUpdateRegistrationSocketPatterns(o.DriverName).SelectMany(p => Directory.EnumerateFiles(o.RegistrarDirectoryPath, p)));
        foreach (string path in candidates)
        {
            if (!SocketPaths.IsListening(path))
            {
                TryDelete(path);
                Log.RemovedStaleSocket(_logger, path);
            }
        }
    }

    private async Task WatchSocketsAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(WatchdogInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach ((string path, string what) in new[] { (DraSocketPath, "DRA socket"), (RegistrationSocketPath, "registration socket") })
                {
                    if (!File.Exists(path))
                    {
                        errors.ReportFatal(
                            new FileNotFoundException($"The {what} {path} was removed while the driver was serving; restart to register again.", path),
                            $"serving the {what}");
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>A lifetime that leaves signals to the driver's own host.</summary>
    internal sealed class PassiveLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
