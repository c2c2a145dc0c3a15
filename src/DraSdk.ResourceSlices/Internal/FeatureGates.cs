namespace DraSdk.ResourceSlices.Internal;

/// <summary>Guesses which disabled feature gate made the API server drop a field.</summary>
internal static class FeatureGates
{
    private static readonly (string Gate, string[] Markers)[] Gates =
    [
        ("DRADeviceTaints", ["taints"]),
        ("DRAPartitionableDevices", ["sharedCounters", "consumesCounters", "perDeviceNodeSelection", "devices[].nodeName", "devices[].nodeSelector", "devices[].allNodes"]),
        ("DRADeviceBindingConditions", ["bindingConditions", "bindingFailureConditions", "bindsToNode"]),
        ("DRAConsumableCapacity", ["allowMultipleAllocations", "requestPolicy"]),
        ("DRAListTypeAttributes", [".ints", ".bools", ".strings", ".versions"]),
        ("DRANodeAllocatableResources", ["nodeAllocatableResources"]),
    ];

    public static IReadOnlyList<string> For(IEnumerable<string> fields) =>
        [.. Gates.Where(g => fields.Any(f => g.Markers.Any(m => f.Contains(m, StringComparison.Ordinal)))).Select(g => g.Gate)];
}
