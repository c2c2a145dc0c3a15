using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DraSdk.Cdi;
using DraSdk.KubeletPlugin;
using DraSdk.Preparation;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NvidiaGpuDriver.Config;
using NvidiaGpuDriver.Discovery;

namespace NvidiaGpuDriver.Driver;

/// <summary>
/// The NVIDIA driver's part of prepare: what each GPU or MIG device gets in a container (device nodes, libraries,
/// sharing environment), and the sharing it sets up (a time slice, a per-claim MPS control daemon) with its undo. The
/// SDK's pipeline does the rest: CDI specs, the checkpoint, repeated prepares, exclusivity, recovery, unprepare.
/// </summary>
internal sealed partial class NvidiaDriver(
    DeviceInventory inventory,
    ContainerEditsBuilder edits,
    IGpuControl control,
    IOptions<NvidiaDriverOptions> options,
    IOptions<DraDriverOptions> draOptions,
    ILogger<NvidiaDriver> logger) : ICdiDriver, IClaimSideEffects, IDraDriverStartup
{
    /// <summary>Where MPS clients find the daemon's pipes inside the container.</summary>
    public const string MpsContainerPipeDirectory = "/tmp/nvidia-mps";

    private static readonly string[] MpsMountOptions = ["rw", "nosuid", "nodev", "rbind", "rprivate"];

    private string MpsRoot => options.Value.MpsRoot ?? Path.Combine(draOptions.Value.EffectivePluginDataDirectoryPath, "mps");

    /// <summary>Before the pipeline recovers: discover the devices (failing the start when NVML is unusable).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = inventory.Discovery;
        return Task.CompletedTask;
    }

    public ValueTask<ClaimPlan> PlanAsync(PreparableClaim claim, CancellationToken cancellationToken)
    {
        (IReadOnlyList<ConfiguredDevice> devices, string? error) = DeviceConfigs.Compute(claim, inventory, draOptions.Value.NodeName!);
        if (error is not null)
        {
            LogRefused(logger, claim.Reference.ToString(), error);
            return ValueTask.FromResult(ClaimPlan.Failure(error));
        }

        MpsDaemonSpec? mps = MpsSpec(claim.Uid, devices);
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

        ContainerEdits claimEdits = edits.ForClaim(claim.Uid, devices.Select(d => d.Device), claimEnv, claimMounts);
        DeviceData[] deviceEdits = [.. devices.Select(d => new DeviceData(d.Device.Name, d.AdminAccess, edits.ForDevice(d.Device, d.SharingEnv())))];
        var plan = new ClaimPlan
        {
            ClaimEdits = claimEdits,
            DriverData = JsonSerializer.SerializeToElement(
                new Sharing(mps, [.. devices.Where(d => d.TimeSlice is not null).Select(d => new TimeSliceSetting(d.Device.Uuid, d.TimeSlice!.Value))])
                {
                    Devices = deviceEdits,
                    ClaimEdits = claimEdits,
                },
                SharingJson.Default.Sharing),
        };
        for (int i = 0; i < devices.Count; i++)
        {
            plan.Add(devices[i].Allocation, deviceEdits[i].Edits, DeviceMetadataAttributes.FromResourceSlice(devices[i].Device.Attributes), StatusOf(devices[i].Device));
        }

        return ValueTask.FromResult(plan);
    }

    /// <summary>What the claim's <c>status.devices</c> says about a prepared GPU or MIG device: its uuid, product name and driver version.</summary>
    private static DeviceStatus StatusOf(AllocatableDevice device)
    {
        var data = new JsonObject { ["uuid"] = device.Uuid };
        if (device.Attributes.TryGetValue("productName", out V1DeviceAttribute? product) && product.StringValue is { } name)
        {
            data["productName"] = name;
        }

        if (device.Attributes.TryGetValue("driverVersion", out V1DeviceAttribute? driver) && driver.Version is { } version)
        {
            data["driverVersion"] = version;
        }

        return new DeviceStatus
        {
            Conditions = [new V1Condition { Type = "Ready", Status = "True", Reason = "Prepared", Message = $"{device.Name} is prepared" }],
            Data = data,
        };
    }

    public ValueTask ApplyAsync(PreparedClaim claim, CancellationToken cancellationToken)
    {
        Sharing sharing = Sharing.From(claim.DriverData);
        foreach (TimeSliceSetting slice in sharing.TimeSlices ?? [])
        {
            control.SetTimeSlice(slice.GpuUuid, slice.Interval);
        }

        if (sharing.Mps is { } mps)
        {
            Directory.CreateDirectory(mps.PipeDirectory);
            Directory.CreateDirectory(mps.LogDirectory);
            control.StartMps(mps);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask UndoAsync(PreparedClaim claim, CancellationToken cancellationToken)
    {
        if (Sharing.From(claim.DriverData).Mps is { } mps)
        {
            control.StopMps(mps);
            string root = Path.GetDirectoryName(mps.PipeDirectory)!;
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>One MPS control daemon per claim, for all its devices shared with MPS.</summary>
    private MpsDaemonSpec? MpsSpec(string claimUid, IReadOnlyList<ConfiguredDevice> devices)
    {
        ConfiguredDevice[] mpsDevices = [.. devices.Where(d => d.UsesMps)];
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

    /// <summary>
    /// The sharing a claim sets up, kept with the claim by the pipeline: what <see cref="ApplyAsync"/> applies and
    /// <see cref="UndoAsync"/> undoes. It keeps the shape earlier versions of the driver stored (<c>mps</c>,
    /// <c>devices</c>, <c>claimEdits</c>), so that claims they prepared are undone by this version, and an earlier version
    /// started after a downgrade (even after a reboot) can still re-create the specs of claims this one prepared.
    /// </summary>
    internal sealed record Sharing(MpsDaemonSpec? Mps, IReadOnlyList<TimeSliceSetting>? TimeSlices)
    {
        /// <summary>Each device's edits, for earlier versions of the driver.</summary>
        public IReadOnlyList<DeviceData>? Devices { get; init; }

        /// <summary>The claim's edits, for earlier versions of the driver.</summary>
        public ContainerEdits? ClaimEdits { get; init; }

        public static Sharing From(JsonElement? data)
        {
            try
            {
                return data?.Deserialize(SharingJson.Default.Sharing) ?? new Sharing(null, null);
            }
            catch (JsonException)
            {
                return new Sharing(null, null);
            }
        }
    }

    internal sealed record TimeSliceSetting(string GpuUuid, int Interval);

    internal sealed record DeviceData(string Name, bool AdminAccess, ContainerEdits Edits);

    [LoggerMessage(6, LogLevel.Warning, "Claim {Claim} not prepared: {Reason}")]
    private static partial void LogRefused(ILogger logger, string claim, string reason);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NvidiaDriver.Sharing))]
internal sealed partial class SharingJson : JsonSerializerContext;
