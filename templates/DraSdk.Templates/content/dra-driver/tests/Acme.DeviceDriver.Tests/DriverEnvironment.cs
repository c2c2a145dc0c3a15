using System.Text.Json;
using DraSdk.Checkpoint;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Acme.DeviceDriver.Tests;

/// <summary>
/// The driver on a generic host in the test process, an in-memory Kubernetes API server, and a fake kubelet that
/// registers the driver and calls it over its real Unix sockets. Everything lives under one short temporary root.
/// </summary>
internal sealed class DriverEnvironment : IAsyncDisposable
{
    public const string Node = "node-a";

    private DriverEnvironment(IHost host, IKubernetes client, FakeKubelet kubelet, KubeletPluginConnection plugin, string root)
    {
        Host = host;
        Client = client;
        Kubelet = kubelet;
        Plugin = plugin;
        CdiRoot = Path.Combine(root, "cdi");
    }

    public IHost Host { get; }

    public IKubernetes Client { get; }

    public FakeKubelet Kubelet { get; }

    public KubeletPluginConnection Plugin { get; }

    public string CdiRoot { get; }

    /// <summary>A new temporary root; short, because Unix socket paths are limited to 107 bytes.</summary>
    public static string NewRoot()
    {
        string root = Path.Combine("/tmp", "dra-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        return root;
    }

    public static async Task<DriverEnvironment> StartAsync(InMemoryKubernetesApiServer api, string root, string? bootIdPath = null)
    {
        IKubernetes client = api.CreateClient();
        try
        {
            await client.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = Node } });
        }
        catch (k8s.Autorest.HttpOperationException)
        {
            // already there (a restart)
        }

        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["NODE_NAME"] = Node, ["NUM_DEVICES"] = "4" });
        builder.Services.AddSingleton(client);
        builder.AddDeviceDriver(o =>
        {
            o.RegistrarDirectoryPath = Path.Combine(root, "reg");
            o.KubeletPluginsDirectoryPath = Path.Combine(root, "plugins");
            o.CdiRoot = Path.Combine(root, "cdi");
        });
        if (bootIdPath is not null)
        {
            builder.Services.Configure<PreparedClaimStoreOptions>(o => o.BootIdPath = bootIdPath);
        }

        IHost host = builder.Build();
        await host.StartAsync();
        var kubelet = new FakeKubelet(Path.Combine(root, "reg"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        KubeletPluginConnection plugin = await kubelet.WaitForDriverAsync(DriverInfo.DriverName, timeout.Token);
        return new DriverEnvironment(host, client, kubelet, plugin, root);
    }

    /// <summary>Creates a claim and allocates a device of this node to it, as the scheduler would.</summary>
    public async Task<Resourcev1ResourceClaim> CreateAllocatedClaimAsync(string name, string device, string? configJson = null)
    {
        var claim = new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec { Devices = new V1DeviceClaim { Requests = [new V1DeviceRequest { Name = "req", Exactly = new V1ExactDeviceRequest { DeviceClassName = DriverInfo.DriverName } }] } },
        };
        Resourcev1ResourceClaim created = await Client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default");
        created.Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult
                {
                    Results = [new V1DeviceRequestAllocationResult { Request = "req", Driver = DriverInfo.DriverName, Pool = Node, Device = device }],
                    Config = configJson is null ? null :
                    [
                        new V1DeviceAllocationConfiguration
                        {
                            Source = "FromClaim",
                            Opaque = new V1OpaqueDeviceConfiguration { Driver = DriverInfo.DriverName, Parameters = JsonDocument.Parse(configJson).RootElement },
                        },
                    ],
                },
            },
        };
        return await Client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, name, "default");
    }

    public async ValueTask DisposeAsync()
    {
        await Kubelet.DisposeAsync();
        await Host.StopAsync();
        Host.Dispose();
    }
}
