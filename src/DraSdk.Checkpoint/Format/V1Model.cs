using System.Text.Json;
using System.Text.Json.Serialization;

namespace DraSdk.Checkpoint.Format;

// The on-disk shape of checkpoint.drasdk.io/v1 "data". These types are pinned to the file format: they are
// deliberately separate from the public records so the public API can evolve without changing what v1 files
// look like. A format change means new types (V2*) plus a migration in CheckpointFile.DecodeData.

internal sealed class V1Data
{
    public List<V1Claim>? Claims { get; set; }
}

internal sealed class V1Claim
{
    public required string Uid { get; set; }

    public required string Namespace { get; set; }

    public required string Name { get; set; }

    /// <summary><c>PrepareStarted</c> or <c>PrepareCompleted</c>.</summary>
    public required string State { get; set; }

    public string? BootId { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public List<V1Device>? Devices { get; set; }

    public JsonElement? DriverData { get; set; }

    /// <summary>The claim's CDI spec as written (optional; readers before it ignore it).</summary>
    public JsonElement? CdiSpec { get; set; }
}

internal sealed class V1Device
{
    public List<string>? Requests { get; set; }

    public required string PoolName { get; set; }

    public required string DeviceName { get; set; }

    public List<string>? CdiDeviceIds { get; set; }

    public string? ShareId { get; set; }

    /// <summary>True when prepared with admin access; left out otherwise (readers before it ignore it).</summary>
    public bool? AdminAccess { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    AllowTrailingCommas = false,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(V1Data))]
internal sealed partial class CheckpointJsonContext : JsonSerializerContext;
