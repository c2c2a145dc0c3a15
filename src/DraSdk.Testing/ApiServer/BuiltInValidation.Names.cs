using System.Text.RegularExpressions;

namespace DraSdk.Testing;

/// <summary>
/// The name formats every resource's rules share, one copy each: DNS labels and subdomains, label names (qualified
/// names) and values, driver and pool names, C identifiers and attribute names, with the real API server's messages.
/// Lengths are counted in UTF-8 bytes, as Go's <c>len</c> counts them.
/// </summary>
internal static partial class BuiltInValidation
{
    private const string LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string QualifiedNamePartMessage = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    private const string LabelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    private const string CIdentifierMessage = "a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName', regex used for validation is '[A-Za-z_][A-Za-z0-9_]*')";

    private const int MaxLabelLength = 63;
    private const int MaxSubdomainLength = 253;

    /// <summary>Device taint effects, sorted as the real server lists them (slice taints and claim tolerations).</summary>
    private static readonly string[] TaintEffects = ["NoExecute", "NoSchedule", "None"];

    // util/validation's MaxLenError (DNS labels and subdomains) says "characters" although Go counts bytes; the newer
    // content package (label keys and values) says "bytes".
    private static string MaxCharacters(int limit) => "must be no more than " + limit.ToString(System.Globalization.CultureInfo.InvariantCulture) + " characters";

    private static string MaxBytes(int limit) => "must be no more than " + limit.ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes";

    /// <summary>A DNS label (RFC 1123): at most 63 bytes of lower-case alphanumerics and '-'. Empty is refused by the pattern.</summary>
    public static IEnumerable<ApiFieldError> DnsLabel(string field, string value)
    {
        if (Bytes(value) > MaxLabelLength)
        {
            yield return ApiFieldError.Invalid(field, value, MaxCharacters(MaxLabelLength));
        }

        if (!LabelRegex().IsMatch(value))
        {
            // A valid subdomain of the right length that is no label can only have dots.
            yield return ApiFieldError.Invalid(field, value, SubdomainRegex().IsMatch(value) ? "must not contain dots" : LabelMessage);
        }
    }

    /// <summary>A DNS subdomain (RFC 1123): at most 253 bytes of dot-separated DNS labels, one Invalid cause per problem.</summary>
    public static IEnumerable<ApiFieldError> DnsSubdomain(string field, string value) =>
        DnsSubdomainProblems(value).Select(p => ApiFieldError.Invalid(field, value, p));

    /// <summary>The messages of <c>IsDNS1123Subdomain</c>.</summary>
    private static IEnumerable<string> DnsSubdomainProblems(string value)
    {
        if (Bytes(value) > MaxSubdomainLength)
        {
            yield return MaxCharacters(MaxSubdomainLength);
        }

        if (!SubdomainRegex().IsMatch(value))
        {
            yield return SubdomainMessage;
        }
    }

    /// <summary>The messages of <c>IsQualifiedName</c>: an optional DNS subdomain prefix and '/', then a name of at most 63 bytes.</summary>
    private static List<string> QualifiedNameProblems(string value)
    {
        var problems = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                name = parts[1];
                if (parts[0].Length == 0)
                {
                    problems.Add("prefix part must be non-empty");
                }
                else
                {
                    problems.AddRange(DnsSubdomainProblems(parts[0]).Select(p => "prefix part " + p));
                }

                break;
            default:
                problems.Add("a qualified name " + QualifiedNamePartMessage + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return problems;
        }

        // An empty name part gets both messages (the pattern refuses it too), as upstream.
        if (name.Length == 0)
        {
            problems.Add("name part must be non-empty");
        }
        else if (Bytes(name) > MaxLabelLength)
        {
            problems.Add("name part " + MaxBytes(MaxLabelLength));
        }

        if (!QualifiedNamePartRegex().IsMatch(name))
        {
            problems.Add("name part " + QualifiedNamePartMessage);
        }

        return problems;
    }

    /// <summary><c>ValidateLabelName</c>: one Invalid cause per problem of a qualified name.</summary>
    private static IEnumerable<ApiFieldError> LabelName(string field, string value) =>
        QualifiedNameProblems(value).Select(p => ApiFieldError.Invalid(field, value, p));

