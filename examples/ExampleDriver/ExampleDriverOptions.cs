using DraSdk.KubeletPlugin;

namespace ExampleDriver;

/// <summary>The example driver's own settings, from the environment (<c>NODE_NAME</c>, <c>NUM_DEVICES</c>, <c>DEVICE_METADATA</c>).</summary>
internal sealed class ExampleDriverOptions
{
    public const string DriverName = "gpu.example.com";

    /// <summary>The CDI kind (vendor/class) of the per-claim specs.</summary>
    public const string CdiKind = "k8s.gpu.example.com/gpu";

    /// <summary><c>NUM_DEVICES</c>: how many fake GPUs; the SDK splits a large pool into several ResourceSlices.</summary>
    public static readonly DriverSetting<int> NumDevicesSetting =
        DriverSetting.Number("NUM_DEVICES", 8, "How many fake GPUs the driver publishes (any number: a large pool spans several ResourceSlices).");

    /// <summary><c>DEVICE_METADATA</c>: whether each prepared request gets its KEP-5304 device metadata file in the container.</summary>
    public static readonly DriverSetting<bool> DeviceMetadataSetting =
        DriverSetting.Flag("DEVICE_METADATA", true, "Whether containers get the device metadata file of each request (KEP-5304) at /var/run/kubernetes.io/dra-device-attributes/.");

    /// <summary>The node (<c>NODE_NAME</c>, which the SDK requires); empty until set.</summary>
    public string NodeName { get; set; } = string.Empty;

    public int NumDevices { get; set; } = NumDevicesSetting.DefaultValue;

    public bool DeviceMetadata { get; set; } = DeviceMetadataSetting.DefaultValue;
}
