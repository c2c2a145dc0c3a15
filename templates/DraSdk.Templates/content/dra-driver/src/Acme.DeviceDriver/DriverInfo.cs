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

    public string NodeName { get; set; } = Environment.MachineName.ToLowerInvariant();

    public int DeviceCount { get; set; } = DefaultDeviceCount;
}
