using System.Text.Json.Serialization;

namespace DraSdk.DeviceMetadata;

/// <summary>
/// The device metadata of one request of a prepared claim (KEP-5304): the claim's identity and generation, and each
/// device allocated for the request with its attributes and network data. One document of the metadata stream.
/// </summary>
public sealed record DeviceMetadataDocument
{
    /// <summary>The API version the document was read in (<see cref="DeviceMetadataVersions"/>); ignored when writing.</summary>
    public string ApiVersion { get; init; } = DeviceMetadataVersions.V1Alpha1;

    /// <summary>The claim's name.</summary>
    public required string ClaimName { get; init; }

    /// <summary>The claim's namespace.</summary>
    public required string ClaimNamespace { get; init; }

    /// <summary>The claim's UID.</summary>
    public required string ClaimUid { get; init; }

    /// <summary>Starts at 1 when the claim is prepared and grows by one on every update of the metadata.</summary>
    public long Generation { get; init; }

    /// <summary>
    /// The name the pod gives the claim (<c>pod.spec.resourceClaims[].name</c>), for a claim made from a template; null
    /// for a claim the pod references by name.
    /// </summary>
    public string? PodClaimName { get; init; }

    /// <summary>The requests (one when written by a driver; several after <see cref="DeviceMetadataReader.Merge"/>).</summary>
    public IReadOnlyList<DeviceMetadataRequest> Requests { get; init; } = [];
}

/// <summary>One request of a claim and the devices allocated for it.</summary>
public sealed record DeviceMetadataRequest
{
    /// <summary>The request's name: <c>request</c>, or <c>request/subrequest</c> for a prioritized list.</summary>
    public required string Name { get; init; }

    /// <summary>The devices allocated for the request.</summary>
    public IReadOnlyList<DeviceMetadataDevice> Devices { get; init; } = [];
}

/// <summary>One allocated device.</summary>
public sealed record DeviceMetadataDevice
{
    /// <summary>The DRA driver of the device.</summary>
    public required string Driver { get; init; }

    /// <summary>The device's pool.</summary>
    public required string Pool { get; init; }

    /// <summary>The device's name in its pool.</summary>
    public required string Name { get; init; }

    /// <summary>Attributes as in a ResourceSlice, keyed by (qualified) name; null or empty for none.</summary>
    public IReadOnlyDictionary<string, DeviceAttributeValue>? Attributes { get; init; }

    /// <summary>Network data of a network device; null for none.</summary>
    public DeviceNetworkData? NetworkData { get; init; }
}

/// <summary>A device attribute: exactly one of the values is set, as in a ResourceSlice.</summary>
public sealed record DeviceAttributeValue
{
    /// <summary>An integer.</summary>
    [JsonPropertyName("int")]
    public long? IntValue { get; init; }

    /// <summary>A boolean.</summary>
    [JsonPropertyName("bool")]
    public bool? BoolValue { get; init; }

    /// <summary>A string.</summary>
    [JsonPropertyName("string")]
    public string? StringValue { get; init; }

    /// <summary>A semantic version.</summary>
    [JsonPropertyName("version")]
    public string? VersionValue { get; init; }

    /// <summary>A list of integers.</summary>
    public IReadOnlyList<long>? Ints { get; init; }

    /// <summary>A list of booleans.</summary>
    public IReadOnlyList<bool>? Bools { get; init; }

    /// <summary>A list of strings.</summary>
    public IReadOnlyList<string>? Strings { get; init; }

    /// <summary>A list of semantic versions.</summary>
    public IReadOnlyList<string>? Versions { get; init; }

    /// <summary>A string attribute.</summary>
    /// <param name="value">The value.</param>
    public static DeviceAttributeValue FromString(string value) => new() { StringValue = value };

    /// <summary>An integer attribute.</summary>
    /// <param name="value">The value.</param>
    public static DeviceAttributeValue FromInt(long value) => new() { IntValue = value };

    /// <summary>A boolean attribute.</summary>
    /// <param name="value">The value.</param>
    public static DeviceAttributeValue FromBool(bool value) => new() { BoolValue = value };

    /// <summary>A semantic-version attribute.</summary>
    /// <param name="value">The value, e.g. <c>1.2.3</c>.</param>
    public static DeviceAttributeValue FromVersion(string value) => new() { VersionValue = value };
}

/// <summary>Network data of a device, as in a claim's device status.</summary>
public sealed record DeviceNetworkData
{
    /// <summary>The interface's name in the pod (e.g. <c>eth1</c>).</summary>
    public string? InterfaceName { get; init; }

    /// <summary>The interface's addresses in CIDR form (e.g. <c>10.0.0.5/24</c>).</summary>
    public IReadOnlyList<string>? Ips { get; init; }

    /// <summary>The interface's hardware (MAC) address.</summary>
    public string? HardwareAddress { get; init; }
}

/// <summary>What a driver knows of one device for its metadata: attributes and network data.</summary>
public sealed record DeviceMetadataDetails
{
    /// <summary>Attributes as in a ResourceSlice, keyed by (qualified) name.</summary>
    public IReadOnlyDictionary<string, DeviceAttributeValue>? Attributes { get; init; }

    /// <summary>Network data of a network device.</summary>
    public DeviceNetworkData? NetworkData { get; init; }
}

/// <summary>The API versions of the device metadata stream, and its kind.</summary>
public static class DeviceMetadataVersions
{
    /// <summary>The API group.</summary>
    public const string Group = "metadata.resource.k8s.io";

    /// <summary>The kind of every document.</summary>
    public const string Kind = "DeviceMetadata";

    /// <summary><c>metadata.resource.k8s.io/v1alpha1</c>, the version Kubernetes 1.36 reads and writes.</summary>
    public const string V1Alpha1 = Group + "/v1alpha1";

    /// <summary><c>metadata.resource.k8s.io/v1beta1</c>, same fields, added after 1.36.</summary>
    public const string V1Beta1 = Group + "/v1beta1";

    /// <summary>The versions this library reads and writes, newest first.</summary>
    public static IReadOnlyList<string> Supported { get; } = [V1Beta1, V1Alpha1];
}
