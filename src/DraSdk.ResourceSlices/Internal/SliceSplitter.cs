using k8s.Models;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>The devices and counter sets of one ResourceSlice.</summary>
internal sealed record SlicePart(List<V1Device> Devices, List<V1CounterSet> CounterSets);

/// <summary>
/// Splits the content of one declared slice into ResourceSlices within the API server's limits: counter sets first,
/// at most 8 per slice and never with devices (resource.k8s.io/v1 keeps them apart; devices consume them by name
/// from anywhere in the pool, so every split stays consistent), then devices in order, at most 128 per slice or 64
/// once a slice holds a device with taints, counter consumption or list attributes.
/// </summary>
internal static class SliceSplitter
{
    public static List<SlicePart> Split(List<V1Device> devices, List<V1CounterSet> counterSets)
    {
        var parts = new List<SlicePart>();
        for (int i = 0; i < counterSets.Count; i += ResourceValidation.MaxCounterSetsPerSlice)
        {
            parts.Add(new SlicePart([], counterSets.GetRange(i, Math.Min(ResourceValidation.MaxCounterSetsPerSlice, counterSets.Count - i))));
        }

        var current = new List<V1Device>();
        bool lowered = false;
        foreach (V1Device device in devices)
        {
            bool nextLowered = lowered || ResourceValidation.LowersDeviceLimit(device);
            int limit = nextLowered ? ResourceValidation.MaxDevicesPerSliceWithTaintsOrCounters : ResourceValidation.MaxDevicesPerSlice;
            if (current.Count + 1 > limit)
            {
                parts.Add(new SlicePart(current, []));
                current = [];
                nextLowered = ResourceValidation.LowersDeviceLimit(device);
            }

            current.Add(device);
            lowered = nextLowered;
        }

        if (current.Count > 0 || parts.Count == 0)
        {
            parts.Add(new SlicePart(current, []));
        }

        return parts;
    }
}
