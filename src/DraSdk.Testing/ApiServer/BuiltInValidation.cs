using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DraSdk.Testing;

/// <summary>Validates a proposed object; <c>old</c> is null on create. Both are the full JSON objects.</summary>
internal delegate IEnumerable<ApiFieldError> JsonValidator(JsonObject obj, JsonObject? old);

/// <summary>Structural checks the real API server makes, for the resources a DRA driver touches.</summary>
internal static partial class BuiltInValidation
{
    public const int MaxDevicesPerSlice = 128;

    public const int MaxDevicesPerSliceWithTaintsOrCounters = 64;

    private const string LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
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

    public static IEnumerable<ApiFieldError> DnsLabel(string field, string value)
    {
        if (value.Length > 63)
        {
            yield return ApiFieldError.Invalid(field, value, "must be no more than 63 characters");
        }

        if (!LabelRegex().IsMatch(value))
        {
            yield return ApiFieldError.Invalid(field, value, LabelMessage);
        }
    }

    public static IEnumerable<ApiFieldError> DnsSubdomain(string field, string value, int maxLength = 253)
    {
        if (value.Length > maxLength)
        {
            yield return ApiFieldError.Invalid(field, value, string.Create(CultureInfo.InvariantCulture, $"must be no more than {maxLength} characters"));
        }

        if (!SubdomainRegex().IsMatch(value))
        {
            yield return ApiFieldError.Invalid(field, value, SubdomainMessage);
        }
    }

    private static IEnumerable<ApiFieldError> ResourceSlice(JsonObject obj, JsonObject? old) => ResourceSliceRules(obj, old);

    private static string Index(string field, int i) => string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]");

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static bool Bool(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static long? Long(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex LabelRegex();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex SubdomainRegex();
}
