using System.Globalization;
using Acme.DeviceDriver.Config;
using DraSdk.Checkpoint;
using DraSdk.Testing;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using HV1 = DraSdk.Kubelet.Api.DraHealth.V1;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace Acme.DeviceDriver.Tests;

/// <summary>
/// The driver through a fake kubelet over its real Unix sockets, with claims from an in-memory API server allocated by
/// DraSdk's copy of the scheduler's allocator (DraSdk.Testing's <see cref="LocalNode"/>). No cluster, no root.
/// </summary>
public sealed class DriverTests : IAsyncLifetime
{
    private static readonly string Index = $"device.attributes['{DriverInfo.DriverName}'].index";

    /// <summary>The driver's default device count, but at least two: some tests need two devices.</summary>
    private static readonly int DeviceCount = Math.Max(DriverInfo.DefaultDeviceCount, 2);
    private static readonly string[] DeviceNames = [.. Enumerable.Range(0, DeviceCount).Select(i => $"{DriverInfo.DeviceKind}-{i}")];

    private readonly string _root = LocalNode.NewRootDirectory();
    private InMemoryKubernetesApiServer _api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _api = await InMemoryKubernetesApiServer.StartAsync(Ct);

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Starts the driver as the DaemonSet would, on a node of this machine; a second start is a restart.</summary>
    private Task<LocalNode> StartNodeAsync()
    {
        var options = new LocalNodeOptions { ApiServer = _api, DriverName = DriverInfo.DriverName, RootDirectory = _root, ConfigureHost = b => b.AddDeviceDriver() };
        options.Configuration["NUM_DEVICES"] = DeviceCount.ToString(CultureInfo.InvariantCulture);
        return LocalNode.StartAsync(options, Ct);
    }

    [Fact]
    public async Task Registers_and_publishes_its_devices_in_a_resource_slice()
    {
        await using var node = await StartNodeAsync();

        V1ResourceSlice slice = await node.WaitForResourceSliceAsync(Ct);

        Assert.Contains("v1.DRAPlugin", node.Plugin.SupportedVersions);
        Assert.Equal(node.NodeName, slice.Spec.NodeName);
        Assert.Equal(DeviceNames, slice.Spec.Devices.Select(d => d.Name));
        Assert.All(slice.Spec.Devices, d => Assert.NotNull(d.Attributes["uuid"].StringValue));
    }

    [Fact]
    public async Task Reports_its_devices_healthy_on_the_health_stream()
    {
        await using var node = await StartNodeAsync();

        await using IAsyncEnumerator<HV1.NodeWatchResourcesResponse> stream = node.Plugin.WatchHealthAsync(Ct).GetAsyncEnumerator(Ct);
        Assert.True(await stream.MoveNextAsync());

        Assert.Equal(DeviceNames, stream.Current.Devices.Select(d => d.Device.DeviceName));
        Assert.All(stream.Current.Devices, d => Assert.Equal(HV1.HealthStatus.Healthy, d.Health));
    }

