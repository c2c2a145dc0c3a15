namespace DraSdk.Allocation;

/// <summary>
/// The DRA feature gates that change how devices are allocated. A feature that is off behaves
/// as the scheduler does with the gate off: requests that use it are rejected and devices that
/// depend on it are ignored.
/// </summary>
[Flags]
public enum AllocatorFeatures
{
    /// <summary>Only the core: ExactCount and All, selectors, configs, matchAttribute, node selection.</summary>
    None = 0,

    /// <summary><c>DRAAdminAccess</c>: requests with <c>adminAccess</c> may use devices that are in use.</summary>
    AdminAccess = 1,

    /// <summary><c>DRAPrioritizedList</c>: requests with <c>firstAvailable</c> subrequests.</summary>
    PrioritizedList = 2,

    /// <summary><c>DRAPartitionableDevices</c>: shared counters and per-device node selection.</summary>
    PartitionableDevices = 4,

    /// <summary><c>DRADeviceTaints</c>: device taints and request tolerations.</summary>
    DeviceTaints = 8,

    /// <summary><c>DRADeviceBindingConditions</c>: devices with binding conditions.</summary>
    DeviceBindingAndStatus = 16,

    /// <summary><c>DRAConsumableCapacity</c>: shared devices, capacity requests, share IDs and <c>distinctAttribute</c>.</summary>
    ConsumableCapacity = 32,

    /// <summary><c>DRAListTypeAttributes</c>: list-valued device attributes.</summary>
    ListTypeAttributes = 64,

    /// <summary>Every feature.</summary>
    All = AdminAccess | PrioritizedList | PartitionableDevices | DeviceTaints | DeviceBindingAndStatus | ConsumableCapacity | ListTypeAttributes,
}
