using DraSdk.KubeletPlugin;

namespace Acme.DeviceDriver;

/// <summary>The driver's fixed names and its settings from the environment (<c>NODE_NAME</c>, <c>NUM_DEVICES</c>).</summary>
internal sealed class DriverInfo
{
    /// <summary>The DRA driver name, as DeviceClasses, ResourceSlices and claims spell it.</summary>
    public const string DriverName = "device.example.com";

    /// <summary>The CDI vendor and class of the per-claim specs (<c>vendor/class=device</c>).</summary>
#if (cdiVendor != "")
    public const string CdiVendor = "CDI_VENDOR_OVERRIDE";
#else
    public const string CdiVendor = "k8s." + DriverName;
#endif

#if (cdiClass != "")
    public const string CdiClass = "CDI_CLASS_OVERRIDE";
#else
    public const string CdiClass = "devkind";
#endif

    /// <summary>The CDI kind of the per-claim specs.</summary>
    public const string CdiKind = CdiVendor + "/" + CdiClass;

    /// <summary>What the devices are called: <c>devkind-0</c>, <c>devkind-1</c>, ...</summary>
    public const string DeviceKind = "devkind";

    public const int DefaultDeviceCount = DEFAULT_DEVICE_COUNT;

    /// <summary><c>NUM_DEVICES</c>: how many fake devices; the SDK splits a large pool into several ResourceSlices.</summary>
    public static readonly DriverSetting<int> DeviceCountSetting =
        DriverSetting.Number("NUM_DEVICES", DefaultDeviceCount, "How many fake devices the driver publishes (any number: a large pool spans several ResourceSlices).");

    /// <summary>The node (<c>NODE_NAME</c>, which the SDK requires); empty until set.</summary>
    public string NodeName { get; set; } = string.Empty;

    public int DeviceCount { get; set; } = DefaultDeviceCount;
}
