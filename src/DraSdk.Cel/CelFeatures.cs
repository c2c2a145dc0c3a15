namespace DraSdk.Cel;

/// <summary>DRA feature gates that change the CEL environment of device selectors.</summary>
[Flags]
public enum CelFeatures
{
    /// <summary>No optional feature: scalar attributes only, no <c>device.allowMultipleAllocations</c>.</summary>
    None = 0,

    /// <summary>
    /// DRAListTypeAttributes: list-valued attributes (<c>ints</c>, <c>bools</c>, <c>strings</c>, <c>versions</c>) are
    /// visible as CEL lists and <c>x.includes(y)</c> is declared.
    /// </summary>
    ListTypeAttributes = 1,

    /// <summary>DRAConsumableCapacity: the <c>device.allowMultipleAllocations</c> field is declared.</summary>
    ConsumableCapacity = 2,

    /// <summary>Every feature.</summary>
    All = ListTypeAttributes | ConsumableCapacity,
}
