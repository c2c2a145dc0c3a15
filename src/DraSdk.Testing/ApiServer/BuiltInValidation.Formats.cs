using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DraSdk.Testing;

/// <summary>
/// The other string formats and shared shapes of the real API server's validation (UUIDs, interface addresses, node
/// selectors, raw JSON parameters, conditions, object metadata), with its messages; the name formats are in
/// BuiltInValidation.Names.cs.
/// Lengths are counted in UTF-8 bytes, as Go's <c>len</c> counts them.
/// </summary>
internal static partial class BuiltInValidation
{
    private const string ConditionReasonMessage = "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')";
    private const int TotalAnnotationSizeLimit = 256 * 1024;

    private static readonly string[] ConditionStatuses = ["False", "True", "Unknown"];

    /// <summary>The length of a string as Go's <c>len</c> counts it: UTF-8 bytes.</summary>
    private static int Bytes(string value) => Encoding.UTF8.GetByteCount(value);

    /// <summary>A share ID: a UUID in its normalized, lower-case form.</summary>
    private static IEnumerable<ApiFieldError> Uuid(string field, string value)
    {
        var text = value.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase) ? value[9..] : value;
        if (value.Length is not (36 or 38 or 32 or 45))
        {
            yield return ApiFieldError.Invalid(field, value, string.Create(CultureInfo.InvariantCulture, $"error validating uid: invalid UUID length: {value.Length}"));
        }
        else if (!Guid.TryParseExact(text, "D", out _) && !Guid.TryParseExact(text, "B", out _) && !Guid.TryParseExact(text, "N", out _))
        {
            yield return ApiFieldError.Invalid(field, value, "error validating uid: invalid UUID format");
        }
        else if (value.Length != 36 || value.Any(char.IsAsciiLetterUpper))
        {
            yield return ApiFieldError.Invalid(field, value, "uid must be in RFC 4122 normalized form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` with lowercase hexadecimal characters");
        }
    }

    /// <summary>An interface address in CIDR form (<c>192.0.2.5/24</c>), canonical as Go prints it.</summary>
    private static IEnumerable<ApiFieldError> InterfaceAddress(string field, string value)
    {
        const string Form = "must be a valid address in CIDR form, (e.g. 10.9.8.7/24 or 2001:db8::1/64)";
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !TryParseIp(value[..slash], out var ip) || !TryParsePrefix(value[(slash + 1)..], out var prefix)
            || prefix > (ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))
        {
            yield return ApiFieldError.Invalid(field, value, Form);
            yield break;
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
            prefix = Math.Max(0, prefix - 96);
        }

        var canonical = ip + "/" + prefix.ToString(CultureInfo.InvariantCulture);
        if (value != canonical)
        {
            yield return ApiFieldError.Invalid(field, value, "must be in canonical form (\"" + canonical + "\")");
        }
    }

    private static bool TryParseIp(string text, out IPAddress ip)
    {
        ip = IPAddress.None;
        if (text.Contains(':', StringComparison.Ordinal))
        {
            // IPv6 (Go rejects zones in a CIDR).
            return !text.Contains('%', StringComparison.Ordinal) && IPAddress.TryParse(text, out ip!) && ip.AddressFamily == AddressFamily.InterNetworkV6;
        }

        // IPv4: four decimal parts (Go's sloppy parser allows leading zeros); .NET would also take "1" or "0x1".
        var parts = text.Split('.');
        if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || int.Parse(p, CultureInfo.InvariantCulture) > 255))
        {
            return false;
        }

        ip = new IPAddress(parts.Select(p => byte.Parse(p, CultureInfo.InvariantCulture)).ToArray());
        return true;
    }

    private static bool TryParsePrefix(string text, out int prefix)
    {
        prefix = 0;
        return text.Length is > 0 and <= 3 && text.All(char.IsAsciiDigit) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out prefix);
    }

    /// <summary><c>ValidateNodeSelector</c> of a node selector that is not a pod's (label values must be valid).</summary>
    private static IEnumerable<ApiFieldError> NodeSelector(string path, JsonObject selector)
    {
        if (selector["nodeSelectorTerms"] is not JsonArray { Count: > 0 } terms)
        {
            yield return ApiFieldError.Required(path + ".nodeSelectorTerms", "must have at least one node selector term");
            yield break;
        }

        for (var i = 0; i < terms.Count; i++)
        {
            var term = Index(path + ".nodeSelectorTerms", i);
            var expressions = (terms[i] as JsonObject)?["matchExpressions"] as JsonArray ?? [];
            for (var j = 0; j < expressions.Count; j++)
            {
                foreach (var e in NodeSelectorRequirement(Index(term + ".matchExpressions", j), expressions[j] as JsonObject ?? []))
                {
                    yield return e;
                }
            }

            var fields = (terms[i] as JsonObject)?["matchFields"] as JsonArray ?? [];
            for (var j = 0; j < fields.Count; j++)
            {
                foreach (var e in NodeFieldRequirement(Index(term + ".matchFields", j), fields[j] as JsonObject ?? []))
                {
                    yield return e;
                }
            }
        }
    }

    /// <summary>One <c>matchExpressions</c> entry: an operator with the values it needs, a label name key, label values.</summary>
    private static IEnumerable<ApiFieldError> NodeSelectorRequirement(string path, JsonObject requirement)
    {
        var values = (requirement["values"] as JsonArray ?? []).Select(v => Str(v) ?? "").ToList();
        var op = Str(requirement["operator"]) ?? "";
        switch (op)
        {
            case "In" or "NotIn" when values.Count == 0:
                yield return ApiFieldError.Required(path + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
                break;
            case "Exists" or "DoesNotExist" when values.Count > 0:
                yield return ApiFieldError.Forbidden(path + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
                break;
            case "Gt" or "Lt" when values.Count != 1:
                yield return ApiFieldError.Required(path + ".values", "must be specified single value when `operator` is 'Lt' or 'Gt'");
                break;
            case "In" or "NotIn" or "Exists" or "DoesNotExist" or "Gt" or "Lt":
                break;
            default:
                yield return ApiFieldError.Invalid(path + ".operator", op, "not a valid selector operator");
                break;
        }

        foreach (var e in LabelName(path + ".key", Str(requirement["key"]) ?? ""))
        {
            yield return e;
        }

        for (var k = 0; k < values.Count; k++)
        {
            foreach (var e in LabelValue(Index(path + ".values", k), values[k]))
            {
                yield return e;
            }
        }
    }

    /// <summary>One <c>matchFields</c> entry: <c>metadata.name</c> In or NotIn exactly one node name.</summary>
    private static IEnumerable<ApiFieldError> NodeFieldRequirement(string path, JsonObject requirement)
    {
        var values = (requirement["values"] as JsonArray ?? []).Select(v => Str(v) ?? "").ToList();
        var op = Str(requirement["operator"]) ?? "";
        if (op is not ("In" or "NotIn"))
        {
            yield return ApiFieldError.Invalid(path + ".operator", op, "not a valid selector operator");
        }
        else if (values.Count != 1)
        {
            yield return ApiFieldError.Required(path + ".values", "must be only one value when `operator` is 'In' or 'NotIn' for node field selector");
        }

        var key = Str(requirement["key"]) ?? "";
        if (key != "metadata.name")
        {
            yield return ApiFieldError.Invalid(path + ".key", key, "not a valid field selector key");
            yield break;
        }

        for (var k = 0; k < values.Count; k++)
        {
            foreach (var e in DnsSubdomain(Index(path + ".values", k), values[k]))
            {
                yield return e;
            }
        }
    }

    /// <summary>
    /// <c>validateDeviceBindingParameters</c>, for a slice's device and an allocation result alike: at most 4 of each
    /// list, label names, no duplicates, the two disjoint, and neither without the other.
    /// </summary>
    private static IEnumerable<ApiFieldError> BindingParameters(string path, JsonObject owner)
    {
        var conditions = (owner["bindingConditions"] as JsonArray ?? []).Select(n => Str(n) ?? "").ToList();
        var failures = (owner["bindingFailureConditions"] as JsonArray ?? []).Select(n => Str(n) ?? "").ToList();
        foreach (var (list, field) in new[] { (conditions, path + ".bindingConditions"), (failures, path + ".bindingFailureConditions") })
        {
            if (list.Count > MaxBindingConditions)
            {
                yield return ApiFieldError.TooMany(field, list.Count, MaxBindingConditions);
                continue;
            }

            for (var i = 0; i < list.Count; i++)
            {
                foreach (var e in LabelName(Index(field, i), list[i]))
                {
                    yield return e;
                }
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < conditions.Count; i++)
        {
            if (!seen.Add(conditions[i]))
            {
                yield return ApiFieldError.Duplicate(Index(path + ".bindingConditions", i), conditions[i]);
            }
        }

        var seenFailures = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < failures.Count; i++)
        {
            if (!seenFailures.Add(failures[i]))
            {
                yield return ApiFieldError.Duplicate(Index(path + ".bindingFailureConditions", i), failures[i]);
            }

            if (seen.Contains(failures[i]))
            {
                yield return ApiFieldError.Invalid(Index(path + ".bindingFailureConditions", i), failures[i], "bindingFailureConditions must not overlap with bindingConditions");
            }
        }

        // The missing list is shown as Go shows an absent slice.
        if (conditions.Count == 0 && failures.Count > 0)
        {
            yield return new ApiFieldError("FieldValueInvalid", path + ".bindingConditions", "Invalid value: null: bindingConditions are required to use bindingFailureConditions");
        }

        if (failures.Count == 0 && conditions.Count > 0)
        {
            yield return new ApiFieldError("FieldValueInvalid", path + ".bindingFailureConditions", "Invalid value: null: bindingFailureConditions are required to use bindingConditions");
        }
    }

    /// <summary>
    /// Raw JSON parameters or data: required, at most <paramref name="maxBytes"/> (unless stored before), a JSON object.
    /// </summary>
    private static IEnumerable<ApiFieldError> RawObject(string field, JsonNode? value, bool present, bool stored, int maxBytes)
    {
        if (!present || value is null)
        {
            // A missing field and JSON null both decode to an empty RawExtension.
            yield return ApiFieldError.Required(field);
            yield break;
        }

        if (!stored && Bytes(value.ToJsonString()) > maxBytes)
        {
            yield return ApiFieldError.TooLong(field, maxBytes);
        }
        else if (value is not JsonObject)
        {
            yield return ApiFieldError.Invalid(field, "<value omitted>", "must be a valid JSON object");
        }
    }

    /// <summary><c>ValidateConditions</c> (metav1.Condition): unique types, and each condition's fields.</summary>
    private static IEnumerable<ApiFieldError> Conditions(string path, JsonArray conditions)
    {
        var types = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < conditions.Count; i++)
        {
            var field = Index(path, i);
            var c = conditions[i] as JsonObject ?? [];
            var type = Str(c["type"]) ?? "";
            if (!types.Add(type))
            {
                yield return ApiFieldError.Duplicate(field + ".type", type);
            }

            foreach (var e in LabelName(field + ".type", type))
            {
                yield return e;
            }

            var status = Str(c["status"]) ?? "";
            if (!ConditionStatuses.Contains(status))
            {
                yield return ApiFieldError.NotSupported(field + ".status", status, ConditionStatuses);
            }

            if (Long(c["observedGeneration"]) is < 0)
            {
                yield return ApiFieldError.Invalid(field + ".observedGeneration", Long(c["observedGeneration"]), "must be greater than or equal to zero");
            }

            if (Str(c["lastTransitionTime"]) is not { Length: > 0 })
            {
                yield return ApiFieldError.Required(field + ".lastTransitionTime", "must be set");
            }

            var reason = Str(c["reason"]) ?? "";
            if (reason.Length == 0)
            {
                yield return ApiFieldError.Required(field + ".reason", "must be set");
            }
            else
            {
                if (!ConditionReasonRegex().IsMatch(reason))
                {
                    yield return ApiFieldError.Invalid(field + ".reason", reason, ConditionReasonMessage);
                }

                if (Bytes(reason) > 1024)
                {
                    yield return ApiFieldError.TooLong(field + ".reason", 1024);
                }
            }

            if (Bytes(Str(c["message"]) ?? "") > 32 * 1024)
            {
                yield return ApiFieldError.TooLong(field + ".message", 32 * 1024);
            }
        }
    }

    /// <summary>The labels and annotations of object metadata (<c>ValidateLabels</c>, <c>ValidateAnnotations</c>).</summary>
    private static IEnumerable<ApiFieldError> LabelsAndAnnotations(string path, JsonObject? meta)
    {
        if (meta?["labels"] is JsonObject labels)
        {
            foreach (var (key, value) in labels)
            {
                foreach (var e in LabelName(path + ".labels", key))
                {
                    yield return e;
                }

                foreach (var e in LabelValue(path + ".labels", Str(value) ?? ""))
                {
                    yield return e;
                }
            }
        }

        if (meta?["annotations"] is JsonObject annotations)
        {
            var total = 0;
            foreach (var (key, value) in annotations)
            {
                total += Bytes(key) + Bytes(Str(value) ?? "");
                foreach (var p in QualifiedNameProblems(key.ToLowerInvariant()))
                {
                    yield return ApiFieldError.Invalid(path + ".annotations", key, p);
                }
            }

            if (total > TotalAnnotationSizeLimit)
            {
                yield return ApiFieldError.TooLong(path + ".annotations", TotalAnnotationSizeLimit);
            }
        }
    }

    /// <summary>Whether two JSON values are the same, a missing value being the same as null.</summary>
    private static bool Same(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

    [GeneratedRegex("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")]
    private static partial Regex ConditionReasonRegex();
}
