using System.Text.Json;
using DraSdk.Cdi;
using DraSdk.Checkpoint;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;

namespace NvidiaGpuDriver.Tests;

/// <summary>What the driver keeps with a claim stays readable by the version before the prepare pipeline (a downgrade).</summary>
public sealed class UpgradeTests
{
    private static readonly JsonSerializerOptions WebDefaults = new(JsonSerializerDefaults.Web);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_claim_prepared_now_keeps_the_data_an_earlier_version_re_creates_its_spec_and_MPS_daemon_from()
    {
        await using var env = await DriverEnvironment.StartAsync(Fixtures.KindSnapshot);
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(env.Client, "mps", "gpu-1",
            """{"apiVersion":"resource.nvidia.com/v1beta1","kind":"GpuConfig","sharing":{"strategy":"MPS"}}""");
        Assert.Equal(string.Empty, (await env.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);

        // The earlier version read its driver data with the web defaults, into devices, claim edits and the MPS daemon.
        PreparedClaimRecord record = env.Host.Services.GetRequiredService<PreparedClaimStore>().Claims[claim.Metadata.Uid];
        EarlierClaimData old = record.DriverData!.Value.Deserialize<EarlierClaimData>(WebDefaults)!;
        CdiSpec spec = CdiSpecReader.Read(Assert.Single(Directory.GetFiles(env.CdiRoot, "k8s.gpu.nvidia.com-claim_*")));
        EarlierDevice device = Assert.Single(old.Devices);
        Assert.Equal("gpu-1", device.Name);
        Assert.Equal(spec.Devices.Single().ContainerEdits.Env, device.Edits.Env);
        Assert.Equal(spec.Devices.Single().ContainerEdits.DeviceNodes!.Select(n => n.Path), device.Edits.DeviceNodes!.Select(n => n.Path));
        Assert.Equal(spec.ContainerEdits!.Env, old.ClaimEdits!.Env);
        Assert.Equal(spec.ContainerEdits.Mounts!.Select(m => m.HostPath), old.ClaimEdits.Mounts!.Select(m => m.HostPath));
        Assert.Equal(claim.Metadata.Uid, old.Mps!.Value.GetProperty("claimUid").GetString());
    }

    private sealed record EarlierClaimData(IReadOnlyList<EarlierDevice> Devices, ContainerEdits? ClaimEdits, JsonElement? Mps);

    private sealed record EarlierDevice(string Name, bool AdminAccess, ContainerEdits Edits);
}
