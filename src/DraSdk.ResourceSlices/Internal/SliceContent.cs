using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>
/// Compares ResourceSlice specs structurally. The model types are records, but their lists and dictionaries compare by
/// reference, so the spec is compared as JSON instead: the pool (compared separately) is left out, as are nulls and
/// empty lists and objects (the API server drops them); object members compare in any order, numbers by value.
/// </summary>
internal static class SliceContent
{
    /// <summary>The normalized content of <paramref name="spec"/>, without <c>pool</c>.</summary>
    public static JsonNode Of(V1ResourceSliceSpec? spec)
    {
        JsonNode node = spec is null ? new JsonObject() : JsonNode.Parse(KubernetesJson.Serialize(spec)) ?? new JsonObject();
        if (node is JsonObject obj)
        {
            obj.Remove("pool");
        }

        return Normalize(node) ?? new JsonObject();
    }

    /// <summary>
    /// <paramref name="desired"/> with what the API server fills in taken from <paramref name="existing"/>: a taint
    /// without <c>timeAdded</c> gets the time the server recorded for the same device and taint. Returns
    /// <paramref name="desired"/> itself when there is nothing to take.
    /// </summary>
    public static JsonNode WithServerDefaults(JsonNode desired, JsonNode existing)
    {
        if (desired["devices"] is not JsonArray devices || existing["devices"] is not JsonArray existingDevices
            || !devices.Any(d => d?["taints"] is JsonArray taints && taints.Any(t => t?["timeAdded"] is null)))
        {
            return desired;
        }

        JsonNode copy = desired.DeepClone();
        var byName = existingDevices.OfType<JsonObject>()
            .Where(d => d["name"] is JsonValue)
            .GroupBy(d => d["name"]!.GetValue<string>(), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (JsonObject device in ((JsonArray)copy["devices"]!).OfType<JsonObject>())
        {
            if (device["taints"] is not JsonArray taints || device["name"]?.GetValue<string>() is not { } name
                || !byName.TryGetValue(name, out JsonObject? have) || have["taints"] is not JsonArray haveTaints)
            {
                continue;
            }

            foreach (JsonObject taint in taints.OfType<JsonObject>().Where(t => t["timeAdded"] is null))
            {
                JsonObject? same = haveTaints.OfType<JsonObject>().FirstOrDefault(t =>
                    JsonNode.DeepEquals(t["key"], taint["key"]) && JsonNode.DeepEquals(t["value"], taint["value"]) && JsonNode.DeepEquals(t["effect"], taint["effect"]));
                if (same?["timeAdded"] is { } added)
                {
                    taint["timeAdded"] = added.DeepClone();
                }
            }
        }

        return copy;
    }

    /// <summary>
    /// The fields set in <paramref name="sent"/> that <paramref name="returned"/> lacks, as paths with list indexes and
    /// map keys generalized (<c>devices[].taints</c>, <c>devices[].capacity.*.requestPolicy</c>), sorted.
    /// </summary>
    public static IReadOnlyList<string> MissingFields(JsonNode? sent, JsonNode? returned)
    {
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        Collect(sent, returned, string.Empty, missing);
        return [.. missing];
    }

    private static void Collect(JsonNode? sent, JsonNode? returned, string path, SortedSet<string> missing)
    {
        switch (sent)
        {
            case JsonObject obj:
                bool isMap = path.EndsWith(".attributes", StringComparison.Ordinal) || path.EndsWith(".capacity", StringComparison.Ordinal)
                    || path.EndsWith(".counters", StringComparison.Ordinal);
                foreach ((string key, JsonNode? value) in obj)
                {
                    string child = path.Length == 0 ? key : path + "." + (isMap ? "*" : key);
                    if (returned is not JsonObject r || !r.ContainsKey(key) || r[key] is null)
                    {
                        if (value is not null)
                        {
                            missing.Add(child);
                        }
                    }
                    else
                    {
                        Collect(value, r[key], child, missing);
                    }
                }

                break;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++)
                {
                    if (returned is JsonArray r && i < r.Count)
                    {
                        Collect(array[i], r[i], path + "[]", missing);
                    }
                    else
                    {
                        missing.Add(path + "[]");
                        break;
                    }
                }

                break;
        }
    }

    /// <summary>Whether two normalized contents are the same.</summary>
    public static bool AreEqual(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

    /// <summary>Drops nulls and empty lists and objects, recursively; returns null when nothing is left.</summary>
    internal static JsonNode? Normalize(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                foreach (string key in obj.Select(p => p.Key).ToList())
                {
                    JsonNode? value = Normalize(obj[key]);
                    if (value is null)
                    {
                        obj.Remove(key);
                    }
                }

                return obj.Count == 0 ? null : obj;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++)
                {
                    // Array elements keep their position: an empty element stays as an empty object.
                    JsonNode? element = array[i];
                    if (element is JsonObject or JsonArray)
                    {
                        _ = Normalize(element);
                    }
                }

                return array.Count == 0 ? null : array;
            default:
                return node;
        }
    }
}
