using System.Text.Json.Nodes;
using DraSdk.Cdi;
using DraSdk.DeviceMetadata;
using DraSdk.KubeletPlugin;
using DraSdk.Preparation;
using ExampleDriver.Config;
using ExampleDriver.Devices;
using k8s.Models;

namespace ExampleDriver.Driver;

/// <summary>
/// What each fake GPU gets in a container: the environment dra-example-driver's GPUs get, from the claim's
/// <c>GpuConfig</c>. The SDK's pipeline does the rest (CDI specs, checkpoint, exclusivity, recovery, unprepare).
/// </summary>
internal sealed class GpuDriver(FakeGpuDiscovery gpus, ExampleDriverOptions options) : ICdiDriver
{
    public ValueTask<ClaimPlan> PlanAsync(PreparableClaim claim, CancellationToken cancellationToken)
    {
        var plan = new ClaimPlan
        {
            ClaimEdits = new ContainerEdits
            {
                Env = [$"KUBERNETES_NODE_NAME={options.NodeName}", $"DRA_RESOURCE_DRIVER_NAME={ExampleDriverOptions.DriverName}", $"DRA_RESOURCE_CLAIM_UID={claim.Uid}"],
            },
        };
        foreach (V1DeviceRequestAllocationResult allocation in claim.Devices)
        {
            if (gpus.Find(allocation.Device) is not { } gpu)
            {
                return ValueTask.FromResult(ClaimPlan.Failure($"device {allocation.Pool}/{allocation.Device} of request {allocation.Request} does not exist on this node"));
            }

            GpuConfig config = claim.GetConfig(allocation, GpuConfigJson.Default.GpuConfig, GpuConfig.ApiVersionValue, GpuConfig.KindValue) ?? GpuConfig.Default();
            if (config.Validate().FirstOrDefault() is ({ } path, { } problem))
            {
                return ValueTask.FromResult(ClaimPlan.Failure($"invalid opaque device configuration at {claim.ConfigsFor(allocation)[^1].Path}{path}: {problem}"));
            }

            plan.Add(allocation, new ContainerEdits { Env = Environment(gpu, config, claim.Uid, allocation.AdminAccess == true) }, Metadata(gpu), StatusOf(gpu));
        }

        return ValueTask.FromResult(plan);
    }

    /// <summary>What the device metadata file says of a GPU: the attributes it is published with.</summary>
    private static DeviceMetadataDetails Metadata(FakeGpu gpu) => new()
    {
        Attributes = new Dictionary<string, DeviceAttributeValue>
        {
            ["index"] = DeviceAttributeValue.FromInt(gpu.Index),
            ["uuid"] = DeviceAttributeValue.FromString(gpu.Uuid),
            ["model"] = DeviceAttributeValue.FromString(gpu.Model),
            ["driverVersion"] = DeviceAttributeValue.FromVersion(gpu.DriverVersion),
        },
    };

    /// <summary>What the claim's <c>status.devices</c> says about a prepared GPU, as dra-example-driver reports it: uuid, model, driver version.</summary>
    private static DeviceStatus StatusOf(FakeGpu gpu) => new()
    {
        Conditions = [new V1Condition { Type = "Ready", Status = "True", Reason = "Prepared", Message = $"{gpu.Name} is prepared" }],
        Data = new JsonObject { ["uuid"] = gpu.Uuid, ["model"] = gpu.Model, ["driverVersion"] = gpu.DriverVersion },
    };

    /// <summary>The environment of one GPU, as dra-example-driver's fake GPUs have it.</summary>
    private static List<string> Environment(FakeGpu gpu, GpuConfig config, string claimUid, bool adminAccess)
    {
        string prefix = $"GPU_DEVICE_{gpu.Index}";
        var env = new List<string>
        {
            $"{prefix}={gpu.Name}",
            $"{prefix}_UUID={gpu.Uuid}",
            $"{prefix}_RESOURCE_CLAIM={claimUid}",
            $"{prefix}_ADMIN_ACCESS={(adminAccess ? "true" : "false")}",
        };
        switch (config.Sharing)
        {
            case { Strategy: "TimeSlicing" } sharing:
                env.Add($"{prefix}_SHARING_STRATEGY=TimeSlicing");
                env.Add($"{prefix}_TIMESLICE_INTERVAL={sharing.TimeSlicing?.Interval ?? "Default"}");
                break;
            case { Strategy: "SpacePartitioning" } sharing:
                env.Add($"{prefix}_SHARING_STRATEGY=SpacePartitioning");
                env.Add($"{prefix}_PARTITION_COUNT={sharing.SpacePartitioning!.PartitionCount}");
                break;
        }

        return env;
    }
}
