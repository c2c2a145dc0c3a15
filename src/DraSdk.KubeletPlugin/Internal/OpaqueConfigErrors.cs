using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>
/// Turns System.Text.Json's exceptions into what a claim's author can act on: the field, the problem, and the value
/// given, without .NET type names, line numbers or byte positions.
/// </summary>
internal static partial class OpaqueConfigErrors
{
    /// <summary>Returns the path below the parameters (e.g. <c>.sharing.replicas</c>) and the problem there.</summary>
    public static (string Where, string Problem) Describe(JsonException exception, string jsonPath, JsonElement parameters)
    {
        string message = exception.Message;
        string where = jsonPath.TrimStart('$');

        if (UnmappedMember().Match(message) is { Success: true } unknown)
        {
            return (WithField(where, unknown.Groups[1].Value), "unknown field");
        }

        if (DuplicateProperty().Match(message) is { Success: true } duplicate)
        {
            return (WithField(where, duplicate.Groups[1].Value), "the field is given more than once");
        }

        if (NotConverted().Match(message) is { Success: true } conversion)
        {
            string expected = Expected(conversion.Groups[1].Value);
            string given = Find(parameters, jsonPath) is { } value ? $", not {Show(value)}" : string.Empty;
            return (where, $"must be {expected}{given}");
        }

        return (where, PositionSuffix().Replace(message, string.Empty).TrimEnd());
    }

    /// <summary>The path of a named field: System.Text.Json's path ends with it already, or names the object holding it.</summary>
    private static string WithField(string where, string field) =>
        where.EndsWith("." + field, StringComparison.Ordinal) || where.EndsWith($"['{field}']", StringComparison.Ordinal) ? where : $"{where}.{field}";

    private static string Expected(string dotnetType) => dotnetType switch
    {
        "System.String" => "a string",
        "System.Boolean" => "true or false",
        "System.Int32" or "System.Int64" or "System.Int16" or "System.UInt32" or "System.UInt64" or "System.UInt16" or "System.Byte" => "an integer",
        "System.Double" or "System.Single" or "System.Decimal" => "a number",
        "System.TimeSpan" => "a duration (hh:mm:ss)",
        "System.DateTime" or "System.DateTimeOffset" => "a date and time (RFC 3339)",
        "System.Guid" => "a UUID",
        _ when dotnetType.StartsWith("System.Nullable`1[[", StringComparison.Ordinal) => Expected(dotnetType[19..dotnetType.IndexOf(',', StringComparison.Ordinal)]) + " or null",
        _ when dotnetType.Contains("List`1", StringComparison.Ordinal) || dotnetType.EndsWith("[]", StringComparison.Ordinal) || dotnetType.Contains("IEnumerable`1", StringComparison.Ordinal) => "a list",
        _ when dotnetType.Contains("Dictionary`2", StringComparison.Ordinal) => "an object (a map)",
        _ => $"a valid {dotnetType[(dotnetType.LastIndexOfAny(['.', '+']) + 1)..]}",
    };

    /// <summary>The element at a System.Text.Json path such as <c>$.sharing.replicas</c> or <c>$.items[2].name</c>.</summary>
    private static JsonElement? Find(JsonElement root, string jsonPath)
    {
        JsonElement current = root;
        foreach (Match segment in PathSegment().Matches(jsonPath))
        {
            if (segment.Groups["index"].Success)
            {
                int index = int.Parse(segment.Groups["index"].Value, CultureInfo.InvariantCulture);
                if (current.ValueKind != JsonValueKind.Array || index >= current.GetArrayLength())
                {
                    return null;
                }

                current = current[index];
            }
            else
            {
                string name = segment.Groups["name"].Success ? segment.Groups["name"].Value : segment.Groups["quoted"].Value;
                if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
                {
                    return null;
                }
            }
        }

        return current;
    }

    private static string Show(JsonElement value)
    {
        string raw = value.GetRawText();
        string shown = raw.Length <= 40 ? raw : raw[..37] + "...";
        return value.ValueKind switch
        {
            JsonValueKind.String => $"the string {shown}",
            JsonValueKind.Number => $"the number {shown}",
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "a list",
            JsonValueKind.Null => "null",
            _ => shown,
        };
    }

    [GeneratedRegex(@"^The JSON property '([^']*)' could not be mapped to any \.NET member")]
    private static partial Regex UnmappedMember();

    [GeneratedRegex(@"^Duplicate property '([^']*)'")]
    private static partial Regex DuplicateProperty();

    [GeneratedRegex(@"^The JSON value could not be converted to ([^ ]+?)\.? Path:")]
    private static partial Regex NotConverted();

    [GeneratedRegex(@"\s*Path: \$[^|]*\|\s*LineNumber: \d+ \|\s*BytePositionInLine: \d+\.?")]
    private static partial Regex PositionSuffix();

    [GeneratedRegex(@"\.(?<name>[^.\[\]']+)|\['(?<quoted>[^']*)'\]|\[(?<index>\d+)\]")]
    private static partial Regex PathSegment();
}
