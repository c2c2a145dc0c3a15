using System.Text.Json;
using DraSdk.Allocation;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Acme.DeviceDriver.Local;

/// <summary>
/// A node on this machine, for the <c>demo</c> command and the tests: the driver on a generic host, a fake kubelet that
/// registers it and calls it over its real Unix sockets, and an in-memory Kubernetes API server in place of the cluster.
/// Everything lives under one short root directory.
/// </summary>
internal sealed class LocalNode : IAsyncDisposable
{
    public const string NodeName = "node-a";

    /// <summary>How many devices the local node has: the driver's default, but at least two (some tests need two).</summary>
    public static int DeviceCount { get; } = Math.Max(DriverInfo.DefaultDeviceCount, 2);

    private LocalNode(IHost host, IKubernetes client, FakeKubelet kubelet, KubeletPluginConnection plugin, string root)
    {
        Host = host;
        Client = client;
        Kubelet = kubelet;
        Plugin = plugin;
        CdiRoot = Path.Combine(root, "cdi");
    }

    /// <summary>The driver's host.</summary>
    public IHost Host { get; }

    /// <summary>A client of the in-memory API server.</summary>
    public IKubernetes Client { get; }

    /// <summary>The fake kubelet.</summary>
    public FakeKubelet Kubelet { get; }

    /// <summary>The fake kubelet's connection to the driver: NodePrepareResources, NodeUnprepareResources, health.</summary>
    public KubeletPluginConnection Plugin { get; }

    /// <summary>Where the driver writes its CDI specs.</summary>
    public string CdiRoot { get; }

