using DraSdk.Kubelet.Api.PluginRegistration.V1;
using DraSdk.KubeletPlugin.Tests.Infrastructure;
using DraSdk.Testing;
using Grpc.Core;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace DraSdk.KubeletPlugin.Tests;

public sealed class RegistrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Kubelet_discovers_and_registers_the_driver()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();

        Assert.Equal(DriverHost.DriverName, plugin.DriverName);
        Assert.Equal(Path.Combine(host.RegistrarDirectory, "gpu.example.com-reg.sock"), plugin.RegistrationSocketPath);
        Assert.Equal(Path.Combine(host.PluginDataDirectory, "dra.sock"), plugin.Endpoint);
        Assert.True(Path.IsPathRooted(plugin.Endpoint));
        Assert.Equal(["v1.DRAPlugin", "v1beta1.DRAPlugin"], plugin.SupportedVersions);
        Assert.Equal("v1", plugin.DraVersion);

        KubeletRegistration registration = host.Host.Services.GetRequiredService<KubeletRegistration>();
        await registration.WaitForRegistrationAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.True(registration.IsRegistered);
        KubeletRegistrationStatus status = registration.Status;
        Assert.Equal(KubeletRegistrationState.Registered, status.State);
        Assert.Null(status.LastError);
        Assert.NotNull(status.LastGetInfo);
        Assert.NotNull(status.LastReport);
        Assert.True(status.Since >= status.LastGetInfo && status.Since == status.LastReport);
    }

    [Fact]
    public async Task GetInfo_answers_the_exact_plugin_info()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();

        PluginInfo info = await plugin.GetInfoAsync(TestContext.Current.CancellationToken);

        Assert.Equal("DRAPlugin", info.Type);
        Assert.Equal("gpu.example.com", info.Name);
        Assert.Equal(plugin.Endpoint, info.Endpoint);
    }

    [Fact]
    public async Task A_failed_registration_is_recorded_with_the_kubelets_error()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();

        RpcException answer = await Assert.ThrowsAsync<RpcException>(async () => await plugin.NotifyRegistrationStatusAsync(
            new RegistrationStatus { PluginRegistered = false, Error = "plugin gpu.example.com already registered" },
            TestContext.Current.CancellationToken));

        // Answered with an error as the Go helper answers, recorded, and logged as an error; the driver keeps serving.
        Assert.Equal("failed registration process: plugin gpu.example.com already registered", answer.Status.Detail);
        KubeletRegistration registration = host.Host.Services.GetRequiredService<KubeletRegistration>();
        Assert.False(registration.IsRegistered);
        Assert.Equal(KubeletRegistrationState.Refused, registration.Status.State);
        Assert.Equal("plugin gpu.example.com already registered", registration.Status.LastError);
        Assert.Contains(host.Logs.Snapshot(), e => e.StartsWith("Error:", StringComparison.Ordinal) && e.Contains("refused to register driver gpu.example.com: plugin gpu.example.com already registered", StringComparison.Ordinal));
        Assert.Empty((await plugin.PrepareAsync([], TestContext.Current.CancellationToken)).Claims);
    }

    [Fact]
    public async Task A_status_report_that_does_not_follow_GetInfo_on_its_connection_changes_nothing()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();
        KubeletRegistration registration = host.Host.Services.GetRequiredService<KubeletRegistration>();
        var reports = new List<KubeletRegistrationStatus>();
        registration.Changed += (_, s) => reports.Add(s);
        string authority = Http2GrpcClient.GrpcGoAuthority(plugin.RegistrationSocketPath);

        // Another local process reports "not registered" without GetInfo, and after a GetInfo on another connection.
        await using (Http2GrpcClient stray = await Http2GrpcClient.ConnectAsync(plugin.RegistrationSocketPath, new Http2GrpcClientOptions { Authority = authority }, Ct))
        {
            RpcException error = await Assert.ThrowsAsync<RpcException>(() => Notify(stray, registered: false));
            Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        }

        await using (Http2GrpcClient first = await Http2GrpcClient.ConnectAsync(plugin.RegistrationSocketPath, new Http2GrpcClientOptions { Authority = authority }, Ct))
        await using (Http2GrpcClient second = await Http2GrpcClient.ConnectAsync(plugin.RegistrationSocketPath, new Http2GrpcClientOptions { Authority = authority }, Ct))
        {
            await first.UnaryAsync("/pluginregistration.Registration/GetInfo", new InfoRequest(), PluginInfo.Parser, TimeSpan.FromSeconds(1), Ct);
            await Assert.ThrowsAsync<RpcException>(() => Notify(second, registered: false));
        }

        Assert.Equal(KubeletRegistrationState.Registered, registration.Status.State);
        Assert.Equal(2, registration.Status.IgnoredReports);
        Assert.DoesNotContain(reports, r => r.State != KubeletRegistrationState.Registered);
        Assert.Equal(2, host.Logs.Snapshot().Count(l => l.StartsWith("Warning:", StringComparison.Ordinal) && l.Contains("Ignored NotifyRegistrationStatus(registered=False)", StringComparison.Ordinal)));

        // The kubelet's own cycle (GetInfo, then the report, on one connection) does change it.
        await Assert.ThrowsAsync<RpcException>(() => plugin.NotifyRegistrationStatusAsync(new RegistrationStatus { PluginRegistered = false, Error = "gone" }, Ct));
        Assert.Equal(KubeletRegistrationState.Refused, registration.Status.State);
        await plugin.NotifyRegistrationStatusAsync(new RegistrationStatus { PluginRegistered = true }, Ct);
        Assert.True(registration.IsRegistered);
        await registration.WaitForRegistrationAsync(Ct).WaitAsync(TimeSpan.FromSeconds(5), Ct);

        Task<RegistrationStatusResponse> Notify(Http2GrpcClient client, bool registered) => client.UnaryAsync(
            "/pluginregistration.Registration/NotifyRegistrationStatus",
            new RegistrationStatus { PluginRegistered = registered, Error = "stray" },
            RegistrationStatusResponse.Parser,
            TimeSpan.FromSeconds(5),
            Ct);
    }

    [Fact]
    public async Task The_registration_is_a_metric()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        using var registered = new MetricCollector<int>(host.Host.Services.GetRequiredService<IMeterFactory>(), "DraSdk.KubeletPlugin", "drasdk.kubelet_plugin.registered");
        using var reports = new MetricCollector<long>(host.Host.Services.GetRequiredService<IMeterFactory>(), "DraSdk.KubeletPlugin", "drasdk.kubelet_plugin.registration.reports");
        registered.RecordObservableInstruments();
        Assert.Equal(0, registered.LastMeasurement!.Value);

        KubeletPluginConnection plugin = await host.RegisterAsync();
        registered.RecordObservableInstruments();
        Assert.Equal(1, registered.LastMeasurement!.Value);

        await Assert.ThrowsAsync<RpcException>(() => plugin.NotifyRegistrationStatusAsync(new RegistrationStatus { PluginRegistered = false, Error = "no" }, Ct));
        registered.RecordObservableInstruments();
        Assert.Equal(0, registered.LastMeasurement!.Value);
        Assert.Equal(["registered", "refused"], reports.GetMeasurementSnapshot().Select(m => (string)m.Tags["result"]!));
    }

    [Fact]
    public async Task A_driver_no_kubelet_registers_warns_after_the_delay_and_again_until_it_is_registered()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>(options: o => o.RegistrationWarningDelay = TimeSpan.FromMilliseconds(300));

        string[] warnings = await WaitForAsync(host, l => l.Contains("is not registered with the kubelet", StringComparison.Ordinal), count: 2);
        Assert.All(warnings, w => Assert.StartsWith("Warning:", w, StringComparison.Ordinal));
        Assert.All(warnings, w => Assert.Contains("the kubelet has not called it; check that the kubelet runs and that " + host.RegistrarDirectory, w, StringComparison.Ordinal));
        Assert.Contains("Its ResourceSlices are not published until the kubelet registers it", warnings[0], StringComparison.Ordinal);

        await host.RegisterAsync();
        await WaitForAsync(host, l => l.Contains("is registered with the kubelet", StringComparison.Ordinal), count: 1);
        int before = host.Logs.Snapshot().Count(l => l.Contains("is not registered with the kubelet", StringComparison.Ordinal));
        await Task.Delay(700, Ct);
        Assert.Equal(before, host.Logs.Snapshot().Count(l => l.Contains("is not registered with the kubelet", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_refused_driver_warns_with_the_kubelets_error()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>(options: o => o.RegistrationWarningDelay = TimeSpan.FromMilliseconds(200));
        KubeletPluginConnection plugin = await host.RegisterAsync();
        await Assert.ThrowsAsync<RpcException>(() => plugin.NotifyRegistrationStatusAsync(new RegistrationStatus { PluginRegistered = false, Error = "plugin validation failed" }, Ct));

        string warning = (await WaitForAsync(host, l => l.Contains("is not registered with the kubelet", StringComparison.Ordinal) && l.Contains("refused", StringComparison.Ordinal), count: 1))[0];
        Assert.StartsWith("Warning:", warning, StringComparison.Ordinal);
        Assert.Contains("the kubelet refused it at ", warning, StringComparison.Ordinal);
        Assert.Contains(": plugin validation failed", warning, StringComparison.Ordinal);
    }

    private static async Task<string[]> WaitForAsync(DriverHost host, Func<string, bool> match, int count)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            string[] lines = [.. host.Logs.Snapshot().Where(match)];
            if (lines.Length >= count)
            {
                return lines;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{lines.Length} of {count} log lines came:\n" + string.Join("\n", host.Logs.Snapshot()));
            await Task.Delay(20, Ct);
        }
    }

    [Fact]
    public async Task Health_services_are_advertised_only_when_the_driver_offers_health()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>(
            services: s => s.AddSingleton<DeviceHealthTracker>(),
            builder: b => b.AddDeviceHealth<DeviceHealthTracker>());
        KubeletPluginConnection plugin = await host.RegisterAsync();

        Assert.Equal(["v1.DRAPlugin", "v1beta1.DRAPlugin", "v1alpha1.DRAResourceHealth", "v1.DRAResourceHealth"], plugin.SupportedVersions);
    }

    [Fact]
    public async Task Only_v1beta1_can_be_served_for_old_kubelets()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>(options: o => o.ServeV1 = false);
        KubeletPluginConnection plugin = await host.RegisterAsync();

        Assert.Equal(["v1beta1.DRAPlugin"], plugin.SupportedVersions);
        Assert.Equal("v1beta1", plugin.DraVersion);
    }
}
