using System.Globalization;
using System.Text.Json.Nodes;

namespace DraSdk.Testing;

/// <summary>Validates a proposed object; <c>old</c> is null on create. Both are the full JSON objects.</summary>
internal delegate IEnumerable<ApiFieldError> JsonValidator(JsonObject obj, JsonObject? old);

/// <summary>Structural checks the real API server makes, for the resources a DRA driver touches.</summary>
internal static partial class BuiltInValidation
{
    public const int MaxDevicesPerSlice = 128;

    public const int MaxDevicesPerSliceWithTaintsOrCounters = 64;

    private const string NodeSelection = "exactly one of `nodeName`, `nodeSelector`, `allNodes`, `perDeviceNodeSelection` is required";

    /// <summary>The built-in validator for a resource, if there is one.</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="context">The namespaces and disabled gates some rules depend on; none when null.</param>
    public static JsonValidator? For(ApiResourceType resource, ValidationContext? context = null)
    {
        var c = context ?? ValidationContext.Empty;
        return (resource.Group, resource.Version, resource.Plural) switch
        {
            ("resource.k8s.io", _, "resourceslices") => ResourceSlice,
            ("resource.k8s.io", "v1", "resourceclaims") => (obj, old) => ResourceClaim(obj, old, c),
            ("resource.k8s.io", "v1", "resourceclaimtemplates") => (obj, old) => ResourceClaimTemplate(obj, old, c),
            ("resource.k8s.io", "v1", "deviceclasses") => (obj, old) => DeviceClass(obj, old, c),
            _ => null,
        };
    }

    /// <summary>Checks an object name: a DNS label for namespaces, a DNS subdomain otherwise.</summary>
    public static IEnumerable<ApiFieldError> ObjectName(ApiResourceType resource, string name)
    {
        var isNamespace = resource.Group.Length == 0 && resource.Plural == "namespaces";
        return isNamespace ? DnsLabel("metadata.name", name) : DnsSubdomain("metadata.name", name);
    }

    private static IEnumerable<ApiFieldError> ResourceSlice(JsonObject obj, JsonObject? old) => ResourceSliceRules(obj, old);

    private static string Index(string field, int i) => string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]");

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static bool Bool(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static long? Long(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;
}
