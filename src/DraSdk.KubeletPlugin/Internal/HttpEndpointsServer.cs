using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>
/// The driver's TCP endpoints, each on when its port is set: <c>/livez</c> and <c>/readyz</c> on
/// <see cref="DraDriverOptions.HealthPort"/>, <c>/metrics</c> on <see cref="DraDriverOptions.MetricsPort"/> (one server
/// when the ports are the same). HTTP/1.1 and HTTP/2 without TLS, as the kubelet's probes and Prometheus speak them.
/// </summary>
internal sealed class HttpEndpointsServer(
    IServiceProvider services,
    IOptions<DraDriverOptions> options,
    IMeterFactory meterFactory,
    ILoggerFactory loggerFactory,
    TimeProvider timeProvider) : IHostedService, IAsyncDisposable
{
    internal const string LiveTag = "live";

    private readonly ILogger _logger = loggerFactory.CreateLogger<HttpEndpointsServer>();
    private readonly List<WebApplication> _servers = [];
    private PrometheusExporter? _exporter;

    /// <summary>The addresses being served, e.g. <c>http://[::]:8080</c>, once started.</summary>
    public IReadOnlyList<string> Addresses { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        DraDriverOptions o = options.Value;
        if (o.MetricsPort is not null)
        {
            var meters = new HashSet<string>(o.MetricsMeterNames, StringComparer.Ordinal);
            _exporter = new PrometheusExporter(meter =>
                ReferenceEquals(meter.Scope, meterFactory) && (meter.Name.StartsWith("DraSdk.", StringComparison.Ordinal) || meters.Contains(meter.Name)));
        }

        IPAddress? address = o.HttpBindAddress is { Length: > 0 } a ? IPAddress.Parse(a) : null;
        var addresses = new List<string>();
        if (o.HealthPort is { } health)
        {
            bool both = o.MetricsPort == health;
            addresses.AddRange(await StartServerAsync(address, health, probes: true, metrics: both, cancellationToken).ConfigureAwait(false));
            Log.ServingProbes(_logger, string.Join(", ", addresses), both ? "/livez, /readyz, /metrics" : "/livez, /readyz");
        }

        if (o.MetricsPort is { } port && port != o.HealthPort)
        {
            IReadOnlyList<string> served = await StartServerAsync(address, port, probes: false, metrics: true, cancellationToken).ConfigureAwait(false);
            addresses.AddRange(served);
            Log.ServingProbes(_logger, string.Join(", ", served), "/metrics");
        }

        Addresses = addresses;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (WebApplication server in _servers)
        {
            try
            {
                await server.StopAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (WebApplication server in _servers)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }

        _servers.Clear();
        _exporter?.Dispose();
    }

    private async Task<IReadOnlyList<string>> StartServerAsync(IPAddress? address, int port, bool probes, bool metrics, CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(HttpEndpointsServer).Assembly.GetName().Name,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (address is null)
            {
                kestrel.ListenAnyIP(port, listen => listen.Protocols = HttpProtocols.Http1AndHttp2);
            }
            else
            {
                kestrel.Listen(address, port, listen => listen.Protocols = HttpProtocols.Http1AndHttp2);
            }
        });
        builder.Services.AddLogging();
        builder.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(new QuietFrameworkLoggerFactory(loggerFactory, "HTTP endpoints", $"{address?.ToString() ?? "*"}:{port}", timeProvider)));
        builder.Services.Replace(ServiceDescriptor.Singleton<IHostLifetime, KubeletPluginServer.PassiveLifetime>());
        WebApplication app = builder.Build();
        HealthCheckService? checks = probes ? services.GetRequiredService<HealthCheckService>() : null;
        PrometheusExporter? exporter = metrics ? _exporter : null;
        app.Run(context => HandleAsync(context, checks, exporter));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            string setting = probes ? "HEALTH_PORT" : "METRICS_PORT";
            throw new DriverConfigurationException(setting, $"Cannot listen on {address?.ToString() ?? "all interfaces"} port {port} ({setting}): {ex.Message}", ex);
        }

        _servers.Add(app);
        return [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];
    }

    private static async Task HandleAsync(HttpContext context, HealthCheckService? checks, PrometheusExporter? exporter)
    {
        string path = context.Request.Path.Value ?? string.Empty;
        HttpResponse response = context.Response;
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (checks is not null && path is "/livez" or "/readyz")
        {
            // Live: the checks tagged "live" (the kubelet sockets are served). Ready: every check, among them the
            // kubelet's registration. An API server outage fails neither liveness check.
            bool live = path == "/livez";
            HealthReport report = await checks.CheckHealthAsync(
                live ? (r => r.Tags.Contains(LiveTag)) : (_ => true),
                context.RequestAborted).ConfigureAwait(false);
            bool ok = report.Status != HealthStatus.Unhealthy;
            var text = new StringBuilder();
            foreach ((string name, HealthReportEntry entry) in report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                text.Append(entry.Status == HealthStatus.Unhealthy ? "[-]" : "[+]").Append(name)
                    .Append(entry.Status == HealthStatus.Unhealthy ? " failed: " : " ok")
                    .Append(entry.Status == HealthStatus.Unhealthy ? entry.Description ?? entry.Exception?.Message ?? "unhealthy" : string.Empty)
                    .Append('\n');
            }

            text.Append(path[1..]).Append(ok ? " check passed\n" : " check failed\n");
            response.StatusCode = ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            response.ContentType = "text/plain; charset=utf-8";
            response.Headers.CacheControl = "no-store";
            await response.WriteAsync(text.ToString(), context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (exporter is not null && path == "/metrics")
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await response.WriteAsync(exporter.Scrape(), context.RequestAborted).ConfigureAwait(false);
            return;
        }

        response.StatusCode = StatusCodes.Status404NotFound;
    }
}

/// <summary>Live: the kubelet plugin serves both its sockets.</summary>
internal sealed class KubeletSocketsHealthCheck(PluginServingState state) : IHealthCheck
{
    public const string Name = "kubelet-sockets";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.Problem() is { } problem ? HealthCheckResult.Unhealthy(problem) : HealthCheckResult.Healthy());
}

/// <summary>Ready: the kubelet has registered the driver.</summary>
internal sealed class KubeletRegistrationHealthCheck(KubeletRegistration registration) : IHealthCheck
{
    public const string Name = "kubelet-registration";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        KubeletRegistrationStatus status = registration.Status;
        return Task.FromResult(status.State switch
        {
            KubeletRegistrationState.Registered => HealthCheckResult.Healthy(),
            KubeletRegistrationState.Refused => HealthCheckResult.Unhealthy($"the kubelet refused the registration: {status.LastError}"),
            _ => HealthCheckResult.Unhealthy($"not registered by the kubelet yet (since {status.Since:O})"),
        });
    }
}
