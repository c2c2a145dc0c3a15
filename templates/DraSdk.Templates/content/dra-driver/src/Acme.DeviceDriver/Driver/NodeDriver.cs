using System.Text.Json.Nodes;
using Acme.DeviceDriver.Config;
using Acme.DeviceDriver.Devices;
using DraSdk.Cdi;
using DraSdk.KubeletPlugin;
using DraSdk.Preparation;
using k8s.Models;

namespace Acme.DeviceDriver.Driver;

/// <summary>
/// What each device gets in a container. Replace the environment with your device's nodes, mounts and settings; the
/// SDK's pipeline does the rest (CDI specs, the crash-safe checkpoint, repeated prepares, exclusivity, recovery after
/// kills and reboots, unprepare). For real side effects (start a daemon, configure the device), implement
/// <see cref="IClaimSideEffects"/> here too.
/// </summary>
internal sealed class NodeDriver(FakeDeviceDiscovery devices, DriverInfo info) : ICdiDriver
{
    public ValueTask<ClaimPlan> PlanAsync(PreparableClaim claim, CancellationToken cancellationToken)
    {
        var plan = new ClaimPlan
        {
            ClaimEdits = new ContainerEdits { Env = [$"KUBERNETES_NODE_NAME={info.NodeName}", $"DRA_RESOURCE_DRIVER_NAME={DriverInfo.DriverName}", $"DRA_RESOURCE_CLAIM_UID={claim.Uid}"] },
        };
        foreach (V1DeviceRequestAllocationResult allocation in claim.Devices)
        {
            if (devices.Find(allocation.Device) is not { } device)
            {
                return ValueTask.FromResult(ClaimPlan.Failure($"device {allocation.Pool}/{allocation.Device} of request {allocation.Request} does not exist on this node"));
            }

            // The claim's (or its class's) DeviceConfig, checked strictly; the last one that applies wins.
            DeviceConfig config = claim.GetConfig(allocation, DeviceConfigJson.Default.DeviceConfig, DeviceConfig.ApiVersionValue, DeviceConfig.KindValue) ?? DeviceConfig.Default();
            if (config.Validate().FirstOrDefault() is ({ } path, { } problem))
            {
                return ValueTask.FromResult(ClaimPlan.Failure($"invalid opaque device configuration at {claim.ConfigsFor(allocation)[^1].Path}{path}: {problem}"));
            }

            string prefix = $"{DriverInfo.DeviceKind.ToUpperInvariant().Replace('-', '_')}_{device.Index}";
            // What the claim's status.devices tells users about the device (written after the prepare is answered).
            var status = new DeviceStatus
            {
                Conditions = [new V1Condition { Type = "Ready", Status = "True", Reason = "Prepared", Message = $"{device.Name} is prepared" }],
                Data = new JsonObject { ["uuid"] = device.Uuid, ["profile"] = config.Profile ?? "Default" },
            };
            plan.Add(allocation, new ContainerEdits { Env = [$"{prefix}={device.Name}", $"{prefix}_UUID={device.Uuid}", $"{prefix}_PROFILE={config.Profile ?? "Default"}"] }, status: status);
        }

        return ValueTask.FromResult(plan);
    }
}
