using DraSdk.Cel.Internal;
using k8s.Models;

namespace DraSdk.Cel;

/// <summary>
/// The <c>device</c> a selector sees: the driver name, attributes and capacities keyed by qualified name
/// (<c>domain/id</c>, or a bare <c>id</c> that belongs to the driver's domain) and <c>allowMultipleAllocations</c>.
/// The CEL values are computed on first use and kept, so evaluate many selectors against one instance.
/// </summary>
public sealed class CelDevice
{
    private DeviceData? _scalarData;
    private DeviceData? _listData;

    /// <summary>Creates the CEL view of a device.</summary>
    /// <param name="driver">The driver's name; the domain of attributes and capacities without one.</param>
    /// <param name="attributes">Attributes by qualified name, or <see langword="null"/>.</param>
    /// <param name="capacity">Capacities by qualified name, or <see langword="null"/>.</param>
    /// <param name="allowMultipleAllocations">The device's <c>allowMultipleAllocations</c>; null reads as false.</param>
    public CelDevice(
        string driver,
        IReadOnlyDictionary<string, V1DeviceAttribute>? attributes,
        IReadOnlyDictionary<string, V1DeviceCapacity>? capacity,
        bool? allowMultipleAllocations = null)
    {
        ArgumentNullException.ThrowIfNull(driver);
        Driver = driver;
        Attributes = attributes;
        Capacity = capacity;
        AllowMultipleAllocations = allowMultipleAllocations;
    }

    /// <summary>The driver's name (<c>device.driver</c>).</summary>
    public string Driver { get; }

    /// <summary>The attributes as given, keyed by qualified name.</summary>
    public IReadOnlyDictionary<string, V1DeviceAttribute>? Attributes { get; }

    /// <summary>The capacities as given, keyed by qualified name.</summary>
    public IReadOnlyDictionary<string, V1DeviceCapacity>? Capacity { get; }

    /// <summary>The device's <c>allowMultipleAllocations</c>.</summary>
    public bool? AllowMultipleAllocations { get; }

    /// <summary>The CEL view of a ResourceSlice device published by <paramref name="driver"/>.</summary>
    /// <param name="driver">The slice's driver.</param>
    /// <param name="device">The device.</param>
    /// <returns>The device for <see cref="CelProgram.Evaluate"/>.</returns>
    public static CelDevice From(string driver, V1Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new CelDevice(
            driver,
            device.Attributes is null ? null : new Dictionary<string, V1DeviceAttribute>(device.Attributes, StringComparer.Ordinal),
            device.Capacity is null ? null : new Dictionary<string, V1DeviceCapacity>(device.Capacity, StringComparer.Ordinal),
            device.AllowMultipleAllocations);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal DeviceData GetData(bool listTypeAttributes) =>
        (listTypeAttributes ? _listData : _scalarData) ?? Build(listTypeAttributes);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private DeviceData Build(bool listTypeAttributes)
    {
        var data = new DeviceData(this, listTypeAttributes);
        return listTypeAttributes
            ? Interlocked.CompareExchange(ref _listData, data, null) ?? data
            : Interlocked.CompareExchange(ref _scalarData, data, null) ?? data;
    }
}
