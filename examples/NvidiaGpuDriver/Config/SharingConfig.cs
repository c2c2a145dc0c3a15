using System.Text.Json;
using System.Text.Json.Serialization;
using k8s.Models;

namespace NvidiaGpuDriver.Config;

/// <summary>
/// The shape of NVIDIA's opaque configs (<c>apiVersion: resource.nvidia.com/v1beta1</c>), <c>kind: GpuConfig</c> for
/// full GPUs and <c>kind: MigDeviceConfig</c> for MIG devices, each with an optional <c>sharing</c>.
/// </summary>
internal sealed class DeviceConfig
{
    public const string ApiVersionValue = "resource.nvidia.com/v1beta1";
    public const string GpuConfigKind = "GpuConfig";
    public const string MigDeviceConfigKind = "MigDeviceConfig";

    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; set; }

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    [JsonPropertyName("sharing")]
    public Sharing? Sharing { get; set; }

    /// <summary>Checks the configuration; returns the problems with their paths relative to the parameters.</summary>
    public IEnumerable<(string Path, string Problem)> Validate()
    {
        if (ApiVersion != ApiVersionValue)
        {
            yield return (".apiVersion", $"must be {ApiVersionValue}, not '{ApiVersion}'");
        }

        if (Kind is not (GpuConfigKind or MigDeviceConfigKind))
        {
            yield return (".kind", $"must be {GpuConfigKind} or {MigDeviceConfigKind}, not '{Kind}'");
        }

        if (Sharing is null)
        {
            yield break;
        }

        switch (Sharing.Strategy)
        {
            case Sharing.TimeSlicingStrategy:
                if (Sharing.MpsConfig is not null)
                {
                    yield return (".sharing.mpsConfig", "is only allowed with strategy MPS");
                }

                if (Kind == MigDeviceConfigKind && Sharing.TimeSlicingConfig is not null)
                {
                    yield return (".sharing.timeSlicingConfig", "is not supported for MIG devices (their time slice cannot be set)");
                }

                if (Sharing.TimeSlicingConfig?.Interval is { } interval && TimeSlicing.IntervalIndex(interval) is null)
                {
                    yield return (".sharing.timeSlicingConfig.interval", $"must be one of Default, Short, Medium, Long, not '{interval}'");
                }

                break;
            case Sharing.MpsStrategy:
                if (Sharing.TimeSlicingConfig is not null)
                {
                    yield return (".sharing.timeSlicingConfig", "is only allowed with strategy TimeSlicing");
                }

                if (Sharing.MpsConfig is { } mps)
                {
                    if (mps.DefaultActiveThreadPercentage is < 0 or > 100)
                    {
                        yield return (".sharing.mpsConfig.defaultActiveThreadPercentage", $"must be from 0 to 100, not {mps.DefaultActiveThreadPercentage}");
                    }

                    if (mps.DefaultPinnedDeviceMemoryLimit is { } limit && MpsConfig.ParseBytes(limit) is null)
                    {
                        yield return (".sharing.mpsConfig.defaultPinnedDeviceMemoryLimit", $"must be a positive quantity such as 10Gi, not '{limit}'");
                    }

                    foreach ((string device, string value) in mps.DefaultPerDevicePinnedMemoryLimit ?? [])
                    {
                        if (MpsConfig.ParseBytes(value) is null)
                        {
                            yield return ($".sharing.mpsConfig.defaultPerDevicePinnedMemoryLimit.{device}", $"must be a positive quantity such as 10Gi, not '{value}'");
                        }
                    }
                }

                break;
            default:
                yield return (".sharing.strategy", $"must be TimeSlicing or MPS, not '{Sharing.Strategy}'");
                break;
        }
    }
}

internal sealed class Sharing
{
    public const string TimeSlicingStrategy = "TimeSlicing";
    public const string MpsStrategy = "MPS";

    [JsonPropertyName("strategy")]
    public string? Strategy { get; set; }

    [JsonPropertyName("timeSlicingConfig")]
    public TimeSlicing? TimeSlicingConfig { get; set; }

    [JsonPropertyName("mpsConfig")]
    public MpsConfig? MpsConfig { get; set; }
}

internal sealed class TimeSlicing
{
    [JsonPropertyName("interval")]
    public string? Interval { get; set; }

    /// <summary>The interval as <c>nvidia-smi compute-policy --set-timeslice</c> takes it: Default 0, Short 1, Medium 2, Long 3.</summary>
    public static int? IntervalIndex(string interval) => interval switch
    {
        "Default" => 0,
        "Short" => 1,
        "Medium" => 2,
        "Long" => 3,
        _ => null,
    };
}

internal sealed class MpsConfig
{
    [JsonPropertyName("defaultActiveThreadPercentage")]
    public int? DefaultActiveThreadPercentage { get; set; }

    [JsonPropertyName("defaultPinnedDeviceMemoryLimit")]
    public string? DefaultPinnedDeviceMemoryLimit { get; set; }

    /// <summary>Per-device limits, keyed by the device's index in the claim or its UUID.</summary>
    [JsonPropertyName("defaultPerDevicePinnedMemoryLimit")]
    public Dictionary<string, string>? DefaultPerDevicePinnedMemoryLimit { get; set; }

    /// <summary>A Kubernetes quantity in bytes, or null when it is not a positive quantity.</summary>
    public static long? ParseBytes(string quantity)
    {
        try
        {
            decimal value = new ResourceQuantity(quantity).ToDecimal();
            return value > 0 && value <= long.MaxValue ? (long)decimal.Ceiling(value) : null;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            return null;
        }
    }
}

/// <summary>Reads opaque parameters as a <see cref="DeviceConfig"/>, strictly (unknown fields are errors).</summary>
internal static class DeviceConfigReader
{
    public static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        PropertyNameCaseInsensitive = false,
    };
}
