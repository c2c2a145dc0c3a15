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
    private static readonly (string Gate, string[] SpecFields, string[] DeviceFields, string[] CapacityFields)[] Gates =
    [
        ("DRADeviceTaints", [], ["taints"], []),
        ("DRAPartitionableDevices", ["sharedCounters", "perDeviceNodeSelection"], ["consumesCounters", "nodeName", "nodeSelector", "allNodes"], []),
        ("DRADeviceBindingConditions", [], ["bindingConditions", "bindingFailureConditions", "bindsToNode"], []),
        ("DRAConsumableCapacity", [], ["allowMultipleAllocations"], ["requestPolicy"]),
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
                }
            }
        };
    }

    private static bool InUse(JsonObject spec, (string Gate, string[] SpecFields, string[] DeviceFields, string[] CapacityFields) gate) =>
        gate.SpecFields.Any(f => spec[f] is not null)
        || (spec["devices"] as JsonArray ?? []).OfType<JsonObject>().Any(d =>
            gate.DeviceFields.Any(f => d[f] is not null)
            || (d["capacity"] as JsonObject ?? []).Select(c => c.Value).OfType<JsonObject>().Any(c => gate.CapacityFields.Any(f => c[f] is not null)));
}
