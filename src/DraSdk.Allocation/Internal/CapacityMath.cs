using k8s.Models;

namespace DraSdk.Allocation.Internal;

/// <summary>Consumable capacity: how much of a device a request consumes, and whether it still fits.</summary>
internal static class CapacityMath
{
    public enum Fit
    {
        Fits,
        TooLarge,
        Undefined,
    }

    /// <summary>
    /// Checks a request against a device: every requested capacity must be defined by the device,
    /// the amount consumed (after applying the request policy) must obey the policy, and the sum of
    /// what is allocated, what is being allocated and this request must not exceed the capacity.
    /// </summary>
    public static Fit Check(V1Device device, IDictionary<string, ResourceQuantity>? requests,
        Dictionary<string, decimal>? allocated, Dictionary<string, decimal>? allocating)
    {
        var capacity = device.Capacity ?? new Dictionary<string, V1DeviceCapacity>();
        if (requests is not null)
        {
            foreach (var name in requests.Keys)
            {
                if (!capacity.ContainsKey(name))
                {
                    return Fit.Undefined;
                }
            }
        }
        foreach (var (name, cap) in capacity)
        {
            var requested = requests is not null && requests.TryGetValue(name, out var r) ? r : null;
            var consumed = Consumed(requested, cap).ToDecimal();
            if (ViolatesPolicy(consumed, cap.RequestPolicy))
            {
                return Fit.TooLarge;
            }
            var total = consumed + (allocated?.GetValueOrDefault(name) ?? 0) + (allocating?.GetValueOrDefault(name) ?? 0);
            if (total > (cap.Value?.ToDecimal() ?? 0))
            {
                return Fit.TooLarge;
            }
        }
        return Fit.Fits;
    }

    /// <summary>The capacity a request consumes from a shared device, per capacity name.</summary>
    public static Dictionary<string, ResourceQuantity> Consumed(V1Device device, IDictionary<string, ResourceQuantity>? requests)
    {
        var result = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        foreach (var (name, cap) in device.Capacity ?? new Dictionary<string, V1DeviceCapacity>())
        {
            var requested = requests is not null && requests.TryGetValue(name, out var r) ? r : null;
            result[name] = Consumed(requested, cap);
        }
        return result;
    }

    private static ResourceQuantity Consumed(ResourceQuantity? requested, V1DeviceCapacity capacity)
    {
        var policy = capacity.RequestPolicy;
        if (requested is null)
        {
            return policy?.DefaultProperty ?? capacity.Value ?? new ResourceQuantity("0");
        }
        if (policy is null)
        {
            return requested;
        }
        if (policy.ValidRange?.Min is { } min)
        {
            var value = requested.ToDecimal();
            var minValue = min.ToDecimal();
            if (value < minValue)
            {
                return min;
            }
            if (policy.ValidRange.Step is not { } step)
            {
                return requested;
            }
            var stepValue = step.ToDecimal();
            if (stepValue <= 0)
            {
                return requested;
            }
            var n = decimal.Ceiling((value - minValue) / stepValue);
            var rounded = minValue + (n * stepValue);
            return rounded == value ? requested : new ResourceQuantity(rounded, 0, ResourceQuantity.SuffixFormat.BinarySI);
        }
        if (policy.ValidValues is { } validValues)
        {
            var value = requested.ToDecimal();
            foreach (var valid in validValues)
            {
                if (value <= valid.ToDecimal())
                {
                    return valid;
                }
            }
        }
        return requested;
    }

    private static bool ViolatesPolicy(decimal value, V1CapacityRequestPolicy? policy)
    {
        if (policy is null)
        {
            return false;
        }
        if (policy.DefaultProperty is { } d && d.ToDecimal() == value)
        {
            return false;
        }
        if (policy.ValidRange is { } range)
        {
            if (range.Max is { } max && value > max.ToDecimal())
            {
                return true;
            }
            if (range.Step is { } step && step.ToDecimal() is var s && s > 0)
            {
                var min = range.Min?.ToDecimal() ?? 0;
                return (value - min) % s != 0;
            }
            return false;
        }
        if (policy.ValidValues is { Count: > 0 } values)
        {
            return !values.Any(v => v.ToDecimal() == value);
        }
        return false;
    }
}
