using DraSdk.KubeletPlugin;
using k8s.Models;
using NvidiaGpuDriver.Config;
using NvidiaGpuDriver.Discovery;

namespace NvidiaGpuDriver.Driver;

/// <summary>One allocated device of a claim and the configuration that applies to it.</summary>
internal sealed record ConfiguredDevice(V1DeviceRequestAllocationResult Allocation, AllocatableDevice Device, DeviceConfig? Config, bool AdminAccess)
{
    public string? Strategy => Config?.Sharing?.Strategy;

    public bool UsesMps => Strategy == Sharing.MpsStrategy;

    /// <summary>The time-slice index to set, for a full GPU with TimeSlicing; null otherwise.</summary>
    public int? TimeSlice => Strategy == Sharing.TimeSlicingStrategy && Device.Type == GpuDeviceType.Gpu
        ? TimeSlicing.IntervalIndex(Config!.Sharing!.TimeSlicingConfig?.Interval ?? "Default")
        : null;

    /// <summary>Per-device environment that tells the workload how the device is shared.</summary>
    public IReadOnlyList<string> SharingEnv()
    {
        if (Strategy is null)
        {
            return [];
        }

        string prefix = $"NVIDIA_DRA_DEVICE_{ContainerEditsBuilder.EnvName(Device.Name)}";
        var env = new List<string> { $"{prefix}_SHARING_STRATEGY={Strategy}" };
        if (Strategy == Sharing.TimeSlicingStrategy)
        {
            env.Add($"{prefix}_TIMESLICE_INTERVAL={Config!.Sharing!.TimeSlicingConfig?.Interval ?? "Default"}");
        }

        return env;
    }
}

/// <summary>
/// From a claim and the node's devices to each device and the configuration that applies to it, with no side effects. Every problem names the device or where in the claim it is.
/// </summary>
internal static class DeviceConfigs
{
    public static (IReadOnlyList<ConfiguredDevice> Devices, string? Error) Compute(PreparableClaim claim, DeviceInventory inventory, string poolName)
    {
        var planned = new List<ConfiguredDevice>(claim.Devices.Count);
        foreach (V1DeviceRequestAllocationResult allocation in claim.Devices)
        {
            AllocatableDevice? device = allocation.Pool == poolName ? inventory.Find(allocation.Device) : null;
            if (device is null)
            {
                return ([], $"device {allocation.Pool}/{allocation.Device} of request {allocation.Request} does not exist on this node");
            }

            DeviceConfig? config = null;
            foreach (OpaqueDeviceConfig opaque in claim.ConfigsFor(allocation))
            {
                DeviceConfig parsed;
                try
                {
                    parsed = opaque.Deserialize<DeviceConfig>(DeviceConfigReader.Strict);
                }
                catch (OpaqueConfigException ex)
                {
                    return ([], ex.Message);
                }

                foreach ((string path, string problem) in parsed.Validate())
                {
                    return ([], $"invalid opaque device configuration at {opaque.Path}{path}: {problem}");
                }

                string wanted = device.Type == GpuDeviceType.Mig ? DeviceConfig.MigDeviceConfigKind : DeviceConfig.GpuConfigKind;
                if (parsed.Kind != wanted)
                {
                    return ([], $"invalid opaque device configuration at {opaque.Path}.kind: {parsed.Kind} cannot configure {(device.Type == GpuDeviceType.Mig ? "MIG device" : "GPU")} {device.Name} of request {allocation.Request}; use {wanted}");
                }

                config = parsed; // later configs (claim over class) win
            }

            planned.Add(new ConfiguredDevice(allocation, device, config, allocation.AdminAccess == true));
        }

        return (planned, null);
    }

}
