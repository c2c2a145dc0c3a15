using Acme.DeviceDriver.Config;
using DraSdk.Testing;
using k8s.Models;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace Acme.DeviceDriver.Tests;

/// <summary>The driver through the fake kubelet, with claims from the in-memory API server.</summary>
public sealed class DriverTests : IAsyncLifetime
{
    private readonly string _root = DriverEnvironment.NewRoot();
    private InMemoryKubernetesApiServer _api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _api = await InMemoryKubernetesApiServer.StartAsync(Ct);

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Prepare_writes_a_cdi_spec_and_returns_its_device_ids()
    {
        await using var env = await DriverEnvironment.StartAsync(_api, _root);
        Resourcev1ResourceClaim claim = await env.CreateAllocatedClaimAsync("one", $"{DriverInfo.DeviceKind}-1");

        V1.NodePrepareResourceResponse result = (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];

        Assert.Equal(string.Empty, result.Error);
        V1.Device device = Assert.Single(result.Devices);
        Assert.Equal($"{DriverInfo.DeviceKind}-1", device.DeviceName);
        Assert.StartsWith($"{DriverInfo.CdiVendor}/{DriverInfo.CdiClass}=", Assert.Single(device.CdiDeviceIds), StringComparison.Ordinal);
        string spec = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(env.CdiRoot)), Ct);
        Assert.Contains($"DRA_RESOURCE_CLAIM_UID={claim.Metadata.Uid}", spec, StringComparison.Ordinal);

        // Preparing again (the kubelet retries) gives the same answer.
        V1.NodePrepareResourceResponse again = (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];
        Assert.Equal(device.CdiDeviceIds, Assert.Single(again.Devices).CdiDeviceIds);
    }

    [Fact]
    public async Task Unprepare_removes_the_cdi_spec_and_is_idempotent()
    {
        await using var env = await DriverEnvironment.StartAsync(_api, _root);
        Resourcev1ResourceClaim claim = await env.CreateAllocatedClaimAsync("two", $"{DriverInfo.DeviceKind}-0");
        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);

        V1.NodeUnprepareResourcesResponse first = await env.Plugin.UnprepareAsync([claim], Ct);
        V1.NodeUnprepareResourcesResponse second = await env.Plugin.UnprepareAsync([claim], Ct);

        Assert.Equal(string.Empty, first.Claims[claim.Metadata.Uid].Error);
        Assert.Equal(string.Empty, second.Claims[claim.Metadata.Uid].Error);
        Assert.Empty(Directory.GetFiles(env.CdiRoot));
    }

    [Fact]
    public async Task After_a_restart_a_prepared_claim_is_still_prepared_and_can_be_unprepared()
    {
        Resourcev1ResourceClaim claim;
        string[] ids;
        await using (var env = await DriverEnvironment.StartAsync(_api, _root))
        {
            claim = await env.CreateAllocatedClaimAsync("three", $"{DriverInfo.DeviceKind}-2");
            ids = [.. Assert.Single((await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Devices).CdiDeviceIds];
        }

        // A reboot also empties /var/run/cdi (a tmpfs): the driver re-creates the spec from its checkpoint.
        Directory.Delete(Path.Combine(_root, "cdi"), recursive: true);

        await using (var env = await DriverEnvironment.StartAsync(_api, _root))
        {
            Assert.Single(Directory.GetFiles(env.CdiRoot));
            V1.NodePrepareResourceResponse again = (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];
            Assert.Equal(string.Empty, again.Error);
            Assert.Equal(ids, Assert.Single(again.Devices).CdiDeviceIds);

            await env.Plugin.UnprepareAsync([claim], Ct);
            Assert.Empty(Directory.GetFiles(env.CdiRoot));
        }
    }

    [Theory]
    [InlineData("""{"apiVersion":"APIVERSION","kind":"DeviceConfig","profile":"Turbo"}""", "config[0].opaque.parameters.profile: must be one of Default, LowPower, Performance, not 'Turbo'")]
    [InlineData("""{"apiVersion":"other.example.org/v1","kind":"DeviceConfig"}""", "config[0].opaque.parameters.apiVersion: must be APIVERSION")]
    [InlineData("""{"apiVersion":"APIVERSION","kind":"DeviceConfig","profile":7}""", "config[0].opaque.parameters.profile")]
    public async Task A_bad_opaque_config_fails_that_claim_only(string config, string expected)
    {
        config = config.Replace("APIVERSION", DeviceConfig.ApiVersionValue, StringComparison.Ordinal);
        expected = expected.Replace("APIVERSION", DeviceConfig.ApiVersionValue, StringComparison.Ordinal);
        await using var env = await DriverEnvironment.StartAsync(_api, _root);
        Resourcev1ResourceClaim bad = await env.CreateAllocatedClaimAsync("bad", $"{DriverInfo.DeviceKind}-0", config);
        Resourcev1ResourceClaim good = await env.CreateAllocatedClaimAsync("good", $"{DriverInfo.DeviceKind}-1");

        V1.NodePrepareResourcesResponse response = await env.Plugin.PrepareAsync([bad, good], Ct);

        Assert.Contains(expected, response.Claims[bad.Metadata.Uid].Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, response.Claims[good.Metadata.Uid].Error);
        Assert.Single(Directory.GetFiles(env.CdiRoot)); // nothing written for the bad claim
    }

    [Fact]
    public async Task A_device_that_does_not_exist_on_the_node_is_reported()
    {
        await using var env = await DriverEnvironment.StartAsync(_api, _root);
        Resourcev1ResourceClaim claim = await env.CreateAllocatedClaimAsync("ghost", $"{DriverInfo.DeviceKind}-9");

        string error = (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error;

        Assert.Equal($"device {DriverEnvironment.Node}/{DriverInfo.DeviceKind}-9 of request req does not exist on this node", error);
    }
}