    [Fact]
    public async Task Prepare_writes_a_cdi_spec_and_returns_its_device_ids()
    {
        await using var node = await StartNodeAsync();
        Resourcev1ResourceClaim claim = await node.CreateAndAllocateClaimAsync("one", $"{Index} == 1", cancellationToken: Ct);

        V1.NodePrepareResourceResponse result = (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];

        Assert.Equal(string.Empty, result.Error);
        V1.Device device = Assert.Single(result.Devices);
        Assert.Equal($"{DriverInfo.DeviceKind}-1", device.DeviceName);
        Assert.StartsWith($"{DriverInfo.CdiVendor}/{DriverInfo.CdiClass}=", Assert.Single(device.CdiDeviceIds), StringComparison.Ordinal);
        string spec = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(node.CdiRoot)), Ct);
        Assert.Contains($"DRA_RESOURCE_CLAIM_UID={claim.Metadata.Uid}", spec, StringComparison.Ordinal);

        // Preparing again (the kubelet retries) gives the same answer.
        V1.NodePrepareResourceResponse again = (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];
        Assert.Equal(device.CdiDeviceIds, Assert.Single(again.Devices).CdiDeviceIds);
    }

    [Fact]
    public async Task Unprepare_removes_the_cdi_spec_and_is_idempotent()
    {
        await using var node = await StartNodeAsync();
        Resourcev1ResourceClaim claim = await node.CreateAndAllocateClaimAsync("two", cancellationToken: Ct);
        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);

        V1.NodeUnprepareResourcesResponse first = await node.Plugin.UnprepareAsync([claim], Ct);
        V1.NodeUnprepareResourcesResponse second = await node.Plugin.UnprepareAsync([claim], Ct);

        Assert.Equal(string.Empty, first.Claims[claim.Metadata.Uid].Error);
        Assert.Equal(string.Empty, second.Claims[claim.Metadata.Uid].Error);
        Assert.Empty(Directory.GetFiles(node.CdiRoot));
    }

    [Fact]
    public async Task After_a_restart_and_a_reboot_a_prepared_claim_is_still_prepared_and_can_be_unprepared()
    {
        Resourcev1ResourceClaim claim;
        string[] ids;
        await using (var node = await StartNodeAsync())
        {
            claim = await node.CreateAndAllocateClaimAsync("three", cancellationToken: Ct);
            ids = [.. Assert.Single((await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Devices).CdiDeviceIds];
        }

        // A reboot also empties /var/run/cdi (a tmpfs): the driver re-creates the spec from its checkpoint.
        Directory.Delete(Path.Combine(_root, "cdi"), recursive: true);

        await using (var node = await StartNodeAsync())
        {
            Assert.Single(Directory.GetFiles(node.CdiRoot));
            V1.NodePrepareResourceResponse again = (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];
            Assert.Equal(string.Empty, again.Error);
            Assert.Equal(ids, Assert.Single(again.Devices).CdiDeviceIds);

            await node.Plugin.UnprepareAsync([claim], Ct);
            Assert.Empty(Directory.GetFiles(node.CdiRoot));
        }
    }

    [Fact]
    public async Task A_failed_cdi_write_leaves_nothing_behind_and_the_kubelets_retry_succeeds()
    {
        await using var node = await StartNodeAsync();
        Resourcev1ResourceClaim claim = await node.CreateAndAllocateClaimAsync("unlucky", cancellationToken: Ct);
        if (Directory.Exists(node.CdiRoot))
        {
            Directory.Delete(node.CdiRoot, recursive: true);
        }

        await File.WriteAllTextAsync(node.CdiRoot, "a file where the CDI directory should be", Ct);

        string error = (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error;

        Assert.Contains("writing the CDI spec of claim default/unlucky", error, StringComparison.Ordinal);
        Assert.False(node.Host.Services.GetRequiredService<PreparedClaimStore>().TryGet(claim.Metadata.Uid, out _));

        File.Delete(node.CdiRoot);
        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
        Assert.Single(Directory.GetFiles(node.CdiRoot));
    }

    [Theory]
    [InlineData("""{"apiVersion":"APIVERSION","kind":"DeviceConfig","profile":"Turbo"}""", "config[0].opaque.parameters.profile: must be one of Default, LowPower, Performance, not 'Turbo'")]
    [InlineData("""{"apiVersion":"other.example.org/v1","kind":"DeviceConfig"}""", "config[0].opaque.parameters.apiVersion: must be APIVERSION")]
    [InlineData("""{"apiVersion":"APIVERSION","kind":"DeviceConfig","profile":7}""", "config[0].opaque.parameters.profile")]
    public async Task A_bad_opaque_config_fails_that_claim_only(string config, string expected)
    {
        config = config.Replace("APIVERSION", DeviceConfig.ApiVersionValue, StringComparison.Ordinal);
        expected = expected.Replace("APIVERSION", DeviceConfig.ApiVersionValue, StringComparison.Ordinal);
        await using var node = await StartNodeAsync();
        Resourcev1ResourceClaim bad = await node.CreateAndAllocateClaimAsync("bad", configJson: config, cancellationToken: Ct);
        Resourcev1ResourceClaim good = await node.CreateAndAllocateClaimAsync("good", cancellationToken: Ct);

        V1.NodePrepareResourcesResponse response = await node.Plugin.PrepareAsync([bad, good], Ct);

        Assert.Contains(expected, response.Claims[bad.Metadata.Uid].Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, response.Claims[good.Metadata.Uid].Error);
        Assert.Single(Directory.GetFiles(node.CdiRoot)); // nothing written for the bad claim
    }

    [Fact]
    public async Task A_device_that_does_not_exist_on_the_node_is_reported()
    {
        await using var node = await StartNodeAsync();
        Resourcev1ResourceClaim claim = await node.CreateClaimAllocatedToAsync("ghost", $"{DriverInfo.DeviceKind}-99", Ct);

        string error = (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error;

        Assert.Equal($"device {node.NodeName}/{DriverInfo.DeviceKind}-99 of request req does not exist on this node", error);
    }
}
