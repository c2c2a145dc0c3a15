using System.Globalization;
using System.Text.Json;
using DraSdk.Cdi;
using DraSdk.Checkpoint;
using DraSdk.KubeletPlugin;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NvidiaGpuDriver.Config;
using NvidiaGpuDriver.Discovery;

namespace NvidiaGpuDriver.Driver;

/// <summary>
/// Prepares NVIDIA devices: checkpoint first (idempotence), then the deterministic plan, then the side effects
/// (sharing settings, one transient CDI spec per claim), recorded in two phases so a kill at any point is recoverable.
/// </summary>
internal sealed partial class NvidiaDriver(
    DeviceInventory inventory,
    PreparedClaimStore checkpoint,
    CdiClaimSpecs cdi,
    ContainerEditsBuilder edits,
    IGpuControl control,
    IOptions<NvidiaDriverOptions> options,
    IOptions<DraDriverOptions> draOptions,
    ILogger<NvidiaDriver> logger) : DraDriver, IDraDriverStartup
{
    /// <summary>Where MPS clients find the daemon's pipes inside the container.</summary>
    public const string MpsContainerPipeDirectory = "/tmp/nvidia-mps";

    private static readonly string[] MpsMountOptions = ["rw", "nosuid", "nodev", "rbind", "rprivate"];

    private string MpsRoot => options.Value.MpsRoot ?? Path.Combine(draOptions.Value.EffectivePluginDataDirectoryPath, "mps");

    /// <summary>Before the kubelet can call: discover the devices (failing the start when NVML is unusable), load the checkpoint, recover.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _ = inventory.Discovery;
        await checkpoint.LoadAsync(cancellationToken).ConfigureAwait(false);
        Recover();
    }

    protected override ValueTask<PrepareResult> PrepareClaimAsync(PreparableClaim claim, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Prepare(claim));

    protected override ValueTask<UnprepareResult> UnprepareClaimAsync(ClaimReference claim, CancellationToken cancellationToken)
    {
        ClaimData? data = checkpoint.TryGet(claim.Uid, out PreparedClaimRecord? record) ? ClaimData.From(record) : null;
        StopMps(data);
        bool removedSpec = cdi.Remove(claim.Uid);
        bool removedRecord = checkpoint.Remove(claim.Uid);
        LogUnprepared(logger, claim.ToString(), removedSpec || removedRecord);
        return ValueTask.FromResult(UnprepareResult.Success());
    }

    private PrepareResult Prepare(PreparableClaim claim)
    {
        // 1. Already prepared (and its CDI spec still in place)? Answer the same again.
        if (checkpoint.TryGet(claim.Uid, out PreparedClaimRecord? existing) && existing.State == PreparedClaimState.PrepareCompleted
            && File.Exists(cdi.GetSpecPath(claim.Uid)))
        {
            LogAlreadyPrepared(logger, claim.Reference.ToString());
            return PrepareResult.Success(existing.Devices.Select(ToPreparedDevice));
        }

        // 2. The deterministic part: which device, which configuration.
        (IReadOnlyList<PlannedDevice> plan, string? error) = ClaimPlan.Compute(claim, inventory, draOptions.Value.NodeName!);
        if (error is not null)
        {
            LogRefused(logger, claim.Reference.ToString(), error);
            return PrepareResult.Failure(error);
        }

        // 3. A device belongs to one claim at a time; claims with admin access (monitoring) may share it.
        foreach (PlannedDevice device in plan.Where(d => !d.AdminAccess))
        {
            PreparedClaimRecord? owner = checkpoint.Claims.Values.FirstOrDefault(r => r.ClaimUid != claim.Uid
                && ClaimData.From(r).Devices.Any(d => !d.AdminAccess && d.Name == device.Device.Name));
            if (owner is not null)
            {
                string refused = $"device {device.Device.Name} is already prepared for claim {owner.Namespace}/{owner.Name} ({owner.ClaimUid})";
                LogRefused(logger, claim.Reference.ToString(), refused);
                return PrepareResult.Failure(refused);
            }
        }

        // 4. What the containers get.
        MpsDaemonSpec? mps = MpsSpec(claim.Uid, plan);
        var claimEnv = new List<string>();
        var claimMounts = new List<Mount>();
        if (mps is not null)
        {
            claimEnv.Add($"CUDA_MPS_PIPE_DIRECTORY={MpsContainerPipeDirectory}");
            if (mps.ActiveThreadPercentage is { } percentage)
            {
                claimEnv.Add($"CUDA_MPS_ACTIVE_THREAD_PERCENTAGE={percentage.ToString(CultureInfo.InvariantCulture)}");
            }

            if (mps.PinnedMemoryLimit is { } limit)
            {
                claimEnv.Add($"CUDA_MPS_PINNED_DEVICE_MEM_LIMIT={limit}");
            }

            claimMounts.Add(new Mount { HostPath = mps.PipeDirectory, ContainerPath = MpsContainerPipeDirectory, Options = MpsMountOptions });
        }

        var data = new ClaimData
        {
            Devices = [.. plan.Select(d => new DeviceData(d.Device.Name, d.AdminAccess, edits.ForDevice(d.Device, d.SharingEnv())))],
            ClaimEdits = edits.ForClaim(claim.Uid, plan.Select(d => d.Device), claimEnv, claimMounts),
            Mps = mps,
        };
        var record = new PreparedClaimRecord
        {
            ClaimUid = claim.Uid,
            Namespace = claim.Reference.Namespace,
            Name = claim.Reference.Name,
            Devices = [.. plan.Select(d => new PreparedDeviceRecord
            {
                Requests = [d.Allocation.Request],
                PoolName = d.Allocation.Pool,
                DeviceName = d.Device.Name,
                CdiDeviceIds = [cdi.GetDeviceId(claim.Uid, d.Device.Name).ToString()],
                ShareId = d.Allocation.ShareID,
            })],
            DriverData = JsonSerializer.SerializeToElement(data, ClaimData.Json),
        };

        // 5. Side effects, recorded in two phases.
        checkpoint.MarkPrepareStarted(record);
        CdiClaimSpecFile written;
        try
        {
            foreach (PlannedDevice device in plan)
            {
                if (device.TimeSlice is { } slice)
                {
                    control.SetTimeSlice(device.Device.Uuid, slice);
                }
            }

            if (mps is not null)
            {
                Directory.CreateDirectory(mps.PipeDirectory);
                Directory.CreateDirectory(mps.LogDirectory);
                control.StartMps(mps);
            }

            written = WriteSpec(claim.Uid, data);
        }
        catch (Exception ex) when (ex is GpuControlException or IOException or UnauthorizedAccessException or CdiValidationException or CdiVersionCapExceededException)
        {
            StopMps(data);
            cdi.Remove(claim.Uid);
            checkpoint.Remove(claim.Uid);
            string failure = $"preparing claim {claim.Reference} failed: {ex.Message}";
            LogRefused(logger, claim.Reference.ToString(), failure);
            return PrepareResult.Failure(failure);
        }

        checkpoint.MarkPrepareCompleted(record);
        LogPrepared(logger, claim.Reference.ToString(), plan.Count, written.Path, written.Version.ToString());
        return PrepareResult.Success(record.Devices.Select(ToPreparedDevice));
    }

    /// <summary>
    /// Runs once before the kubelet can call: undoes prepares a kill interrupted, and re-creates the CDI specs (and MPS
    /// daemons) a reboot wiped, from what the checkpoint recorded.
    /// </summary>
    private void Recover()
    {
        foreach (PreparedClaimRecord incomplete in checkpoint.IncompleteClaims)
        {
            StopMps(ClaimData.From(incomplete));
            cdi.Remove(incomplete.ClaimUid);
            checkpoint.Remove(incomplete.ClaimUid);
            LogRolledBack(logger, $"{incomplete.Namespace}/{incomplete.Name} ({incomplete.ClaimUid})");
        }

        // Read once: each access of the store's views checks the file on disk.
        HashSet<string> lostWithReboot = [.. checkpoint.RecordsNeedingRecreation.Select(r => r.ClaimUid)];
        foreach (PreparedClaimRecord record in checkpoint.Claims.Values)
        {
            bool rebooted = lostWithReboot.Contains(record.ClaimUid);
            if (!rebooted && File.Exists(cdi.GetSpecPath(record.ClaimUid)))
            {
                continue;
            }

            ClaimData data = ClaimData.From(record);
            if (rebooted && data.Mps is { } mps)
            {
                try
                {
                    Directory.CreateDirectory(mps.PipeDirectory);
                    Directory.CreateDirectory(mps.LogDirectory);
                    control.StartMps(mps);
                }
                catch (Exception ex) when (ex is GpuControlException or IOException)
                {
                    LogRecoveryFailed(logger, record.ClaimUid, ex.Message);
                }
            }

            WriteSpec(record.ClaimUid, data);
            checkpoint.MarkRecreated(record.ClaimUid);
            LogRecreated(logger, $"{record.Namespace}/{record.Name} ({record.ClaimUid})");
        }
    }

    private CdiClaimSpecFile WriteSpec(string claimUid, ClaimData data) =>
        cdi.Write(claimUid, data.Devices.Select(d => new CdiDevice { Name = d.Name, ContainerEdits = d.Edits }), data.ClaimEdits);

    /// <summary>One MPS control daemon per claim, for all its devices shared with MPS.</summary>
    private MpsDaemonSpec? MpsSpec(string claimUid, IReadOnlyList<PlannedDevice> plan)
    {
        PlannedDevice[] mpsDevices = [.. plan.Where(d => d.UsesMps)];
        if (mpsDevices.Length == 0)
        {
            return null;
        }

        MpsConfig? config = mpsDevices.Select(d => d.Config!.Sharing!.MpsConfig).FirstOrDefault(c => c is not null);
        var limits = new List<string>();
        for (int i = 0; i < mpsDevices.Length; i++)
        {
            string? limit = config?.DefaultPerDevicePinnedMemoryLimit is { } perDevice
                && (perDevice.TryGetValue(i.ToString(CultureInfo.InvariantCulture), out string? byIndex) ? byIndex : perDevice.GetValueOrDefault(mpsDevices[i].Device.Uuid)) is { } found
                ? found
                : config?.DefaultPinnedDeviceMemoryLimit;
            if (limit is not null && MpsConfig.ParseBytes(limit) is { } bytes)
            {
                limits.Add(string.Create(CultureInfo.InvariantCulture, $"{i}={(bytes + (1 << 20) - 1) >> 20}M"));
            }
        }

        string root = Path.Combine(MpsRoot, claimUid);
        return new MpsDaemonSpec(claimUid, [.. mpsDevices.Select(d => d.Device.Uuid)], Path.Combine(root, "pipe"), Path.Combine(root, "log"),
            config?.DefaultActiveThreadPercentage, limits.Count > 0 ? string.Join(',', limits) : null);
    }

    private void StopMps(ClaimData? data)
    {
        if (data?.Mps is not { } mps)
        {
            return;
        }

        try
        {
            control.StopMps(mps);
        }
        catch (GpuControlException ex)
        {
            LogRecoveryFailed(logger, mps.ClaimUid, ex.Message);
        }

        try
        {
            string root = Path.GetDirectoryName(mps.PipeDirectory)!;
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    private static PreparedDevice ToPreparedDevice(PreparedDeviceRecord d) =>
        new(d.PoolName, d.DeviceName, d.CdiDeviceIds) { Requests = d.Requests, ShareId = d.ShareId };

    /// <summary>What the checkpoint keeps per claim: enough to re-create its CDI spec and MPS daemon without the claim.</summary>
    internal sealed record ClaimData
    {
        public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

        public IReadOnlyList<DeviceData> Devices { get; init; } = [];

        public ContainerEdits? ClaimEdits { get; init; }

        public MpsDaemonSpec? Mps { get; init; }

        public static ClaimData From(PreparedClaimRecord record)
        {
            try
            {
                return record.DriverData?.Deserialize<ClaimData>(Json) ?? new ClaimData();
            }
            catch (JsonException)
            {
                return new ClaimData();
            }
        }
    }

    internal sealed record DeviceData(string Name, bool AdminAccess, ContainerEdits Edits);

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

    [LoggerMessage(6, LogLevel.Warning, "Claim {Claim} not prepared: {Reason}")]
    private static partial void LogRefused(ILogger logger, string claim, string reason);

    [LoggerMessage(7, LogLevel.Warning, "Claim {ClaimUid}: {Problem}")]
    private static partial void LogRecoveryFailed(ILogger logger, string claimUid, string problem);
}
