using System.Security.Cryptography;
using System.Text;
using k8s.Models;

namespace Acme.DeviceDriver.Devices;

/// <summary>One device: what discovery found and what the ResourceSlice publishes.</summary>
internal sealed record FakeDevice(int Index, string Name, string Uuid);

/// <summary>
/// "Discovers" <see cref="DriverInfo.DeviceCount"/> fake devices whose UUIDs are derived from the node name and index,
/// so they are the same after every restart. Replace it with code that reads your hardware.
/// </summary>
internal sealed class FakeDeviceDiscovery(DriverInfo info)
{
    private IReadOnlyList<FakeDevice>? _devices;

    public IReadOnlyList<FakeDevice> Devices => _devices ??=
        [.. Enumerable.Range(0, info.DeviceCount).Select(i => new FakeDevice(i, $"{DriverInfo.DeviceKind}-{i}", StableUuid(info.NodeName, i)))];

    public FakeDevice? Find(string deviceName) => Devices.FirstOrDefault(d => d.Name == deviceName);

    /// <summary>The devices as the resource.k8s.io/v1 API publishes them.</summary>
    public IReadOnlyList<V1Device> ToResourceSliceDevices() =>
    [
        .. Devices.Select(d => new V1Device
        {
            Name = d.Name,
            Attributes = new Dictionary<string, V1DeviceAttribute>
            {
                ["index"] = new() { IntValue = d.Index },
                ["uuid"] = new() { StringValue = d.Uuid },
            },
        }),
    ];

    private static string StableUuid(string nodeName, int index)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{nodeName}/{index}"));
        return new Guid(hash.AsSpan(0, 16)).ToString();
    }
}