    /// <summary>A label value: at most 63 bytes of the label alphabet, or empty.</summary>
    private static IEnumerable<ApiFieldError> LabelValue(string field, string value)
    {
        if (Bytes(value) > MaxLabelLength)
        {
            yield return ApiFieldError.Invalid(field, value, MaxBytes(MaxLabelLength));
        }

        if (!LabelValueRegex().IsMatch(value))
        {
            yield return ApiFieldError.Invalid(field, value, LabelValueMessage);
        }
    }

    /// <summary>
    /// A driver name (the rules of a CSI driver name), also the domain of an attribute name: required, at most 63 bytes,
    /// and a DNS subdomain once lower-cased (<c>Example.com</c> is accepted).
    /// </summary>
    private static IEnumerable<ApiFieldError> DriverName(string field, string? value)
    {
        value ??= "";
        if (value.Length == 0)
        {
            yield return ApiFieldError.Required(field);
        }

        if (Bytes(value) > MaxDriverNameLength)
        {
            yield return ApiFieldError.TooLong(field, MaxDriverNameLength);
        }

        foreach (var problem in DnsSubdomainProblems(value.ToLowerInvariant()))
        {
            yield return ApiFieldError.Invalid(field, value, problem);
        }
    }

    /// <summary>A pool name: required, at most 253 bytes, DNS subdomains separated by slashes.</summary>
    private static IEnumerable<ApiFieldError> PoolName(string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            yield return ApiFieldError.Required(field);
            yield break;
        }

        if (Bytes(value) > MaxPoolNameLength)
        {
            yield return ApiFieldError.TooLong(field, MaxPoolNameLength);
        }

        foreach (var part in value.Split('/'))
        {
            foreach (var e in DnsSubdomain(field, part))
            {
                yield return e;
            }
        }
    }

    /// <summary>
    /// An attribute or capacity name (a qualified attribute name): a C identifier of at most 32 bytes, optionally after
    /// a domain and '/'. As in kube-apiserver 1.36, a name with more than one '/' is not checked at all.
    /// </summary>
    private static IEnumerable<ApiFieldError> AttributeName(string field, string name)
    {
        var parts = name.Split('/');
        if (parts.Length == 1)
        {
            foreach (var e in CIdentifier(field, parts[0]))
            {
                yield return e;
            }
        }
        else if (parts.Length == 2)
        {
            if (parts[0].Length == 0)
            {
                yield return ApiFieldError.Invalid(field, "", "the domain must not be empty");
            }
            else
            {
                foreach (var e in DriverName(field, parts[0]))
                {
                    yield return e;
                }
            }

            if (parts[1].Length == 0)
            {
                yield return ApiFieldError.Invalid(field, "", "the name must not be empty");
            }
            else
            {
                foreach (var e in CIdentifier(field, parts[1]))
                {
                    yield return e;
                }
            }
        }
    }

    /// <summary>
    /// A fully qualified attribute name (constraints): an attribute name that must have its domain. Upstream checks it
    /// as an attribute name, then adds one cause when the domain is missing.
    /// </summary>
    private static IEnumerable<ApiFieldError> FullyQualifiedName(string field, string name)
    {
        foreach (var e in AttributeName(field, name))
        {
            yield return e;
        }

        if (!name.Contains('/', StringComparison.Ordinal))
        {
            yield return ApiFieldError.Invalid(field, name, "a fully qualified name must be a domain and a name separated by a slash");
        }
    }

    /// <summary>A C identifier of at most 32 bytes (the name part of an attribute name).</summary>
    private static IEnumerable<ApiFieldError> CIdentifier(string field, string id)
    {
        if (Bytes(id) > MaxIdLength)
        {
            yield return ApiFieldError.TooLong(field, MaxIdLength);
        }

        if (!CIdentifierRegex().IsMatch(id))
        {
            yield return ApiFieldError.Invalid(field, id, CIdentifierMessage);
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex LabelRegex();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex SubdomainRegex();

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedNamePartRegex();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValueRegex();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex CIdentifierRegex();
}
