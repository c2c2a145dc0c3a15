using System.Text.Json;
using Acme.DeviceDriver.Config;
using Acme.DeviceDriver.Devices;
using DraSdk.Cdi;
using DraSdk.Checkpoint;
using DraSdk.KubeletPlugin;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Acme.DeviceDriver.Driver;

/// <summary>
/// Prepares devices for claims: checkpoint first (idempotence), then a plan without side effects, then the side effects
/// (one CDI spec per claim), recorded in two phases so that a kill at any point is recoverable.
/// </summary>
internal sealed partial class NodeDriver(
    FakeDeviceDiscovery devices,
    PreparedClaimStore checkpoint,
    CdiClaimSpecs cdi,
    DriverInfo info,
    ILogger<NodeDriver> logger) : DraDriver, IDraDriverStartup
{
    /// <summary>Before the kubelet can call: load the checkpoint, then recover from kills and reboots.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await checkpoint.LoadAsync(cancellationToken).ConfigureAwait(false);
        Recover();
    }

    protected override ValueTask<PrepareResult> PrepareClaimAsync(PreparableClaim claim, CancellationToken cancellationToken)
    {
        // 1. Already prepared, with its CDI spec in place? Answer the same again.
        if (checkpoint.TryGet(claim.Uid, out PreparedClaimRecord? existing) && existing.State == PreparedClaimState.PrepareCompleted
            && File.Exists(cdi.GetSpecPath(claim.Uid)))
        {
            return ValueTask.FromResult(PrepareResult.Success(existing.Devices.Select(ToPreparedDevice)));
        }

        // 2. The plan: which device, with which configuration and environment. No side effects.
        var plan = new List<SpecDevice>(claim.Devices.Count);
        var records = new List<PreparedDeviceRecord>(claim.Devices.Count);
        foreach (V1DeviceRequestAllocationResult allocation in claim.Devices)
        {
            FakeDevice? device = devices.Find(allocation.Device);
            if (device is null)
            {
                return Fail($"device {allocation.Pool}/{allocation.Device} of request {allocation.Request} does not exist on this node");
            }

            DeviceConfig config = DeviceConfig.Default();
            foreach (OpaqueDeviceConfig opaque in claim.ConfigsFor(allocation))
            {
                DeviceConfig parsed;
                try
                {
                    parsed = opaque.Deserialize<DeviceConfig>();
                }
                catch (OpaqueConfigException ex)
                {
                    return Fail(ex.Message);
                }

                foreach ((string path, string problem) in parsed.Validate())
                {
                    return Fail($"invalid opaque device configuration at {opaque.Path}{path}: {problem}");
                }

                config = parsed; // later configs (claim over class) win
            }

            string prefix = $"{DriverInfo.DeviceKind.ToUpperInvariant().Replace('-', '_')}_{device.Index}";
            plan.Add(new SpecDevice(device.Name, [$"{prefix}={device.Name}", $"{prefix}_UUID={device.Uuid}", $"{prefix}_PROFILE={config.Profile ?? "Default"}"]));
            records.Add(new PreparedDeviceRecord
            {
                Requests = [allocation.Request],
                PoolName = allocation.Pool,
                DeviceName = device.Name,
                CdiDeviceIds = [cdi.GetDeviceId(claim.Uid, device.Name).ToString()],
                ShareId = allocation.ShareID,
            });
        }

        // 3. Side effects, recorded in two phases.
        var record = new PreparedClaimRecord
        {
            ClaimUid = claim.Uid,
            Namespace = claim.Reference.Namespace,
            Name = claim.Reference.Name,
            Devices = records,
            DriverData = JsonSerializer.SerializeToElement(plan),
        };
        checkpoint.MarkPrepareStarted(record);
        try
        {
            WriteSpec(claim.Uid, plan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CdiValidationException or CdiVersionCapExceededException)
        {
            // Leave nothing half-done; the kubelet retries the prepare.
            cdi.Remove(claim.Uid);
            checkpoint.Remove(claim.Uid);
            return Fail($"writing the CDI spec of claim {claim.Reference} failed: {ex.Message}");
        }

        checkpoint.MarkPrepareCompleted(record);
        LogPrepared(logger, claim.Reference.ToString(), plan.Count);
        return ValueTask.FromResult(PrepareResult.Success(records.Select(ToPreparedDevice)));
    }

    protected override ValueTask<UnprepareResult> UnprepareClaimAsync(ClaimReference claim, CancellationToken cancellationToken)
    {
        cdi.Remove(claim.Uid);
        checkpoint.Remove(claim.Uid);
        LogUnprepared(logger, claim.ToString());
        return ValueTask.FromResult(UnprepareResult.Success());
    }

    private static ValueTask<PrepareResult> Fail(string error) => ValueTask.FromResult(PrepareResult.Failure(error));

    /// <summary>Undoes prepares a kill interrupted, and re-creates the CDI specs a reboot wiped.</summary>
    private void Recover()
    {
        foreach (PreparedClaimRecord incomplete in checkpoint.IncompleteClaims)
        {
            cdi.Remove(incomplete.ClaimUid);
            checkpoint.Remove(incomplete.ClaimUid);
        }

        // Read once: each access of the store's views checks the file on disk.
        HashSet<string> lostWithReboot = [.. checkpoint.RecordsNeedingRecreation.Select(r => r.ClaimUid)];
        foreach (PreparedClaimRecord record in checkpoint.Claims.Values)
        {
            bool needsSpec = lostWithReboot.Contains(record.ClaimUid) || !File.Exists(cdi.GetSpecPath(record.ClaimUid));
            if (needsSpec && record.DriverData is { } data)
            {
                WriteSpec(record.ClaimUid, data.Deserialize<SpecDevice[]>() ?? []);
                checkpoint.MarkRecreated(record.ClaimUid);
            }
        }
    }

    private void WriteSpec(string claimUid, IEnumerable<SpecDevice> plan) => cdi.Write(
        claimUid,
        plan.Select(d => new CdiDevice { Name = d.Name, ContainerEdits = new ContainerEdits { Env = [.. d.Env] } }),
        new ContainerEdits { Env = [$"KUBERNETES_NODE_NAME={info.NodeName}", $"DRA_RESOURCE_DRIVER_NAME={DriverInfo.DriverName}", $"DRA_RESOURCE_CLAIM_UID={claimUid}"] });

    private static PreparedDevice ToPreparedDevice(PreparedDeviceRecord d) =>
        new(d.PoolName, d.DeviceName, d.CdiDeviceIds) { Requests = d.Requests, ShareId = d.ShareId };

    /// <summary>What the checkpoint keeps per device: enough to re-create the claim's CDI spec without the claim.</summary>
    internal sealed record SpecDevice(string Name, IReadOnlyList<string> Env);

    [LoggerMessage(1, LogLevel.Information, "Prepared claim {Claim}: {DeviceCount} device(s)")]
    private static partial void LogPrepared(ILogger logger, string claim, int deviceCount);

    [LoggerMessage(2, LogLevel.Information, "Unprepared claim {Claim}")]
    private static partial void LogUnprepared(ILogger logger, string claim);
}
