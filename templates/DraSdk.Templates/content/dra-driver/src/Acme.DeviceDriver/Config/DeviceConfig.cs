using System.Text.Json.Serialization;

namespace Acme.DeviceDriver.Config;

/// <summary>
/// The driver's opaque configuration (<c>apiVersion: device.example.com/v1alpha1</c>, <c>kind: DeviceConfig</c>), given in
/// a DeviceClass or ResourceClaim under <c>config[].opaque.parameters</c>. Replace the fields with your device's settings.
/// </summary>
internal sealed class DeviceConfig
{
    public const string ApiVersionValue = DriverInfo.DriverName + "/v1alpha1";
    public const string KindValue = "DeviceConfig";
    private static readonly string[] Profiles = ["Default", "LowPower", "Performance"];

    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; set; }

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    /// <summary>An example setting: how the device runs.</summary>
    [JsonPropertyName("profile")]
    public string? Profile { get; set; }

    /// <summary>The configuration used when none is given.</summary>
    public static DeviceConfig Default() => new() { ApiVersion = ApiVersionValue, Kind = KindValue, Profile = "Default" };

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

        if (Profile is not null && !Profiles.Contains(Profile))
        {
            yield return (".profile", $"must be one of {string.Join(", ", Profiles)}, not '{Profile}'");
        }
    }
}

/// <summary>Source-generated JSON for <see cref="DeviceConfig"/> (trim- and AOT-safe); add your config types here.</summary>
[JsonSerializable(typeof(DeviceConfig))]
internal sealed partial class DeviceConfigJson : JsonSerializerContext;
