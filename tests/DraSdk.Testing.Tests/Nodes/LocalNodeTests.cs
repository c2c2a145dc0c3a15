using DraSdk.KubeletPlugin;
using DraSdk.ResourceSlices;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace DraSdk.Testing.Tests.Nodes;

/// <summary>LocalNode: a driver's host, the fake kubelet and the in-memory API server put together.</summary>
public sealed class LocalNodeTests : IAsyncLifetime
{
    private const string Driver = "local.example.com";
    private readonly string _root = LocalNode.NewRootDirectory();
    private InMemoryKubernetesApiServer _api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _api = await InMemoryKubernetesApiServer.StartAsync(Ct);

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task The_driver_runs_as_a_daemonset_would_configure_it_and_is_registered()
    {
        await using LocalNode node = await StartAsync();

        Assert.Contains("v1.DRAPlugin", node.Plugin.SupportedVersions);
        Assert.Equal(Path.Combine(_root, "plugins", Driver, "dra.sock"), node.Plugin.Endpoint);
        Assert.NotNull(_api.Get<V1Node>("node-a"));
        Assert.Equal($"device.driver == '{Driver}'", _api.Get<V1DeviceClass>(Driver)!.Spec.Selectors.Single().Cel.Expression);
        V1ResourceSlice slice = await node.WaitForResourceSliceAsync(Ct);
        Assert.Equal(["dev-0", "dev-1", "dev-2"], slice.Spec.Devices.Select(d => d.Name)); // NUM_DEVICES from LocalNodeOptions.Configuration
    }

    [Fact]
    public async Task Claims_are_allocated_as_the_scheduler_would_and_prepared_through_the_kubelet()
    {
        await using LocalNode node = await StartAsync();

        Resourcev1ResourceClaim second = await node.CreateAndAllocateClaimAsync("second", $"device.attributes['{Driver}'].index == 1", cancellationToken: Ct);
        Resourcev1ResourceClaim any = await node.CreateAndAllocateClaimAsync("any", configJson: """{"mode":"fast"}""", cancellationToken: Ct);

        Assert.Equal("dev-1", second.Status.Allocation.Devices.Results.Single().Device);
        Assert.Equal("dev-0", any.Status.Allocation.Devices.Results.Single().Device); // first fit, dev-1 is in use
        Assert.Equal("FromClaim", any.Status.Allocation.Devices.Config.Single().Source);
        Assert.Equal("node-a", any.Status.Allocation.NodeSelector.NodeSelectorTerms.Single().MatchFields.Single().Values.Single());

        V1.NodePrepareResourcesResponse prepared = await node.Plugin.PrepareAsync([second, any], Ct);
        Assert.Equal($"{Driver}/dev=dev-1", prepared.Claims[second.Metadata.Uid].Devices.Single().CdiDeviceIds.Single());
        Assert.Equal($"{Driver}/dev=dev-0", prepared.Claims[any.Metadata.Uid].Devices.Single().CdiDeviceIds.Single());
    }

    [Fact]
    public async Task A_claim_can_name_its_class_request_count_and_admin_access()
    {
        await using LocalNode node = await StartAsync();
        await node.Client.ResourceV1.CreateDeviceClassAsync(new V1DeviceClass
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "DeviceClass",
            Metadata = new V1ObjectMeta { Name = "upper.local.example.com" },
            Spec = new V1DeviceClassSpec { Selectors = [new V1DeviceSelector { Cel = new V1CELDeviceSelector { Expression = $"device.driver == '{Driver}' && device.attributes['{Driver}'].index >= 1" } }] },
        }, cancellationToken: Ct);
        V1ResourceSlice slice = await node.WaitForResourceSliceAsync(s => s.Spec.Devices.Count == 3, Ct);

