using DraSdk.KubeletPlugin;
using DraSdk.ResourceSlices.Tests.Infrastructure;
using DraSdk.Testing;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static DraSdk.ResourceSlices.Tests.Infrastructure.Api;

namespace DraSdk.ResourceSlices.Tests;

public sealed class WiringTests
{
    [Fact]
    public async Task With_AddDraDriver_the_publisher_publishes_for_the_driver_and_node()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        api.SeedNode();
        string root = Path.Combine("/tmp", "drs-" + Guid.NewGuid().ToString("N")[..10]);
        try
        {
            HostApplicationBuilder hb = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            hb.Services.AddSingleton(api.CreateClient());
            hb.Services
                .AddDraDriver<NoopDriver>(o =>
                {
                    o.DriverName = PublisherHost.DriverName;
                    o.NodeName = PublisherHost.NodeName;
                    o.RegistrarDirectoryPath = Path.Combine(root, "reg");
                    o.KubeletPluginsDirectoryPath = Path.Combine(root, "plugins");
                    o.CdiRoot = Path.Combine(root, "cdi");
                })
                .AddResourceSlicePublisher()
                .AddResourceSlicePublisher();
            using IHost host = hb.Build();
            await host.StartAsync(TestContext.Current.CancellationToken);

            IResourceSlicePublisher publisher = host.Services.GetRequiredService<IResourceSlicePublisher>();
            Assert.Equal("node-a", publisher.NodeName);
            await using var kubelet = new FakeKubelet(Path.Combine(root, "reg"));
            await kubelet.WaitForDriverAsync(PublisherHost.DriverName, Timeout());
            await publisher.PublishDevicesAsync([Gpu(0)], Timeout());
            Assert.Equal(["gpu-0"], Assert.Single(api.Slices()).Spec.Devices.Select(d => d.Name));

            // Registered once although added twice.
            Assert.Single(host.Services.GetServices<IHostedService>(), s => s is IResourceSlicePublisher);
            Assert.Same(publisher, host.Services.GetServices<IHostedService>().OfType<IResourceSlicePublisher>().Single());
            await host.StopAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Without_a_node_name_the_host_fails_to_start_naming_NODE_NAME()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => PublisherHost.StartAsync(api, nodeName: null));
        Assert.Contains("NODE_NAME", error.Message, StringComparison.Ordinal);
        Assert.Contains("NodeName is required to publish ResourceSlices", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_publisher_options_fail_the_start()
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(
            () => PublisherHost.StartAsync(api, o => o.MaxBackoff = TimeSpan.FromMilliseconds(1)));
        Assert.Contains("MaxBackoff", error.Message, StringComparison.Ordinal);
    }
}
