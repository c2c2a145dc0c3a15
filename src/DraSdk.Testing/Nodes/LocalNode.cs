using System.Globalization;
using System.Net;
using System.Text.Json;
using DraSdk.Allocation;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DraSdk.Testing;

/// <summary>
/// A Kubernetes node on this machine, for a driver's tests and demos: the driver on a generic host in this process,
/// configured as a DaemonSet configures it (<c>NODE_NAME</c>, the kubelet's directories and <c>CDI_ROOT</c> under
/// one root directory); a <see cref="FakeKubelet"/> that registers it and calls it over its real Unix sockets; and an
/// <see cref="InMemoryKubernetesApiServer"/> in place of the cluster, holding the Node, the driver's DeviceClass and
/// its ResourceSlices. Claims are allocated by DraSdk's copy of the scheduler's allocator.
/// </summary>
/// <example>
/// <code>
/// await using var node = await LocalNode.StartAsync(new LocalNodeOptions
/// {
///     ApiServer = api, DriverName = "gpu.example.com", RootDirectory = root, ConfigureHost = b => b.AddMyDriver(),
/// });
/// var claim = await node.CreateAndAllocateClaimAsync("one");
/// var result = (await node.Plugin.PrepareAsync([claim])).Claims[claim.Metadata.Uid];
/// </code>
/// </example>
public sealed class LocalNode : IAsyncDisposable
{
    private readonly LocalNodeOptions _options;

    private LocalNode(LocalNodeOptions options, IHost host, IKubernetes client, FakeKubelet kubelet, KubeletPluginConnection plugin)
    {
        _options = options;
        Host = host;
        Client = client;
        Kubelet = kubelet;
        Plugin = plugin;
    }

    /// <summary>The driver's host.</summary>
    public IHost Host { get; }

    /// <summary>A client of the in-memory API server.</summary>
    public IKubernetes Client { get; }

    /// <summary>The fake kubelet.</summary>
    public FakeKubelet Kubelet { get; }

    /// <summary>The fake kubelet's connection to the driver: prepare, unprepare, health.</summary>
    public KubeletPluginConnection Plugin { get; }

    /// <summary>The node's name.</summary>
    public string NodeName => _options.NodeName;

    /// <summary>The driver's name.</summary>
    public string DriverName => _options.DriverName;

    /// <summary>The kubelet's plugin registration directory (<c>KUBELET_REGISTRAR_DIRECTORY_PATH</c>).</summary>
    public string RegistrarDirectoryPath => RegistrarDirectory(_options.RootDirectory);

    /// <summary>The kubelet's plugins directory (<c>KUBELET_PLUGINS_DIRECTORY_PATH</c>).</summary>
    public string PluginsDirectoryPath => PluginsDirectory(_options.RootDirectory);

    /// <summary>Where the driver writes its CDI specs (<c>CDI_ROOT</c>).</summary>
    public string CdiRoot => CdiDirectory(_options.RootDirectory);

