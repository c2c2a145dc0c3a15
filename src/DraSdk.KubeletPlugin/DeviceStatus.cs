using System.Text.Json.Nodes;
using k8s.Models;

namespace DraSdk.KubeletPlugin;

/// <summary>
/// What a driver reports about one allocated device in the claim's <c>status.devices</c> (KEP-4817): conditions,
/// opaque data and network data. Written with server-side apply under the driver's own field manager.
/// </summary>
/// <remarks>
/// The API's limits are checked before anything is sent: at most 8 conditions, <see cref="Data"/> a JSON object of at
/// most 10 KiB, <c>interfaceName</c> at most 256 bytes, <c>hardwareAddress</c> at most 128 bytes, at most 16 unique
/// IPs in CIDR form (<c>10.9.8.7/24</c>).
/// </remarks>
public sealed record DeviceStatus
{
    /// <summary>The API's limit on conditions per device.</summary>
    public const int MaxConditions = 8;

    /// <summary>The API's limit on the serialized size of <see cref="Data"/>, in bytes.</summary>
    public const int MaxDataBytes = 10 * 1024;

    /// <summary>The API's limit on <c>networkData.interfaceName</c>, in bytes.</summary>
    public const int MaxInterfaceNameBytes = 256;

    /// <summary>The API's limit on <c>networkData.hardwareAddress</c>, in bytes.</summary>
    public const int MaxHardwareAddressBytes = 128;

    /// <summary>The API's limit on <c>networkData.ips</c>.</summary>
    public const int MaxIps = 16;

    /// <summary>The device's conditions (for example <c>Ready</c>); a condition without a transition time gets the time it was reported.</summary>
    public IReadOnlyList<V1Condition> Conditions { get; init; } = [];

    /// <summary>Driver-specific data, an arbitrary JSON object (for example the device's uuid, model and driver version).</summary>
    public JsonObject? Data { get; init; }

    /// <summary>Network data of a networking device: interface name, IPs (CIDR) and hardware address.</summary>
    public V1NetworkDeviceData? NetworkData { get; init; }
}
