using DraSdk.DeviceMetadata;
using k8s.Models;

namespace DraSdk.Preparation;

/// <summary>Device metadata from what a driver already publishes in its ResourceSlices.</summary>
public static class DeviceMetadataAttributes
{
    /// <summary>A device's metadata from its published attributes (every value kind: int, bool, string, version and their lists).</summary>
    /// <param name="attributes">The attributes, as in the device's <c>V1Device.Attributes</c>.</param>
    /// <param name="networkData">Network data of a network device; null for none.</param>
    /// <returns>The details for <see cref="ClaimPlan.Add(V1DeviceRequestAllocationResult, DraSdk.Cdi.ContainerEdits, DeviceMetadataDetails?, DraSdk.KubeletPlugin.DeviceStatus?)"/>.</returns>
    public static DeviceMetadataDetails FromResourceSlice(IEnumerable<KeyValuePair<string, V1DeviceAttribute>> attributes, DeviceNetworkData? networkData = null)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        return new DeviceMetadataDetails
        {
            Attributes = attributes.ToDictionary(a => a.Key, a => ToValue(a.Value), StringComparer.Ordinal),
            NetworkData = networkData,
        };
    }

    private static DeviceAttributeValue ToValue(V1DeviceAttribute a) => new()
    {
        IntValue = a.IntValue,
        BoolValue = a.BoolValue,
        StringValue = a.StringValue,
        VersionValue = a.Version,
        Ints = a.Ints is { Count: > 0 } ints ? [.. ints.Select(i => i ?? 0)] : null,
        Bools = a.Bools is { Count: > 0 } bools ? [.. bools.Select(b => b ?? false)] : null,
        Strings = a.Strings is { Count: > 0 } strings ? [.. strings] : null,
        Versions = a.Versions is { Count: > 0 } versions ? [.. versions] : null,
    };
}
