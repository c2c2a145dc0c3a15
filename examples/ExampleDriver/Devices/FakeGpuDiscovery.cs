using System.Security.Cryptography;
using System.Text;
using k8s.Models;

namespace ExampleDriver.Devices;

/// <summary>
/// "Discovers" <c>NUM_DEVICES</c> fake GPUs. Their UUIDs are derived from the node name and index, so they are the
/// same after every restart (a real driver reads them from the hardware).
/// </summary>
internal sealed class FakeGpuDiscovery(ExampleDriverOptions options)
{
    public const string Model = "LATEST-GPU-MODEL";
    public const string DriverVersion = "1.0.0";
    public const long MemoryBytes = 80L * 1024 * 1024 * 1024;

    private IReadOnlyList<FakeGpu>? _gpus;

    public IReadOnlyList<FakeGpu> Gpus => _gpus ??= Discover(options.NodeName, options.NumDevices);

    public FakeGpu? Find(string deviceName) => Gpus.FirstOrDefault(g => g.Name == deviceName);

    public static IReadOnlyList<FakeGpu> Discover(string nodeName, int count) =>
        [.. Enumerable.Range(0, count).Select(i => new FakeGpu(i, $"gpu-{i}", StableUuid(nodeName, i), Model, DriverVersion, MemoryBytes))];

    /// <summary>The devices as the resource.k8s.io/v1 API publishes them.</summary>
    public IReadOnlyList<V1Device> ToResourceSliceDevices() =>
    [
        .. Gpus.Select(g => new V1Device
        {
            Name = g.Name,
            Attributes = new Dictionary<string, V1DeviceAttribute>
            {
                ["index"] = new() { IntValue = g.Index },
                ["uuid"] = new() { StringValue = g.Uuid },
                ["model"] = new() { StringValue = g.Model },
                ["driverVersion"] = new() { Version = g.DriverVersion },
            },
            Capacity = new Dictionary<string, V1DeviceCapacity>
            {
                ["memory"] = new() { Value = new ResourceQuantity("80Gi") },
            },
        }),
    ];

    private static string StableUuid(string nodeName, int index)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{nodeName}/gpu-{index}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x40); // version 4 layout, deterministic content
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return "gpu-" + new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }
}
