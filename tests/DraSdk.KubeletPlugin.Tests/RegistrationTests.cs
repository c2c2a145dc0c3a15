using DraSdk.Kubelet.Api.PluginRegistration.V1;
using DraSdk.KubeletPlugin.Tests.Infrastructure;
using DraSdk.Testing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace DraSdk.KubeletPlugin.Tests;

public sealed class RegistrationTests
{
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
        Assert.Null(registration.Error);
        Assert.NotNull(registration.ReportedAt);
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
        Assert.Equal("plugin gpu.example.com already registered", registration.Error);
        Assert.Contains(host.Logs.Snapshot(), e => e.StartsWith("Error:", StringComparison.Ordinal) && e.Contains("refused to register driver gpu.example.com: plugin gpu.example.com already registered", StringComparison.Ordinal));
        Assert.Empty((await plugin.PrepareAsync([], TestContext.Current.CancellationToken)).Claims);
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
