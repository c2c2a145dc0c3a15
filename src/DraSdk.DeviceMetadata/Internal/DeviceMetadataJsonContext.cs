using System.Text.Json.Serialization;

namespace DraSdk.DeviceMetadata.Internal;

/// <summary>A metadata document as it is on the wire, for reading.</summary>
internal sealed class WireDocument
{
    public string? ApiVersion { get; set; }

    public WireObjectMeta? Metadata { get; set; }

    public string? PodClaimName { get; set; }

    public List<WireRequest>? Requests { get; set; }

    public DeviceMetadataDocument ToDocument() => new()
    {
        ApiVersion = ApiVersion ?? string.Empty,
        ClaimName = Metadata?.Name ?? string.Empty,
        ClaimNamespace = Metadata?.Namespace ?? string.Empty,
        ClaimUid = Metadata?.Uid ?? string.Empty,
        Generation = Metadata?.Generation ?? 0,
        PodClaimName = PodClaimName,
        Requests = [.. (Requests ?? []).Select(r => new DeviceMetadataRequest
        {
            Name = r.Name ?? string.Empty,
            Devices = [.. (r.Devices ?? []).Select(d => new DeviceMetadataDevice
            {
                Driver = d.Driver ?? string.Empty,
                Pool = d.Pool ?? string.Empty,
                Name = d.Name ?? string.Empty,
                Attributes = d.Attributes,
                NetworkData = d.NetworkData,
            })],
        })],
    };
}

internal sealed class WireObjectMeta
{
    public string? Name { get; set; }

    public string? Namespace { get; set; }

    public string? Uid { get; set; }

    public long Generation { get; set; }
}

internal sealed class WireRequest
{
    public string? Name { get; set; }

    public List<WireDevice>? Devices { get; set; }
}

internal sealed class WireDevice
{
    public string? Driver { get; set; }

    public string? Pool { get; set; }

    public string? Name { get; set; }

    public Dictionary<string, DeviceAttributeValue>? Attributes { get; set; }

    public DeviceNetworkData? NetworkData { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(WireDocument))]
internal sealed partial class DeviceMetadataJsonContext : JsonSerializerContext;
