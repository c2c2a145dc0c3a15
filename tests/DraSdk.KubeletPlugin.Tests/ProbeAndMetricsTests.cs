using System.Diagnostics.Metrics;
using System.Net;
using DraSdk.Kubelet.Api.PluginRegistration.V1;
using DraSdk.KubeletPlugin.Tests.Infrastructure;
using DraSdk.Testing;
using DraSdk.Tests.Shared;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DraSdk.KubeletPlugin.Tests;

/// <summary><c>HEALTH_PORT</c> (<c>/livez</c>, <c>/readyz</c>) and <c>METRICS_PORT</c> (<c>/metrics</c>) on a running driver.</summary>
public sealed class ProbeAndMetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Readiness_follows_the_kubelets_registration_and_liveness_the_sockets_not_the_API_server()
    {
        int port = DriverCommandLineChecks.FreePort();
        DriverHost host = await DriverHost.StartAsync<RecordingDriver>(options: o => o.HealthPort = port);
        try
        {
            // Serving, not yet registered: live, not ready, and /readyz says why.
            (HttpStatusCode live, string liveBody) = await DriverCommandLineChecks.GetAsync(port, "/livez", Ct);
            Assert.Equal(HttpStatusCode.OK, live);
            Assert.Equal("[+]kubelet-sockets ok\nlivez check passed\n", liveBody);
            (HttpStatusCode ready, string readyBody) = await DriverCommandLineChecks.GetAsync(port, "/readyz", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready);
            Assert.Contains("[-]kubelet-registration failed: not registered by the kubelet yet", readyBody, StringComparison.Ordinal);
            Assert.EndsWith("readyz check failed\n", readyBody, StringComparison.Ordinal);

            // Registered: ready.
            KubeletPluginConnection plugin = await host.RegisterAsync();
            string body = await DriverCommandLineChecks.WaitForStatusAsync(port, "/readyz", HttpStatusCode.OK, Ct);
            Assert.Equal("[+]kubelet-registration ok\n[+]kubelet-sockets ok\nreadyz check passed\n", body);

            // The API server goes away: still live and ready (the kubelet's view has not changed).
            await host.Api.DisposeAsync();
            Assert.Equal(HttpStatusCode.OK, (await DriverCommandLineChecks.GetAsync(port, "/livez", Ct)).Status);
            Assert.Equal(HttpStatusCode.OK, (await DriverCommandLineChecks.GetAsync(port, "/readyz", Ct)).Status);

            // The kubelet refuses the registration: not ready, with the kubelet's error; still live.
            await Assert.ThrowsAsync<RpcException>(async () => await plugin.NotifyRegistrationStatusAsync(
                new RegistrationStatus { PluginRegistered = false, Error = "plugin gpu.example.com already registered" }, Ct));
            (ready, readyBody) = await DriverCommandLineChecks.GetAsync(port, "/readyz", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready);
            Assert.Contains("[-]kubelet-registration failed: the kubelet refused the registration: plugin gpu.example.com already registered", readyBody, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await DriverCommandLineChecks.GetAsync(port, "/livez", Ct)).Status);

            // The DRA socket is removed under the driver: no longer live.
            File.Delete(plugin.Endpoint);
            (live, liveBody) = await DriverCommandLineChecks.GetAsync(port, "/livez", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, live);
            Assert.Contains($"[-]kubelet-sockets failed: the socket {plugin.Endpoint} is gone", liveBody, StringComparison.Ordinal);

            // Anything else: 404; no /metrics without METRICS_PORT.
            Assert.Equal(HttpStatusCode.NotFound, (await DriverCommandLineChecks.GetAsync(port, "/metrics", Ct)).Status);
        }
        finally
        {
            await host.DisposeAsync();
        }

        // Stopped: the port is closed.
        await Assert.ThrowsAsync<HttpRequestException>(() => DriverCommandLineChecks.GetAsync(port, "/livez", Ct));
    }

    [Fact]
    public async Task A_health_check_the_driver_adds_counts_for_readiness_and_only_live_tagged_checks_for_liveness()
    {
        int port = DriverCommandLineChecks.FreePort();
        var healthy = false;
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>(
            services: s => s.AddHealthChecks().AddCheck("devices", () => healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("no devices found")),
            options: o => o.HealthPort = port);
        await host.RegisterAsync();
        string body = await DriverCommandLineChecks.WaitForStatusAsync(port, "/readyz", HttpStatusCode.ServiceUnavailable, Ct);
        Assert.Contains("[-]devices failed: no devices found", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await DriverCommandLineChecks.GetAsync(port, "/livez", Ct)).Status);

        healthy = true;
        Assert.Contains("[+]devices ok", await DriverCommandLineChecks.WaitForStatusAsync(port, "/readyz", HttpStatusCode.OK, Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_are_the_SDKs_meters_in_the_Prometheus_text_format_with_the_values_recorded()
    {
        int port = DriverCommandLineChecks.FreePort();
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>(options: o =>
        {
            o.MetricsPort = port;
            o.MetricsMeterNames.Add("Test.Meter");
        });
        KubeletPluginConnection plugin = await host.RegisterAsync();
        await host.Host.Services.GetRequiredService<KubeletRegistration>().WaitForRegistrationAsync(Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await plugin.PrepareAsync([], Ct);
        await plugin.PrepareAsync([], Ct);
        await plugin.UnprepareAsync([], Ct);

        using HttpClient http = new();
        using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics"), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        string text = await response.Content.ReadAsStringAsync(Ct);
        Dictionary<string, double> samples = DriverCommandLineChecks.ParsePrometheus(text);

        Assert.Contains("# TYPE drasdk_kubelet_plugin_registered gauge\n", text, StringComparison.Ordinal);
        Assert.Equal(1, samples["drasdk_kubelet_plugin_registered"]);
        Assert.Contains("# TYPE drasdk_kubelet_plugin_calls_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("# HELP drasdk_kubelet_plugin_calls_total gRPC calls from the kubelet, by method and status code.\n", text, StringComparison.Ordinal);
        string prepare = samples.Keys.Single(k => k.StartsWith("drasdk_kubelet_plugin_calls_total{", StringComparison.Ordinal) && k.Contains("NodePrepareResources", StringComparison.Ordinal));
        Assert.Matches("^drasdk_kubelet_plugin_calls_total\\{rpc_grpc_status_code=\"OK\",rpc_method=\"[^\"]*NodePrepareResources\"\\}$", prepare);
        Assert.Equal(2, samples[prepare]);
        Assert.Contains("# TYPE drasdk_kubelet_plugin_call_duration_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Equal(2, samples[prepare.Replace("drasdk_kubelet_plugin_calls_total", "drasdk_kubelet_plugin_call_duration_seconds_count", StringComparison.Ordinal)]);
        Assert.Equal(1, samples["drasdk_kubelet_plugin_registration_reports_total{result=\"registered\"}"]);

        // The exporter's rules on a meter of the driver's own: counter, up-down counter, histogram buckets, observable
        // gauge, units, name and label escaping.
        Meter meter = host.Host.Services.GetRequiredService<IMeterFactory>().Create("Test.Meter");
        Counter<long> counter = meter.CreateCounter<long>("test.requests", "{request}", "Requests \\ with \"quotes\"\nand lines.");
        UpDownCounter<int> inFlight = meter.CreateUpDownCounter<int>("test.in_flight", "{request}");
        Histogram<double> size = meter.CreateHistogram<double>("test.size", "By", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [10, 100] });
        meter.CreateObservableGauge("test.temperature", () => new Measurement<double>(41.5, new KeyValuePair<string, object?>("gpu", "0")));
        counter.Add(3, new KeyValuePair<string, object?>("path", "a\"b\\c\nd"));
        counter.Add(4, new KeyValuePair<string, object?>("path", "a\"b\\c\nd"));
        inFlight.Add(5);
        inFlight.Add(-2);
        foreach (double value in new[] { 5.0, 10, 50, 1000 })
        {
            size.Record(value, new KeyValuePair<string, object?>("dra.driver", "x"));
        }

        text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), Ct);
        samples = DriverCommandLineChecks.ParsePrometheus(text);
        Assert.Contains("# HELP test_requests_total Requests \\\\ with \"quotes\"\\nand lines.\n", text, StringComparison.Ordinal);
        Assert.Equal(7, samples["test_requests_total{path=\"a\\\"b\\\\c\\nd\"}"]);
        Assert.Contains("# TYPE test_in_flight gauge\n", text, StringComparison.Ordinal);
        Assert.Equal(3, samples["test_in_flight"]);
        Assert.Contains("# TYPE test_size_bytes histogram\n", text, StringComparison.Ordinal);
        Assert.Equal(2, samples["test_size_bytes_bucket{dra_driver=\"x\",le=\"10\"}"]);
        Assert.Equal(3, samples["test_size_bytes_bucket{dra_driver=\"x\",le=\"100\"}"]);
        Assert.Equal(4, samples["test_size_bytes_bucket{dra_driver=\"x\",le=\"+Inf\"}"]);
        Assert.Equal(1065, samples["test_size_bytes_sum{dra_driver=\"x\"}"]);
        Assert.Equal(41.5, samples["test_temperature{gpu=\"0\"}"]);

        // An instrument with nothing recorded yet has no family; a meter neither the SDK's nor named in
        // MetricsMeterNames is not exported.
        meter.CreateCounter<long>("test.unused");
        Assert.DoesNotContain("test_unused", await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), Ct), StringComparison.Ordinal);
        using var other = new Meter("Other.Meter");
        other.CreateCounter<long>("other.thing").Add(1);
        Assert.DoesNotContain("other_thing", await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probes_and_metrics_can_share_one_port()
    {
        int port = DriverCommandLineChecks.FreePort();
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>(options: o =>
        {
            o.HealthPort = port;
            o.MetricsPort = port;
            o.HttpBindAddress = "127.0.0.1";
        });
        await host.RegisterAsync();
        Assert.Equal(HttpStatusCode.OK, (await DriverCommandLineChecks.GetAsync(port, "/livez", Ct)).Status);
        (HttpStatusCode status, string metrics) = await DriverCommandLineChecks.GetAsync(port, "/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("drasdk_kubelet_plugin_registered", metrics, StringComparison.Ordinal);
    }
}
