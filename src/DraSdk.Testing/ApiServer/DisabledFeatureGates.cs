using System.Text.Json.Nodes;

namespace DraSdk.Testing;

/// <summary>Changes a proposed object in place before validation; <c>old</c> is null on create.</summary>
internal delegate void JsonMutator(JsonObject obj, JsonObject? old);

/// <summary>
/// Drops the ResourceSlice fields of disabled feature gates, as the real API server's <c>dropDisabledFields</c> does:
/// a field is dropped unless the stored object already uses the feature.
/// </summary>
internal static class DisabledFeatureGates
{
    /// <summary>The gates a kube-apiserver 1.36 has off by default, of those modelled here.</summary>
    public static readonly string[] OffIn136 = ["DRAListTypeAttributes", "DRANodeAllocatableResources", DeviceTaintRules];

    /// <summary>The gate that serves DeviceTaintRules (resource.k8s.io v1alpha3 and v1beta2; never v1 in 1.36).</summary>
    public const string DeviceTaintRules = "DRADeviceTaintRules";

    private static readonly (string Gate, string[] SpecFields, string[] DeviceFields, string[] CapacityFields, string[] AttributeFields)[] Gates =
    [
        ("DRADeviceTaints", [], ["taints"], [], []),
        ("DRAPartitionableDevices", ["sharedCounters", "perDeviceNodeSelection"], ["consumesCounters", "nodeName", "nodeSelector", "allNodes"], [], []),
        ("DRADeviceBindingConditions", [], ["bindingConditions", "bindingFailureConditions", "bindsToNode"], [], []),
        ("DRAConsumableCapacity", [], ["allowMultipleAllocations"], ["requestPolicy"], []),
        ("DRANodeAllocatableResources", [], ["nodeAllocatableResources"], [], []),

        // Dropping a list leaves the attribute without a value: the server then answers 422 "exactly one value must
        // be specified", as a real 1.36 server does.
        ("DRAListTypeAttributes", [], [], [], ["bools", "ints", "strings", "versions"]),
    ];

    /// <summary>The DeviceTaintRule resources served when <see cref="DeviceTaintRules"/> is enabled.</summary>
    public static IEnumerable<ApiResourceType> GatedResources(ICollection<string> disabled) => disabled.Contains(DeviceTaintRules)
        ? []
        : [
            new("resource.k8s.io", "v1beta2", "devicetaintrules", "DeviceTaintRule", Namespaced: false, HasStatusSubresource: true),
            new("resource.k8s.io", "v1alpha3", "devicetaintrules", "DeviceTaintRule", Namespaced: false, HasStatusSubresource: true),
        ];

    public static JsonMutator? For(ApiResourceType resource, ICollection<string> disabled)
    {
        if (resource.Group != "resource.k8s.io" || resource.Plural != "resourceslices")
        {
            return null;
        }

        var gates = Gates.Where(g => disabled.Contains(g.Gate)).ToArray();
        if (gates.Length == 0)
        {
            return null;
        }

        return (obj, old) =>
        {
            if (obj["spec"] is not JsonObject spec)
            {
                return;
            }

            foreach (var gate in gates)
            {
                if (old?["spec"] is JsonObject oldSpec && InUse(oldSpec, gate))
                {
                    continue;
                }

                foreach (var f in gate.SpecFields)
                {
                    spec.Remove(f);
                }

                foreach (var device in (spec["devices"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    foreach (var f in gate.DeviceFields)
                    {
                        device.Remove(f);
                    }

                    foreach (var capacity in (device["capacity"] as JsonObject ?? []).Select(c => c.Value).OfType<JsonObject>())
                    {
                        foreach (var f in gate.CapacityFields)
                        {
                            capacity.Remove(f);
                        }
                    }

                    foreach (var attribute in (device["attributes"] as JsonObject ?? []).Select(a => a.Value).OfType<JsonObject>())
                    {
                        foreach (var f in gate.AttributeFields)
                        {
                            attribute.Remove(f);
                        }
                    }
                }
            }
        };
    }

    private static bool InUse(JsonObject spec, (string Gate, string[] SpecFields, string[] DeviceFields, string[] CapacityFields, string[] AttributeFields) gate) =>
        gate.SpecFields.Any(f => spec[f] is not null)
        || (spec["devices"] as JsonArray ?? []).OfType<JsonObject>().Any(d =>
            gate.DeviceFields.Any(f => d[f] is not null)
            || (d["capacity"] as JsonObject ?? []).Select(c => c.Value).OfType<JsonObject>().Any(c => gate.CapacityFields.Any(f => c[f] is not null))
            || (d["attributes"] as JsonObject ?? []).Select(a => a.Value).OfType<JsonObject>().Any(a => gate.AttributeFields.Any(f => a[f] is not null)));
}
