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
    public static JsonValidator? For(ApiResourceType resource) => (resource.Group, resource.Plural) switch
    {
        ("resource.k8s.io", "resourceslices") => ResourceSlice,
        ("resource.k8s.io", "resourceclaims") => ResourceClaim,
        ("resource.k8s.io", "deviceclasses") => DeviceClass,
        _ => null,
    };

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

    private static IEnumerable<ApiFieldError> ResourceClaim(JsonObject obj, JsonObject? old)
    {
        if (old is not null && !JsonNode.DeepEquals(obj["spec"], old["spec"]))
        {
            yield return new ApiFieldError("FieldValueInvalid", "spec", "Invalid value: \"object\": field is immutable");
        }

        if (obj["spec"]?["devices"]?["requests"] is JsonArray requests)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < requests.Count; i++)
            {
                var path = Index("spec.devices.requests", i);
                var request = requests[i] as JsonObject;
                if (Str(request?["name"]) is not { Length: > 0 } name)
                {
                    yield return ApiFieldError.Required(path + ".name");
                }
                else
                {
                    foreach (var e in DnsLabel(path + ".name", name))
                    {
                        yield return e;
                    }

                    if (!seen.Add(name))
                    {
                        yield return ApiFieldError.Duplicate(path + ".name", name);
                    }
                }

                var exactly = request?["exactly"] is JsonObject;
                var firstAvailable = request?["firstAvailable"] is JsonArray;
                if (exactly == firstAvailable)
                {
                    yield return exactly
                        ? ApiFieldError.Invalid(path, "{`exactly`, `firstAvailable`}", "exactly one of `exactly` or `firstAvailable` is required, but multiple fields are set")
                        : ApiFieldError.Required(path, "exactly one of `exactly` or `firstAvailable` is required");
                }
                else if (exactly && Str(request!["exactly"]!["deviceClassName"]) is not { Length: > 0 })
                {
                    yield return ApiFieldError.Required(path + ".exactly.deviceClassName");
                }
            }
        }

        // status.devices may only describe allocated devices.
        if (obj["status"]?["devices"] is JsonArray statusDevices)
        {
            var allocated = new HashSet<string>(StringComparer.Ordinal);
            if (obj["status"]?["allocation"]?["devices"]?["results"] is JsonArray results)
            {
                foreach (var r in results)
                {
                    allocated.Add($"{Str(r?["driver"])}/{Str(r?["pool"])}/{Str(r?["device"])}");
                }
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < statusDevices.Count; i++)
            {
                var d = statusDevices[i];
                var id = $"{Str(d?["driver"])}/{Str(d?["pool"])}/{Str(d?["device"])}";
                if (!allocated.Contains(id))
                {
                    yield return ApiFieldError.Invalid(Index("status.devices", i), id, "must be an allocated device in the claim");
                }
                else if (!seen.Add(id))
                {
                    yield return ApiFieldError.Duplicate(Index("status.devices", i), id);
                }
            }
        }
    }

    private static IEnumerable<ApiFieldError> DeviceClass(JsonObject obj, JsonObject? old)
    {
        if (obj["spec"]?["selectors"] is JsonArray selectors)
        {
            for (var i = 0; i < selectors.Count; i++)
            {
                if (Str(selectors[i]?["cel"]?["expression"]) is not { Length: > 0 })
                {
                    yield return ApiFieldError.Required(Index("spec.selectors", i) + ".cel.expression");
                }
            }
        }

        if (obj["spec"]?["config"] is JsonArray configs)
        {
            for (var i = 0; i < configs.Count; i++)
            {
                if (configs[i]?["opaque"] is JsonObject opaque && Str(opaque["driver"]) is not { Length: > 0 })
                {
                    yield return ApiFieldError.Required(Index("spec.config", i) + ".opaque.driver");
                }
            }
        }
    }

    private static string Index(string field, int i) => string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]");

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static bool Bool(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static long? Long(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex LabelRegex();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex SubdomainRegex();
}