    /// <summary>A new root directory; short, because Unix socket paths are limited to 107 bytes.</summary>
    public static string NewRoot()
    {
        string root = Path.Combine("/tmp", "dra-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        return root;
    }

    /// <summary>
    /// Creates the Node and the driver's DeviceClass (what the Helm chart installs) when they are missing, starts the
    /// driver with its directories under <paramref name="root"/>, and waits until the fake kubelet has registered it.
    /// The API server and the root outlive the node, so a second start is a driver restart.
    /// </summary>
    public static async Task<LocalNode> StartAsync(InMemoryKubernetesApiServer api, string root, Action<HostApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        IKubernetes client = api.CreateClient();
        await CreateIfMissingAsync(() => client.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = NodeName } }, cancellationToken: cancellationToken));
        await CreateIfMissingAsync(() => client.ResourceV1.CreateDeviceClassAsync(new V1DeviceClass
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "DeviceClass",
            Metadata = new V1ObjectMeta { Name = DriverInfo.DriverName },
            Spec = new V1DeviceClassSpec { Selectors = [new V1DeviceSelector { Cel = new V1CELDeviceSelector { Expression = $"device.driver == '{DriverInfo.DriverName}'" } }] },
        }, cancellationToken: cancellationToken));

        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["NODE_NAME"] = NodeName,
            ["NUM_DEVICES"] = DeviceCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.Services.AddSingleton(client);
        builder.AddDeviceDriver(o =>
        {
            o.RegistrarDirectoryPath = Path.Combine(root, "reg");
            o.KubeletPluginsDirectoryPath = Path.Combine(root, "plugins");
            o.CdiRoot = Path.Combine(root, "cdi");
        });
        configure?.Invoke(builder);

        IHost host = builder.Build();
        await host.StartAsync(cancellationToken);
        var kubelet = new FakeKubelet(Path.Combine(root, "reg"));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        KubeletPluginConnection plugin = await kubelet.WaitForDriverAsync(DriverInfo.DriverName, timeout.Token);
        return new LocalNode(host, client, kubelet, plugin, root);
    }

    /// <summary>Waits until the driver's ResourceSlice for this node is published, and returns it.</summary>
    public async Task<V1ResourceSlice> WaitForResourceSliceAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            V1ResourceSliceList slices = await Client.ResourceV1.ListResourceSliceAsync(fieldSelector: $"spec.nodeName={NodeName}", cancellationToken: cancellationToken);
            if (slices.Items.FirstOrDefault(s => s.Spec.Driver == DriverInfo.DriverName) is { } slice)
            {
                return slice;
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>
    /// Creates a claim for one device of the driver's DeviceClass and allocates it as the scheduler would (DraSdk's
    /// structured-parameters allocator over the published slices and the claims already allocated).
    /// </summary>
    /// <param name="name">The claim's name, in namespace <c>default</c>.</param>
    /// <param name="selector">A CEL expression the device must match, e.g. <c>device.attributes['…'].index == 1</c>.</param>
    /// <param name="configJson">The opaque configuration's parameters, or null for none.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    public async Task<Resourcev1ResourceClaim> CreateAndAllocateClaimAsync(string name, string? selector = null, string? configJson = null, CancellationToken cancellationToken = default)
    {
        var request = new V1ExactDeviceRequest { DeviceClassName = DriverInfo.DriverName };
        if (selector is not null)
        {
            request.Selectors = [new V1DeviceSelector { Cel = new V1CELDeviceSelector { Expression = selector } }];
        }

        var claim = new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec
            {
                Devices = new V1DeviceClaim
                {
                    Requests = [new V1DeviceRequest { Name = "req", Exactly = request }],
                    Config = configJson is null ? null :
                        [new V1DeviceClaimConfiguration { Opaque = new V1OpaqueDeviceConfiguration { Driver = DriverInfo.DriverName, Parameters = JsonDocument.Parse(configJson).RootElement } }],
                },
            },
        };
        Resourcev1ResourceClaim created = await Client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default", cancellationToken: cancellationToken);

        await WaitForResourceSliceAsync(cancellationToken);
        var allocator = new Allocator(
            (await Client.ResourceV1.ListDeviceClassAsync(cancellationToken: cancellationToken)).Items,
            (await Client.ResourceV1.ListResourceSliceAsync(cancellationToken: cancellationToken)).Items);
        AllocatedState inUse = AllocatedState.FromClaims((await Client.ResourceV1.ListResourceClaimForAllNamespacesAsync(cancellationToken: cancellationToken)).Items);
        IReadOnlyList<V1AllocationResult> allocation = allocator.Allocate(new AllocationNode(NodeName), [created], inUse, cancellationToken)
            ?? throw new InvalidOperationException($"claim {name}: no device of {DriverInfo.DriverName} on {NodeName} fits (free, matching the selector)");
        created.Status = new V1ResourceClaimStatus { Allocation = allocation[0] };
        return await Client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, name, "default", cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Creates a claim already allocated to <paramref name="device"/>, whether or not the node has it: how a claim looks
    /// to a driver that restarted with fewer devices than it had when the claim was scheduled.
    /// </summary>
    public async Task<Resourcev1ResourceClaim> CreateClaimAllocatedToAsync(string name, string device, CancellationToken cancellationToken = default)
    {
        var claim = new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec { Devices = new V1DeviceClaim { Requests = [new V1DeviceRequest { Name = "req", Exactly = new V1ExactDeviceRequest { DeviceClassName = DriverInfo.DriverName } }] } },
        };
        Resourcev1ResourceClaim created = await Client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default", cancellationToken: cancellationToken);
        created.Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult { Results = [new V1DeviceRequestAllocationResult { Request = "req", Driver = DriverInfo.DriverName, Pool = NodeName, Device = device }] },
            },
        };
        return await Client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, name, "default", cancellationToken: cancellationToken);
    }

    /// <summary>Stops the fake kubelet and the driver.</summary>
    public async ValueTask DisposeAsync()
    {
        await Kubelet.DisposeAsync();
        await Host.StopAsync();
        Host.Dispose();
    }

    private static async Task CreateIfMissingAsync(Func<Task> create)
    {
        try
        {
            await create();
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // already there: a restart
        }
    }
}
