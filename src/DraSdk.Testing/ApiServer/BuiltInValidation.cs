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

    private static IEnumerable<ApiFieldError> ResourceSlice(JsonObject obj, JsonObject? old)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            yield return ApiFieldError.Required("spec");
            yield break;
        }

        if (Str(spec["driver"]) is not { Length: > 0 } driver)
        {
            yield return ApiFieldError.Required("spec.driver");
        }
        else
        {
            foreach (var e in DnsSubdomain("spec.driver", driver, 63))
            {
                yield return e;
            }
        }

        if (spec["pool"] is not JsonObject pool)
        {
            yield return ApiFieldError.Required("spec.pool");
        }
        else
        {
            if (Str(pool["name"]) is not { Length: > 0 } poolName)
            {
                yield return ApiFieldError.Required("spec.pool.name");
            }
            else
            {
                if (poolName.Length > 253)
                {
                    yield return ApiFieldError.TooLong("spec.pool.name", 253);
                }

                foreach (var part in poolName.Split('/'))
                {
                    if (!SubdomainRegex().IsMatch(part))
                    {
                        yield return ApiFieldError.Invalid("spec.pool.name", poolName, "must be one or more DNS sub-domains separated by slashes");
                        break;
                    }
                }
            }

            if (Long(pool["resourceSliceCount"]) is not { } count || count <= 0)
            {
                yield return ApiFieldError.Invalid("spec.pool.resourceSliceCount", Long(pool["resourceSliceCount"]) ?? 0, "must be greater than zero");
            }

            if (Long(pool["generation"]) is < 0)
            {
                yield return ApiFieldError.Invalid("spec.pool.generation", Long(pool["generation"]), "must be greater than or equal to zero");
            }
        }

        var set = new List<string>();
        if (Str(spec["nodeName"]) is { Length: > 0 } nodeName)
        {
            set.Add("`nodeName`");
            foreach (var e in DnsSubdomain("spec.nodeName", nodeName))
            {
                yield return e;
            }
        }

        if (spec["nodeSelector"] is JsonObject)
        {
            set.Add("`nodeSelector`");
        }

        if (Bool(spec["allNodes"]))
        {
            set.Add("`allNodes`");
        }

        if (Bool(spec["perDeviceNodeSelection"]))
        {
            set.Add("`perDeviceNodeSelection`");
        }

        if (set.Count == 0)
        {
            yield return ApiFieldError.Required("spec", NodeSelection);
        }
        else if (set.Count > 1)
        {
            yield return ApiFieldError.Invalid("spec", "{" + string.Join(", ", set) + "}", NodeSelection + ", but multiple fields are set");
        }

        foreach (var e in ResourceSliceLimits(spec))
        {
            yield return e;
        }

        if (spec["devices"] is JsonArray devices)
        {
            var maxDevices = devices.Any(UsesTaintsCountersOrLists) ? MaxDevicesPerSliceWithTaintsOrCounters : MaxDevicesPerSlice;
            if (devices.Count > maxDevices)
            {
                yield return ApiFieldError.TooMany("spec.devices", devices.Count, maxDevices);
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < devices.Count; i++)
            {
                var field = Index("spec.devices", i) + ".name";
                if (Str(devices[i]?["name"]) is not { Length: > 0 } name)
                {
                    yield return ApiFieldError.Required(field);
                    continue;
                }

                foreach (var e in DnsLabel(field, name))
                {
                    yield return e;
                }

                if (!seen.Add(name))
                {
                    yield return ApiFieldError.Duplicate(field, name);
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