    /// <summary>Creates a new, short temporary root directory (<c>/tmp/dra-&lt;8 hex&gt;</c>); the caller deletes it.</summary>
    public static string NewRootDirectory()
    {
        string root = Path.Combine("/tmp", "dra-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        return root;
    }

    /// <summary>
    /// Creates the Node (and the driver's DeviceClass) when missing, starts the driver's host, and waits until the fake
    /// kubelet has registered the driver.
    /// </summary>
    /// <param name="options">What to run.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<LocalNode> StartAsync(LocalNodeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        IKubernetes client = options.ApiServer.CreateClient();
        await CreateIfMissingAsync(() => client.CoreV1.CreateNodeAsync(new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta { Name = options.NodeName, Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = options.NodeName } },
        }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (options.CreateDeviceClass)
        {
            await CreateIfMissingAsync(() => client.ResourceV1.CreateDeviceClassAsync(new V1DeviceClass
            {
                ApiVersion = "resource.k8s.io/v1",
                Kind = "DeviceClass",
                Metadata = new V1ObjectMeta { Name = options.DriverName },
                Spec = new V1DeviceClassSpec { Selectors = [new V1DeviceSelector { Cel = new V1CELDeviceSelector { Expression = $"device.driver == '{options.DriverName}'" } }] },
            }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["NODE_NAME"] = options.NodeName,
            ["KUBELET_REGISTRAR_DIRECTORY_PATH"] = RegistrarDirectory(options.RootDirectory),
            ["KUBELET_PLUGINS_DIRECTORY_PATH"] = PluginsDirectory(options.RootDirectory),
            ["CDI_ROOT"] = CdiDirectory(options.RootDirectory),
        };
        foreach ((string key, string? value) in options.Configuration)
        {
            settings[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(client);
        options.ConfigureHost(builder);

        IHost host = builder.Build();
        FakeKubelet? kubelet = null;
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            kubelet = new FakeKubelet(RegistrarDirectory(options.RootDirectory));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.RegistrationTimeout);
            KubeletPluginConnection plugin = await kubelet.WaitForDriverAsync(options.DriverName, timeout.Token).ConfigureAwait(false);
            return new LocalNode(options, host, client, kubelet, plugin);
        }
        catch
        {
            if (kubelet is not null)
            {
                await kubelet.DisposeAsync().ConfigureAwait(false);
            }

            host.Dispose();
            throw;
        }
    }

    /// <summary>Waits until the driver has published a ResourceSlice for this node (that matches <paramref name="condition"/>), and returns it.</summary>
    /// <param name="condition">What the slice must satisfy, e.g. <c>s =&gt; s.Spec.Devices.Count == 8</c>; null for any slice.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    public async Task<V1ResourceSlice> WaitForResourceSliceAsync(Func<V1ResourceSlice, bool>? condition = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            V1ResourceSliceList slices = await Client.ResourceV1.ListResourceSliceAsync(fieldSelector: $"spec.nodeName={NodeName}", cancellationToken: cancellationToken).ConfigureAwait(false);
            if (slices.Items.Where(s => s.Spec.Driver == DriverName && (condition is null || condition(s))).OrderBy(s => s.Metadata.Name, StringComparer.Ordinal).FirstOrDefault() is { } slice)
            {
                return slice;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until the driver has published a ResourceSlice for this node, and returns the first one.</summary>
    /// <param name="cancellationToken">Ends the wait.</param>
    public Task<V1ResourceSlice> WaitForResourceSliceAsync(CancellationToken cancellationToken) => WaitForResourceSliceAsync(null, cancellationToken);

    /// <summary>
    /// Creates a claim (namespace <c>default</c>) for one device of the driver's DeviceClass and allocates it on this
    /// node as the scheduler would: DraSdk's allocator over the DeviceClasses, the published slices and the claims
    /// already allocated.
    /// </summary>
    /// <param name="name">The claim's name.</param>
    /// <param name="selector">A CEL expression the device must match, e.g. <c>device.attributes['gpu.example.com'].index == 1</c>.</param>
    /// <param name="configJson">Opaque configuration parameters for the driver (a JSON object), or null for none.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <exception cref="InvalidOperationException">No device of the driver fits; the message says why.</exception>
    public Task<Resourcev1ResourceClaim> CreateAndAllocateClaimAsync(string name, string? selector = null, string? configJson = null, CancellationToken cancellationToken = default) =>
        CreateAndAllocateClaimAsync(new LocalClaim(name) { Selector = selector, ConfigJson = configJson }, cancellationToken);

    /// <summary>
    /// Creates a claim as <paramref name="claim"/> describes it and allocates it on this node as the scheduler would:
    /// DraSdk's allocator over the DeviceClasses, the published slices and the claims already allocated. It first waits
    /// for the driver's first ResourceSlice of this node, so pass a token with a timeout when the driver may publish none.
    /// </summary>
    /// <param name="claim">The claim: class, request name, selector, count, admin access, opaque configuration.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <exception cref="InvalidOperationException">The claim does not fit on this node; the message says why.</exception>
    public async Task<Resourcev1ResourceClaim> CreateAndAllocateClaimAsync(LocalClaim claim, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var request = new V1ExactDeviceRequest
        {
            DeviceClassName = claim.DeviceClassName ?? DriverName,
            AllocationMode = "ExactCount",
            Count = claim.Count,
            AdminAccess = claim.AdminAccess ? true : null,
        };
        if (claim.Selector is not null)
        {
            request.Selectors = [new V1DeviceSelector { Cel = new V1CELDeviceSelector { Expression = claim.Selector } }];
        }

        using JsonDocument? config = claim.ConfigJson is null ? null : JsonDocument.Parse(claim.ConfigJson);
        var resource = new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = claim.Name, NamespaceProperty = claim.Namespace },
            Spec = new V1ResourceClaimSpec
            {
                Devices = new V1DeviceClaim
                {
                    Requests = [new V1DeviceRequest { Name = claim.RequestName, Exactly = request }],
                    Config = config is null ? null : [new V1DeviceClaimConfiguration { Opaque = new V1OpaqueDeviceConfiguration { Driver = DriverName, Parameters = config.RootElement.Clone() } }],
                },
            },
        };
        Resourcev1ResourceClaim created = await Client.ResourceV1.CreateNamespacedResourceClaimAsync(resource, claim.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        await WaitForResourceSliceAsync(cancellationToken).ConfigureAwait(false);
        return await AllocateAsync(created, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Allocates an existing claim on this node as the scheduler would, and writes its status.</summary>
    /// <param name="claim">The claim, as stored in the API server.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <exception cref="InvalidOperationException">The claim does not fit on this node; the message says why.</exception>
    public async Task<Resourcev1ResourceClaim> AllocateAsync(Resourcev1ResourceClaim claim, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var allocator = new Allocator(
            (await Client.ResourceV1.ListDeviceClassAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Items,
            (await Client.ResourceV1.ListResourceSliceAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Items);
        AllocatedState inUse = AllocatedState.FromClaims((await Client.ResourceV1.ListResourceClaimForAllNamespacesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Items);
        V1Node node = await Client.CoreV1.ReadNodeAsync(NodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
        IReadOnlyList<V1AllocationResult>? results = allocator.Allocate(AllocationNode.From(node), [claim], inUse, cancellationToken);
        if (results is null)
        {
            AllocationExplanation why = allocator.Explain(AllocationNode.From(node), [claim], inUse, cancellationToken);
            throw new InvalidOperationException($"claim {claim.Metadata.NamespaceProperty}/{claim.Metadata.Name} does not fit on node {NodeName}: {Describe(why)}");
        }

        claim.Status = new V1ResourceClaimStatus { Allocation = results[0] };
        return await Client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(claim, claim.Metadata.Name, claim.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates a claim already allocated to a device of this node's pool, whether or not the driver has it: how a
    /// claim looks to a driver that restarted with fewer devices than it had when the claim was scheduled.
    /// </summary>
    /// <param name="name">The claim's name, in namespace <c>default</c>.</param>
    /// <param name="device">The device name.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    public async Task<Resourcev1ResourceClaim> CreateClaimAllocatedToAsync(string name, string device, CancellationToken cancellationToken = default)
    {
        var claim = new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec { Devices = new V1DeviceClaim { Requests = [new V1DeviceRequest { Name = "req", Exactly = new V1ExactDeviceRequest { DeviceClassName = DriverName } }] } },
        };
        Resourcev1ResourceClaim created = await Client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default", cancellationToken: cancellationToken).ConfigureAwait(false);
        created.Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult { Results = [new V1DeviceRequestAllocationResult { Request = "req", Driver = DriverName, Pool = NodeName, Device = device }] },
            },
        };
        return await Client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, name, "default", cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the fake kubelet and the driver (the root directory and the API server stay).</summary>
    public async ValueTask DisposeAsync()
    {
        await Kubelet.DisposeAsync().ConfigureAwait(false);
        await Host.StopAsync().ConfigureAwait(false);
        Host.Dispose();
    }

    private static string Describe(AllocationExplanation why) => why.Error ?? string.Join("; ", why.Claims.SelectMany(c => c.Requests).Select(r =>
        $"request {r.Request} (class {r.DeviceClass}) needs {r.Needed.ToString(CultureInfo.InvariantCulture)}, {r.InScope.ToString(CultureInfo.InvariantCulture)} in scope"
        + string.Concat(r.Removed.Where(p => p.Value > 0).Select(p => $", {p.Value.ToString(CultureInfo.InvariantCulture)} removed by {p.Key}"))
        + $", {r.Available.ToString(CultureInfo.InvariantCulture)} left"
        + (r.SelectorError is null ? string.Empty : $"; selector error: {r.SelectorError}")));

    private static string RegistrarDirectory(string root) => Path.Combine(root, "reg");

    private static string PluginsDirectory(string root) => Path.Combine(root, "plugins");

    private static string CdiDirectory(string root) => Path.Combine(root, "cdi");

    private static async Task CreateIfMissingAsync(Func<Task> create)
    {
        try
        {
            await create().ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // already there: a restart
        }
    }
}
