using System.Text.Json.Serialization;

namespace ExampleDriver.Config;

/// <summary>
/// The driver's opaque configuration (<c>apiVersion: gpu.example.com/v1alpha1</c>, <c>kind: GpuConfig</c>), given in a
/// DeviceClass or ResourceClaim under <c>config[].opaque.parameters</c>.
/// </summary>
internal sealed class GpuConfig
{
    public const string ApiVersionValue = "gpu.example.com/v1alpha1";
    public const string KindValue = "GpuConfig";

    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; set; }

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    [JsonPropertyName("sharing")]
    public GpuSharing? Sharing { get; set; }

    /// <summary>The configuration used when none is given.</summary>
    public static GpuConfig Default() => new()
    {
        ApiVersion = ApiVersionValue,
        Kind = KindValue,
        Sharing = new GpuSharing { Strategy = "TimeSlicing", TimeSlicing = new TimeSlicingConfig { Interval = "Default" } },
    };

    /// <summary>Checks the configuration; returns the problems with their paths relative to the parameters.</summary>
    public IEnumerable<(string Path, string Problem)> Validate()
    {
        if (ApiVersion != ApiVersionValue)
        {
            yield return (".apiVersion", $"must be {ApiVersionValue}, not '{ApiVersion}'");
        }

        if (Kind != KindValue)
        {
            yield return (".kind", $"must be {KindValue}, not '{Kind}'");
        }

        if (Sharing is null)
        {
            yield break;
        }

        switch (Sharing.Strategy)
        {
            case "TimeSlicing":
                if (Sharing.SpacePartitioning is not null)
                {
                    yield return (".sharing.spacePartitioningConfig", "is only allowed with strategy SpacePartitioning");
                }

                if (Sharing.TimeSlicing?.Interval is { } interval && interval is not ("Default" or "Short" or "Medium" or "Long"))
                {
                    yield return (".sharing.timeSlicingConfig.interval", $"must be one of Default, Short, Medium, Long, not '{interval}'");
                }

                break;
            case "SpacePartitioning":
                if (Sharing.TimeSlicing is not null)
                {
                    yield return (".sharing.timeSlicingConfig", "is only allowed with strategy TimeSlicing");
                }

                if (Sharing.SpacePartitioning is null || Sharing.SpacePartitioning.PartitionCount < 1)
                {
                    yield return (".sharing.spacePartitioningConfig.partitionCount", "must be at least 1");
                }

                break;
            default:
                yield return (".sharing.strategy", $"must be TimeSlicing or SpacePartitioning, not '{Sharing.Strategy}'");
                break;
        }
    }
}

internal sealed class GpuSharing
{
    [JsonPropertyName("strategy")]
    public string? Strategy { get; set; }

    [JsonPropertyName("timeSlicingConfig")]
    public TimeSlicingConfig? TimeSlicing { get; set; }

    [JsonPropertyName("spacePartitioningConfig")]
    public SpacePartitioningConfig? SpacePartitioning { get; set; }
}

internal sealed class TimeSlicingConfig
{
    [JsonPropertyName("interval")]
    public string? Interval { get; set; }
}

internal sealed class SpacePartitioningConfig
{
    [JsonPropertyName("partitionCount")]
    public int PartitionCount { get; set; }
}

/// <summary>Source-generated JSON for <see cref="GpuConfig"/> (trim- and AOT-safe).</summary>
[JsonSerializable(typeof(GpuConfig))]
internal sealed partial class GpuConfigJson : JsonSerializerContext;