        Resourcev1ResourceClaim two = await node.CreateAndAllocateClaimAsync(new LocalClaim("two") { DeviceClassName = "upper.local.example.com", RequestName = "pair", Count = 2 }, Ct);
        // Admin access needs a namespace labelled for it, as on a real cluster.
        await node.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "monitoring", Labels = new Dictionary<string, string> { ["resource.kubernetes.io/admin-access"] = "true" } } }, cancellationToken: Ct);
        Resourcev1ResourceClaim admin = await node.CreateAndAllocateClaimAsync(new LocalClaim("admin") { Namespace = "monitoring", DeviceClassName = "upper.local.example.com", AdminAccess = true }, Ct);

        Assert.Equal([("pair", "dev-1"), ("pair", "dev-2")], two.Status.Allocation.Devices.Results.Select(r => (r.Request, r.Device)));
        V1DeviceRequestAllocationResult monitor = admin.Status.Allocation.Devices.Results.Single();
        Assert.Equal(("dev-1", true), (monitor.Device, monitor.AdminAccess)); // in use by "two", but admin access may share it
        Assert.Equal(3, slice.Spec.Devices.Count);
    }

    [Fact]
    public async Task A_claim_that_fits_nowhere_says_why()
    {
        await using LocalNode node = await StartAsync();

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            node.CreateAndAllocateClaimAsync("none", $"device.attributes['{Driver}'].index == 7", cancellationToken: Ct));

        Assert.Equal($"claim default/none does not fit on node node-a: request req (class {Driver}) needs 1, 3 in scope, 3 removed by RequestSelector, 0 left", error.Message);
    }

    [Fact]
    public async Task A_second_start_over_the_same_root_and_api_server_is_a_restart()
    {
        Resourcev1ResourceClaim claim;
        await using (LocalNode first = await StartAsync())
        {
            claim = await first.CreateAndAllocateClaimAsync("kept", cancellationToken: Ct);
        }

        Assert.False(File.Exists(Path.Combine(_root, "plugins", Driver, "dra.sock")), "the driver removed its sockets when it stopped");
        await using LocalNode second = await StartAsync();

        Assert.Equal(string.Empty, (await second.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
        Assert.Single(_api.List<V1DeviceClass>());
    }

    [Fact]
    public async Task A_driver_that_never_registers_fails_the_start_after_the_timeout()
    {
        var options = new LocalNodeOptions
        {
            ApiServer = _api,
            DriverName = "other.example.com", // the host serves local.example.com
            RootDirectory = _root,
            ConfigureHost = AddLocalDriver,
            RegistrationTimeout = TimeSpan.FromMilliseconds(500),
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => LocalNode.StartAsync(options, Ct));
    }

    private Task<LocalNode> StartAsync()
    {
        var options = new LocalNodeOptions { ApiServer = _api, DriverName = Driver, RootDirectory = _root, ConfigureHost = AddLocalDriver };
        options.Configuration["NUM_DEVICES"] = "3";
        return LocalNode.StartAsync(options, Ct);
    }

    /// <summary>What a driver's Program.cs would do: the driver, its publisher, and the publishing at start.</summary>
    private static void AddLocalDriver(HostApplicationBuilder builder)
    {
        int count = int.Parse(builder.Configuration["NUM_DEVICES"] ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        builder.Services.AddDraDriver<LocalDriver>(o => o.DriverName = Driver).AddResourceSlicePublisher();
        builder.Services.AddHostedService(sp => new Publisher(sp.GetRequiredService<IResourceSlicePublisher>(), count));
    }

    private sealed class LocalDriver : DraDriver
    {
        protected override ValueTask<PrepareResult> PrepareClaimAsync(PreparableClaim claim, CancellationToken cancellationToken) =>
            ValueTask.FromResult(PrepareResult.Success(claim.Devices.Select(d => PreparedDevice.For(d, [$"{Driver}/dev={d.Device}"]))));

        protected override ValueTask<UnprepareResult> UnprepareClaimAsync(ClaimReference claim, CancellationToken cancellationToken) =>
            ValueTask.FromResult(UnprepareResult.Success());
    }

    private sealed class Publisher(IResourceSlicePublisher publisher, int count) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            publisher.Update(DriverResources.ForNode(publisher.NodeName, Enumerable.Range(0, count).Select(i => new V1Device
            {
                Name = $"dev-{i}",
                Attributes = new Dictionary<string, V1DeviceAttribute> { ["index"] = new() { IntValue = i } },
            })));
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
