using DraSdk.Cdi;
using DraSdk.KubeletPlugin;
using ExampleDriver.Config;
using ExampleDriver.Devices;
using k8s.Models;

namespace ExampleDriver.Driver;

/// <summary>What one allocated GPU gets in a container: its config and the environment the CDI spec sets.</summary>
internal sealed record PlannedDevice(V1DeviceRequestAllocationResult Allocation, FakeGpu Gpu, GpuConfig Config, bool AdminAccess)
{
    /// <summary>The container edits of this device, as dra-example-driver's fake GPUs have them.</summary>
    public ContainerEdits Edits(string claimUid)
    {
        string prefix = $"GPU_DEVICE_{Gpu.Index}";
        var env = new List<string>
        {
            $"{prefix}={Gpu.Name}",
            $"{prefix}_UUID={Gpu.Uuid}",
            $"{prefix}_RESOURCE_CLAIM={claimUid}",
            $"{prefix}_ADMIN_ACCESS={(AdminAccess ? "true" : "false")}",
        };
        GpuSharing? sharing = Config.Sharing;
        if (sharing is not null)
        {
            env.Add($"{prefix}_SHARING_STRATEGY={sharing.Strategy}");
            if (sharing.Strategy == "TimeSlicing")
            {
                env.Add($"{prefix}_TIMESLICE_INTERVAL={sharing.TimeSlicing?.Interval ?? "Default"}");
            }
            else if (sharing.Strategy == "SpacePartitioning")
            {
                env.Add($"{prefix}_PARTITION_COUNT={sharing.SpacePartitioning!.PartitionCount}");
            }
        }

        return new ContainerEdits { Env = env };
    }
}

/// <summary>
/// The deterministic half of prepare: from a claim and the node's GPUs to what each device gets, with no side
/// effects, so it can be recomputed at any time (after a restart, or to re-create CDI specs after a reboot).
/// </summary>
internal static class ClaimPlan
{
    /// <summary>Plans every device of the claim, or returns the first problem (with where it is in the claim).</summary>
    public static (IReadOnlyList<PlannedDevice> Devices, string? Error) Compute(PreparableClaim claim, FakeGpuDiscovery gpus)
    {
        var planned = new List<PlannedDevice>(claim.Devices.Count);
        foreach (V1DeviceRequestAllocationResult allocation in claim.Devices)
        {
            FakeGpu? gpu = gpus.Find(allocation.Device);
            if (gpu is null)
            {
                return ([], $"device {allocation.Pool}/{allocation.Device} of request {allocation.Request} does not exist on this node");
            }

            GpuConfig config = GpuConfig.Default();
            foreach (OpaqueDeviceConfig opaque in claim.ConfigsFor(allocation))
            {
                GpuConfig parsed;
                try
                {
                    parsed = opaque.Deserialize<GpuConfig>();
                }
                catch (OpaqueConfigException ex)
                {
                    return ([], ex.Message);
                }

                foreach ((string path, string problem) in parsed.Validate())
                {
                    return ([], $"invalid opaque device configuration at {opaque.Path}{path}: {problem}");
                }

                config = parsed; // later configs (claim over class) win
            }

            planned.Add(new PlannedDevice(allocation, gpu, config, allocation.AdminAccess == true));
        }

        return (planned, null);
    }
}
