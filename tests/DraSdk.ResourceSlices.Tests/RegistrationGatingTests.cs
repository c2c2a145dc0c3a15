using DraSdk.Kubelet.Api.PluginRegistration.V1;
using DraSdk.KubeletPlugin;
using DraSdk.ResourceSlices.Tests.Infrastructure;
using DraSdk.Testing;
using Grpc.Core;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Api;

namespace DraSdk.ResourceSlices.Tests;

/// <summary>
/// With the kubelet plugin in the same host, devices are advertised only while the kubelet can prepare them: after it
/// registered the driver, and not after it refused it (the kubelet's own cleanup would otherwise fight the publisher).
/// </summary>
public sealed class RegistrationGatingTests
{
    [Fact]
    public async Task Nothing_is_published_before_the_kubelet_registers_the_driver()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using DriverWithPublisher driver = await DriverWithPublisher.StartAsync(api.CreateClient());

        Task published = driver.Publisher.PublishDevicesAsync([Gpu(0)], Timeout(20));
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.False(published.IsCompleted);
        Assert.DoesNotContain(api.Requests, r => r.Resource == "resourceslices");
        Assert.False(driver.Publisher.Status.IsUpToDate);

        await driver.Kubelet.WaitForDriverAsync(PublisherHost.DriverName, Timeout());
        await published;
        Assert.Equal(["gpu-0"], Assert.Single(api.Slices()).Spec.Devices.Select(d => d.Name));
        Assert.Contains(driver.Logs.Snapshot(), l => l.Contains("wait for the kubelet to register the driver", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Registration_does_not_wait_for_the_API_server()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        var down = new UnreachableWhileDown();
        await using DriverWithPublisher driver = await DriverWithPublisher.StartAsync(new Kubernetes(api.CreateClientConfiguration(), down));
        driver.Publisher.Update(DriverResources.ForNode(PublisherHost.NodeName, [Gpu(0)]));

        await driver.Kubelet.WaitForDriverAsync(PublisherHost.DriverName, Timeout());
        await EventuallyAsync(() => down.Refused > 0, "the publisher tried the unreachable API server");
        Assert.Empty(api.Slices());

        down.Down = false;
        await EventuallyAsync(() => api.Slices().Count == 1, "the slice was published once the API server was reachable");
    }

    [Fact]
    public async Task A_refused_registration_withdraws_the_slices_and_a_new_registration_publishes_them_again()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using DriverWithPublisher driver = await DriverWithPublisher.StartAsync(api.CreateClient());
        KubeletPluginConnection plugin = await driver.Kubelet.WaitForDriverAsync(PublisherHost.DriverName, Timeout());
        await driver.Publisher.PublishDevicesAsync([Gpu(0), Gpu(1)], Timeout());
        Assert.Single(api.Slices());

        await Assert.ThrowsAsync<RpcException>(() => plugin.NotifyRegistrationStatusAsync(
            new RegistrationStatus { PluginRegistered = false, Error = "RegisterPlugin error -- plugin validation failed" }, TestContext.Current.CancellationToken));
        await EventuallyAsync(() => api.Slices().Count == 0, "the slices were withdrawn");
        Assert.Contains(driver.Logs.Snapshot(), l => l.StartsWith("Warning:", StringComparison.Ordinal) && l.Contains("withdrawing its ResourceSlices", StringComparison.Ordinal));

        // While refused, the publisher does not re-create them (no fight with the kubelet's cleanup) ...
        driver.Publisher.Update(DriverResources.ForNode(PublisherHost.NodeName, [Gpu(0), Gpu(1), Gpu(2)]));
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Empty(api.Slices());

        // ... and publishes the latest devices when the kubelet registers the driver again.
        await plugin.NotifyRegistrationStatusAsync(new RegistrationStatus { PluginRegistered = true }, TestContext.Current.CancellationToken);
        await EventuallyAsync(() => api.Slices() is [{ Spec.Devices.Count: 3 }], "the slices were published again");
    }

    [Fact]
    public async Task A_stray_status_report_does_not_withdraw_the_slices()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        await using DriverWithPublisher driver = await DriverWithPublisher.StartAsync(api.CreateClient());
        KubeletPluginConnection plugin = await driver.Kubelet.WaitForDriverAsync(PublisherHost.DriverName, Timeout());
        await driver.Publisher.PublishDevicesAsync([Gpu(0)], Timeout());

        await using (Http2GrpcClient stray = await Http2GrpcClient.ConnectAsync(plugin.RegistrationSocketPath, cancellationToken: TestContext.Current.CancellationToken))
        {
            await Assert.ThrowsAsync<RpcException>(() => stray.UnaryAsync(
                "/pluginregistration.Registration/NotifyRegistrationStatus",
                new RegistrationStatus { PluginRegistered = false, Error = "not the kubelet" },
                RegistrationStatusResponse.Parser,
                TimeSpan.FromSeconds(5),
                TestContext.Current.CancellationToken));
        }

        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Single(api.Slices());
        Assert.DoesNotContain(api.Requests, r => r.Resource == "resourceslices" && r.Verb == "delete");
    }

    /// <summary>The kubelet plugin and the publisher in one host, with a fake kubelet on its registration directory.</summary>
    private sealed class DriverWithPublisher : IAsyncDisposable
    {
        private readonly string _root;

        private DriverWithPublisher(IHost host, string root, ListLogger logs)
        {
            Host = host;
            _root = root;
            Logs = logs;
            Kubelet = new FakeKubelet(Path.Combine(root, "reg"));
        }

        public IHost Host { get; }

        public FakeKubelet Kubelet { get; }

        public ListLogger Logs { get; }

        public IResourceSlicePublisher Publisher => Host.Services.GetRequiredService<IResourceSlicePublisher>();

        public static async Task<DriverWithPublisher> StartAsync(IKubernetes client)
        {
            string root = Path.Combine("/tmp", "drg-" + Guid.NewGuid().ToString("N")[..10]);
            var logs = new ListLogger();
            HostApplicationBuilder hb = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            hb.Logging.ClearProviders();
            hb.Logging.AddProvider(logs);
            hb.Services.AddSingleton(client);
            hb.Services
                .AddDraDriver<NoopDriver>(o =>
                {
                    o.DriverName = PublisherHost.DriverName;
                    o.NodeName = PublisherHost.NodeName;
                    o.RegistrarDirectoryPath = Path.Combine(root, "reg");
                    o.KubeletPluginsDirectoryPath = Path.Combine(root, "plugins");
                    o.CdiRoot = Path.Combine(root, "cdi");
                })
                .AddResourceSlicePublisher(o =>
                {
                    o.InitialBackoff = TimeSpan.FromMilliseconds(10);
                    o.MaxBackoff = TimeSpan.FromMilliseconds(200);
                    o.SyncDelay = TimeSpan.FromMilliseconds(20);
                });
            IHost host = hb.Build();
            await host.StartAsync(TestContext.Current.CancellationToken);
            return new DriverWithPublisher(host, root, logs);
        }

        public async ValueTask DisposeAsync()
        {
            await Kubelet.DisposeAsync();
            await Host.StopAsync(TimeSpan.FromSeconds(10));
            Host.Dispose();
            Directory.Delete(_root, recursive: true);
        }
    }
}
