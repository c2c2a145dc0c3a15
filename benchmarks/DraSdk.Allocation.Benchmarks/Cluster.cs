using DraSdk.Allocation;
using k8s.Models;

namespace DraSdk.Allocation.Benchmarks;

/// <summary>A synthetic cluster: nodes with one ResourceSlice of GPUs each, and a GPU DeviceClass.</summary>
internal static class Cluster
{
    public const string Driver = "gpu.example.com";

    public static V1DeviceClass GpuClass() => new()
    {
        Metadata = new V1ObjectMeta { Name = "gpu" },
        Spec = new V1DeviceClassSpec { Selectors = [new V1DeviceSelector { Cel = new V1CELDeviceSelector { Expression = $"device.driver == \"{Driver}\"" } }] },
    };

    public static List<V1ResourceSlice> Slices(int nodes, int gpusPerNode) =>
        Enumerable.Range(0, nodes).Select(n => new V1ResourceSlice
        {
            Metadata = new V1ObjectMeta { Name = $"node-{n}-gpus" },
            Spec = new V1ResourceSliceSpec
            {
                Driver = Driver,
                NodeName = $"node-{n}",
                Pool = new V1ResourcePool { Name = $"node-{n}", Generation = 1, ResourceSliceCount = 1 },
                Devices = Enumerable.Range(0, gpusPerNode).Select(i => new V1Device
                {
                    Name = $"gpu-{i}",
                    Attributes = new Dictionary<string, V1DeviceAttribute>
                    {
                        ["model"] = new() { StringValue = "h100" },
                        ["numa"] = new() { IntValue = i * 2 / gpusPerNode },
                    },
                    Capacity = new Dictionary<string, V1DeviceCapacity> { ["memory"] = new() { Value = new ResourceQuantity("80Gi") } },
                }).ToList(),
            },
        }).ToList();

    public static Resourcev1ResourceClaim GpuClaim(string name, int count) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1ResourceClaimSpec
        {
            Devices = new V1DeviceClaim
            {
                Requests =
                [
                    new V1DeviceRequest
                    {
                        Name = "gpus",
                        Exactly = new V1ExactDeviceRequest
                        {
                            DeviceClassName = "gpu",
                            Count = count,
                            Selectors = [new V1DeviceSelector { Cel = new V1CELDeviceSelector { Expression = $"device.attributes[\"{Driver}\"].model == \"h100\"" } }],
                        },
                    },
                ],
            },
        },
    };

    /// <summary>The first <paramref name="used"/> GPUs of the node are in use.</summary>
    public static AllocatedState InUse(string node, int used)
    {
        var state = new AllocatedState();
        for (var i = 0; i < used; i++)
        {
            state.AddDevice(new DeviceId(Driver, node, $"gpu-{i}"));
        }
        return state;
    }
}
