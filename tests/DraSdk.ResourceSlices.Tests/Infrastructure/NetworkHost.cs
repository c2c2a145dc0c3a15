using DraSdk.KubeletPlugin;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DraSdk.ResourceSlices.Tests.Infrastructure;

/// <summary>A generic host with only the network-attached publisher (no kubelet plugin).</summary>
internal sealed class NetworkHost : IAsyncDisposable
{
    public const string DriverName = "nic.example.com";

    public static readonly V1OwnerReference Owner = new() { ApiVersion = "apps/v1", Kind = "Deployment", Name = "nic-controller", Uid = "0b6c1d2e-0000-4000-8000-000000000001" };

    private NetworkHost(IHost host, ListLogger logs)
    {
        Host = host;
        Logs = logs;
    }

    public IHost Host { get; }

    public ListLogger Logs { get; }

    public INetworkResourceSlicePublisher Publisher => Host.Services.GetRequiredService<INetworkResourceSlicePublisher>();

    public DriverErrorReporter Errors => Host.Services.GetRequiredService<DriverErrorReporter>();

    public static async Task<NetworkHost> StartAsync(InMemoryKubernetesApiServer api, Action<NetworkResourceSlicePublisherOptions>? configure = null, IKubernetes? client = null)
    {
        var logs = new ListLogger();
        HostApplicationBuilder hb = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        hb.Logging.ClearProviders();
        hb.Logging.AddProvider(logs);
        hb.Logging.SetMinimumLevel(LogLevel.Debug);
        hb.Services.AddSingleton(client ?? api.CreateClient());
        hb.Services.AddNetworkResourceSlicePublisher(o =>
        {
            o.DriverName = DriverName;
            o.Owner = Owner;
            o.LeaderElection = false;
            o.InitialBackoff = TimeSpan.FromMilliseconds(10);
            o.MaxBackoff = TimeSpan.FromMilliseconds(200);
            o.ResyncInterval = Timeout.InfiniteTimeSpan;
            o.SyncDelay = TimeSpan.FromMilliseconds(20);
            configure?.Invoke(o);
        });
        IHost host = hb.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new NetworkHost(host, logs);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync(TimeSpan.FromSeconds(10));
        Host.Dispose();
    }
}

internal static class Network
{
    public static List<V1ResourceSlice> NetworkSlices(this InMemoryKubernetesApiServer api) =>
        [.. api.List<V1ResourceSlice>().Where(s => s.Spec.Driver == NetworkHost.DriverName).OrderBy(s => s.Metadata.Name, StringComparer.Ordinal)];

    public static V1Device Nic(int index, string speed = "100G") => new()
    {
        Name = $"nic-{index}",
        Attributes = new Dictionary<string, V1DeviceAttribute>
        {
            ["speed"] = new() { StringValue = speed },
            ["index"] = new() { IntValue = index },
        },
    };

    public static DriverResources AllNodes(IEnumerable<V1Device> devices, string pool = "fabric") => new()
    {
        Pools = new Dictionary<string, Pool> { [pool] = new() { AllNodes = true, Slices = [new Slice { Devices = [.. devices] }] } },
    };
}
