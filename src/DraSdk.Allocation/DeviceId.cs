namespace DraSdk.Allocation;

/// <summary>Identifies a device: driver, pool and device name.</summary>
/// <param name="Driver">The driver name.</param>
/// <param name="Pool">The pool name.</param>
/// <param name="Device">The device name within the pool.</param>
public readonly record struct DeviceId(string Driver, string Pool, string Device)
{
    /// <summary>Returns <c>driver/pool/device</c>.</summary>
    /// <returns>The identifier as text.</returns>
    public override string ToString() => $"{Driver}/{Pool}/{Device}";
}
