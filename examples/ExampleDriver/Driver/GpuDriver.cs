using System.Text.Json;
using DraSdk.Cdi;
using DraSdk.Checkpoint;
using DraSdk.KubeletPlugin;
using ExampleDriver.Devices;
using Microsoft.Extensions.Logging;

namespace ExampleDriver.Driver;

/// <summary>
/// Prepares fake GPUs: checkpoint first (idempotence), then the deterministic plan, then the side effects
/// (one transient CDI spec per claim), recorded in two phases so a kill at any point is recoverable.
/// </summary>
internal sealed partial class GpuDriver(
    FakeGpuDiscovery gpus,
    PreparedClaimStore checkpoint,
    CdiClaimSpecs cdi,
    ExampleDriverOptions options,
    ILogger<GpuDriver> logger) : DraDriver, IDraDriverStartup
{
    /// <summary>Before the kubelet can call: load the checkpoint, then recover from kills and reboots.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await checkpoint.LoadAsync(cancellationToken).ConfigureAwait(false);
        Recover();
    }

    protected override ValueTask<PrepareResult> PrepareClaimAsync(PreparableClaim claim, CancellationToken cancellationToken)
    {
        // 1. Already prepared (and its CDI spec still in place)? Answer the same again.
        if (checkpoint.TryGet(claim.Uid, out PreparedClaimRecord? existing) && existing.State == PreparedClaimState.PrepareCompleted
            && File.Exists(cdi.GetSpecPath(claim.Uid)))
        {
            LogAlreadyPrepared(logger, claim.Reference.ToString());
            return ValueTask.FromResult(PrepareResult.Success(existing.Devices.Select(ToPreparedDevice)));
        }

        // 2. The deterministic part: what each device gets.
        (IReadOnlyList<PlannedDevice> plan, string? error) = ClaimPlan.Compute(claim, gpus);
        if (error is not null)
        {
            return ValueTask.FromResult(PrepareResult.Failure(error));
        }

        // 3. A GPU belongs to one claim at a time; claims with admin access (monitoring) may share it.
        foreach (PlannedDevice device in plan.Where(d => !d.AdminAccess))
        {
            PreparedClaimRecord? owner = checkpoint.Claims.Values.FirstOrDefault(r => r.ClaimUid != claim.Uid
                && ExclusiveDevices(r).Any(d => d.PoolName == device.Allocation.Pool && d.DeviceName == device.Gpu.Name));
            if (owner is not null)
            {
                return ValueTask.FromResult(PrepareResult.Failure(
                    $"device {device.Gpu.Name} is already prepared for claim {owner.Namespace}/{owner.Name} ({owner.ClaimUid})"));
            }
        }

        // 4. Side effects, recorded in two phases.
        CdiDevice[] specDevices = [.. plan.Select(d => new CdiDevice { Name = d.Gpu.Name, ContainerEdits = d.Edits(claim.Uid) })];
        var record = new PreparedClaimRecord
        {
            ClaimUid = claim.Uid,
            Namespace = claim.Reference.Namespace,
            Name = claim.Reference.Name,
            Devices = [.. plan.Select(d => new PreparedDeviceRecord
            {
                Requests = [d.Allocation.Request],
                PoolName = d.Allocation.Pool,
                DeviceName = d.Gpu.Name,
                CdiDeviceIds = [cdi.GetDeviceId(claim.Uid, d.Gpu.Name).ToString()],
                ShareId = d.Allocation.ShareID,
            })],
            DriverData = JsonSerializer.SerializeToElement(plan.Select(d => new SpecDevice(d.Gpu.Name, d.Edits(claim.Uid).Env ?? [], d.AdminAccess)).ToArray()),
        };
        checkpoint.MarkPrepareStarted(record);
        CdiClaimSpecFile written;
        try
        {
            written = cdi.Write(claim.Uid, specDevices, ClaimEdits(claim.Uid));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CdiValidationException or CdiVersionCapExceededException)
        {
            // Leave nothing half-done; the kubelet retries the prepare.
            cdi.Remove(claim.Uid);
            checkpoint.Remove(claim.Uid);
            return ValueTask.FromResult(PrepareResult.Failure($"writing the CDI spec of claim {claim.Reference} failed: {ex.Message}"));
        }

        checkpoint.MarkPrepareCompleted(record);
        LogPrepared(logger, claim.Reference.ToString(), plan.Count, written.Path, written.Version.ToString());
        return ValueTask.FromResult(PrepareResult.Success(record.Devices.Select(ToPreparedDevice)));
    }

    protected override ValueTask<UnprepareResult> UnprepareClaimAsync(ClaimReference claim, CancellationToken cancellationToken)
    {
        bool removedSpec = cdi.Remove(claim.Uid);
        bool removedRecord = checkpoint.Remove(claim.Uid);
        LogUnprepared(logger, claim.ToString(), removedSpec || removedRecord);
        return ValueTask.FromResult(UnprepareResult.Success());
    }

    /// <summary>
    /// Runs once before the kubelet can call: undoes prepares a kill interrupted, and re-creates the CDI specs a
    /// reboot wiped from a tmpfs <c>/var/run/cdi</c> from what the checkpoint recorded.
    /// </summary>
    private void Recover()
    {
        foreach (PreparedClaimRecord incomplete in checkpoint.IncompleteClaims)
        {
            cdi.Remove(incomplete.ClaimUid);
            checkpoint.Remove(incomplete.ClaimUid);
            LogRolledBack(logger, $"{incomplete.Namespace}/{incomplete.Name} ({incomplete.ClaimUid})");
        }

        // Read once: each access of the store's views checks the file on disk.
        HashSet<string> lostWithReboot = [.. checkpoint.RecordsNeedingRecreation.Select(r => r.ClaimUid)];
        foreach (PreparedClaimRecord record in checkpoint.Claims.Values)
        {
            bool needsSpec = lostWithReboot.Contains(record.ClaimUid) || !File.Exists(cdi.GetSpecPath(record.ClaimUid));
            if (!needsSpec || record.DriverData is not { } data)
            {
                continue;
            }

            SpecDevice[] devices = data.Deserialize<SpecDevice[]>() ?? [];
            cdi.Write(record.ClaimUid, devices.Select(d => new CdiDevice { Name = d.Name, ContainerEdits = new ContainerEdits { Env = d.Env } }), ClaimEdits(record.ClaimUid));
            checkpoint.MarkRecreated(record.ClaimUid);
            LogRecreated(logger, $"{record.Namespace}/{record.Name} ({record.ClaimUid})");
        }
    }

    /// <summary>What every container using the claim gets, whatever its devices.</summary>
    private ContainerEdits ClaimEdits(string claimUid) => new()
    {
        Env = [$"KUBERNETES_NODE_NAME={options.NodeName}", $"DRA_RESOURCE_DRIVER_NAME={ExampleDriverOptions.DriverName}", $"DRA_RESOURCE_CLAIM_UID={claimUid}"],
    };

    private static PreparedDevice ToPreparedDevice(PreparedDeviceRecord d) =>
        new(d.PoolName, d.DeviceName, d.CdiDeviceIds) { Requests = d.Requests, ShareId = d.ShareId };

    /// <summary>The devices a prepared claim holds exclusively (not with admin access).</summary>
    private static IEnumerable<PreparedDeviceRecord> ExclusiveDevices(PreparedClaimRecord record)
    {
        SpecDevice[] specs = record.DriverData?.Deserialize<SpecDevice[]>() ?? [];
        return record.Devices.Where(d => !specs.Any(s => s.Name == d.DeviceName && s.AdminAccess));
    }

    /// <summary>What the checkpoint keeps per device: enough to re-create the claim's CDI spec without the claim.</summary>
    internal sealed record SpecDevice(string Name, IReadOnlyList<string> Env, bool AdminAccess);

    [LoggerMessage(1, LogLevel.Information, "Claim {Claim} is already prepared")]
    private static partial void LogAlreadyPrepared(ILogger logger, string claim);

    [LoggerMessage(2, LogLevel.Information, "Prepared claim {Claim}: {DeviceCount} device(s), CDI spec {SpecPath} (cdiVersion {CdiVersion})")]
    private static partial void LogPrepared(ILogger logger, string claim, int deviceCount, string specPath, string cdiVersion);

    [LoggerMessage(3, LogLevel.Information, "Unprepared claim {Claim} (was prepared: {WasPrepared})")]
    private static partial void LogUnprepared(ILogger logger, string claim, bool wasPrepared);

    [LoggerMessage(4, LogLevel.Warning, "Rolled back the interrupted prepare of claim {Claim}")]
    private static partial void LogRolledBack(ILogger logger, string claim);

    [LoggerMessage(5, LogLevel.Information, "Re-created the CDI spec of claim {Claim} lost with a reboot")]
    private static partial void LogRecreated(ILogger logger, string claim);
}
