// Shared source, compiled into each package that needs it (linked, internal): conversion of resource.k8s.io objects
// between the versions a cluster may serve (v1 since Kubernetes 1.34, v1beta2 since 1.33, v1beta1 since 1.32) at the
// JSON level, so that the SDK keeps one model (v1) and talks to whichever version the server has.
using System.Text.Json.Nodes;

namespace DraSdk.Internal;

/// <summary>
/// Converts ResourceSlices, ResourceClaims, ResourceClaimTemplates and DeviceClasses (and their lists) between
/// <c>resource.k8s.io/v1</c> and the older <c>v1beta2</c> and <c>v1beta1</c>. v1beta2 has the shape of v1. v1beta1
/// differs in two places: a device keeps everything but its name in a <c>basic</c> object, and a request has the
/// fields of v1's <c>exactly</c> inline next to <c>name</c> and <c>firstAvailable</c>. Nothing else changes, so the
/// conversion is lossless both ways; what a version's client model or server cannot carry is found by comparing.
/// </summary>
internal static class ResourceApiVersions
{
    /// <summary>The API group.</summary>
    public const string Group = "resource.k8s.io";

    /// <summary>The versions the SDK can use, best first.</summary>
    public static IReadOnlyList<string> Supported { get; } = ["v1", "v1beta2", "v1beta1"];

    /// <summary>Whether <paramref name="version"/> (for example <c>v1beta1</c>) is one the SDK converts.</summary>
    public static bool IsSupported(string version) => Supported.Contains(version, StringComparer.Ordinal);

    /// <summary>The version part of an <c>apiVersion</c> of the group, or null for another group.</summary>
    public static string? VersionOf(string? apiVersion) =>
        apiVersion is not null && apiVersion.StartsWith(Group + "/", StringComparison.Ordinal) ? apiVersion[(Group.Length + 1)..] : null;

    /// <summary>
    /// A copy of <paramref name="source"/> (an object or list of the group in any supported version, named by its
    /// <c>apiVersion</c>) as v1. Objects of other groups or unknown versions are copied unchanged.
    /// </summary>
    public static JsonObject ToV1(JsonObject source) => Convert(source, "v1");

    /// <summary>A copy of <paramref name="source"/> (any supported version of the group) in <paramref name="version"/>.</summary>
    public static JsonObject Convert(JsonObject source, string version)
    {
        ArgumentNullException.ThrowIfNull(source);
        var copy = (JsonObject)source.DeepClone();
        string? from = VersionOf(StringOf(copy["apiVersion"]));
        if (from is null || !IsSupported(from) || !IsSupported(version))
        {
            return copy;
        }

        copy["apiVersion"] = Group + "/" + version;
        string kind = StringOf(copy["kind"]) ?? string.Empty;
        if (kind.EndsWith("List", StringComparison.Ordinal) && copy["items"] is JsonArray items)
        {
            foreach (JsonObject item in items.OfType<JsonObject>())
            {
                ConvertBody(item, kind[..^4], from, version);
                if (item["apiVersion"] is not null)
                {
                    item["apiVersion"] = Group + "/" + version;
                }
            }
        }
        else
        {
            ConvertBody(copy, kind, from, version);
        }

        return copy;
    }

    /// <summary>
    /// The JSON paths present in <paramref name="expected"/> and missing (or different) in <paramref name="actual"/>,
    /// for example <c>spec.devices[0].basic.bindsToNode</c>: what a round trip through a version lost.
    /// </summary>
    public static List<string> Lost(JsonNode? expected, JsonNode? actual)
    {
        var lost = new List<string>();
        Compare(expected, actual, string.Empty, lost);
        return lost;
    }

    private static void Compare(JsonNode? expected, JsonNode? actual, string path, List<string> lost)
    {
        switch (expected)
        {
            case null:
                return;
            case JsonObject e when actual is JsonObject a:
                foreach ((string key, JsonNode? value) in e)
                {
                    if (value is null)
                    {
                        continue;
                    }

                    Compare(value, a[key], path.Length == 0 ? key : path + "." + key, lost);
                }

                return;
            case JsonArray e when actual is JsonArray a:
                for (int i = 0; i < e.Count; i++)
                {
                    Compare(e[i], i < a.Count ? a[i] : null, $"{path}[{i}]", lost);
                }

                return;
            case JsonValue when actual is JsonValue && JsonNode.DeepEquals(expected, actual):
                return;
            case JsonValue when actual is JsonValue && expected.ToString() == actual.ToString():
                // Quantities and numbers that print the same are the same value.
                return;
            default:
                if (expected is JsonObject { Count: 0 } or JsonArray { Count: 0 } && actual is null)
                {
                    return;
                }

                lost.Add(path);
                return;
        }
    }

    private static void ConvertBody(JsonObject obj, string kind, string from, string to)
    {
        bool fromBasic = from == "v1beta1";
        bool toBasic = to == "v1beta1";
        if (fromBasic == toBasic)
        {
            return;
        }

        switch (kind)
        {
            case "ResourceSlice":
                if (obj["spec"] is JsonObject { } spec && spec["devices"] is JsonArray devices)
                {
                    foreach (JsonObject device in devices.OfType<JsonObject>())
                    {
                        if (toBasic)
                        {
                            Nest(device, "basic", static key => key != "name", always: true);
                        }
                        else
                        {
                            Unnest(device, "basic");
                        }
                    }
                }

                break;
            case "ResourceClaim":
                ConvertRequests(obj["spec"] as JsonObject, toBasic);
                break;
            case "ResourceClaimTemplate":
                ConvertRequests((obj["spec"] as JsonObject)?["spec"] as JsonObject, toBasic);
                break;
        }
    }

    private static void ConvertRequests(JsonObject? claimSpec, bool toInline)
    {
        if (claimSpec?["devices"] is not JsonObject devices || devices["requests"] is not JsonArray requests)
        {
            return;
        }

        foreach (JsonObject request in requests.OfType<JsonObject>())
        {
            if (toInline)
            {
                Unnest(request, "exactly");
            }
            else
            {
                Nest(request, "exactly", static key => key is not ("name" or "firstAvailable"), always: false);
            }
        }
    }

    /// <summary>Moves the properties <paramref name="moves"/> picks into a new object named <paramref name="name"/> (none to move: made only when <paramref name="always"/>).</summary>
    private static void Nest(JsonObject obj, string name, Func<string, bool> moves, bool always)
    {
        var keys = obj.Select(p => p.Key).Where(moves).ToList();
        if (keys.Count == 0 && !always)
        {
            return;
        }

        var nested = new JsonObject();
        foreach (string key in keys)
        {
            JsonNode? value = obj[key];
            obj.Remove(key);
            nested[key] = value;
        }

        obj[name] = nested;
    }

    /// <summary>Moves the properties of the object named <paramref name="name"/> up into <paramref name="obj"/>.</summary>
    private static void Unnest(JsonObject obj, string name)
    {
        if (obj[name] is not JsonObject nested)
        {
            obj.Remove(name);
            return;
        }

        obj.Remove(name);
        foreach (string key in nested.Select(p => p.Key).ToList())
        {
            JsonNode? value = nested[key];
            nested.Remove(key);
            obj[key] = value;
        }
    }

    private static string? StringOf(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}
