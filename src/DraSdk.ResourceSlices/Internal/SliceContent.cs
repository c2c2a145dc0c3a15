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
