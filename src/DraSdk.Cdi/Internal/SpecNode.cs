namespace DraSdk.Cdi.Internal;

internal enum SpecNodeKind
{
    Scalar,
    Sequence,
    Mapping,
}

/// <summary>How a scalar's type is known.</summary>
internal enum ScalarType
{
    /// <summary>A quoted YAML scalar, a JSON string or a <c>!!str</c>: always a string.</summary>
    String,

    /// <summary>A plain YAML scalar: null, a boolean, a number or a string, depending on the target field.</summary>
    Plain,

    /// <summary>A JSON number.</summary>
    Number,

    /// <summary>JSON <c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary>JSON <c>null</c>.</summary>
    Null,
}

/// <summary>
/// A node of a parsed JSON or YAML document, with its position. YAML aliases share the anchored node, so the tree may
/// be a DAG; the readers bound its expanded size.
/// </summary>
internal sealed class SpecNode
{
    private SpecNode(SpecNodeKind kind, int line, int column)
    {
        Kind = kind;
        Line = line;
        Column = column;
    }

    public SpecNodeKind Kind { get; }

    public int Line { get; }

    public int Column { get; }

    public string Text { get; private init; } = string.Empty;

    public ScalarType ScalarType { get; private init; }

    public List<SpecNode>? Items { get; private init; }

    public List<KeyValuePair<SpecNode, SpecNode>>? Entries { get; private init; }

    public static SpecNode Scalar(string text, ScalarType type, int line, int column) =>
        new(SpecNodeKind.Scalar, line, column) { Text = text, ScalarType = type };

    public static SpecNode Sequence(int line, int column) => new(SpecNodeKind.Sequence, line, column) { Items = [] };

    public static SpecNode Mapping(int line, int column) => new(SpecNodeKind.Mapping, line, column) { Entries = [] };

    /// <summary>JSON null, a plain YAML null (<c>~</c>, <c>null</c>, <c>Null</c>, <c>NULL</c>, nothing).</summary>
    public bool IsNull =>
        Kind == SpecNodeKind.Scalar &&
        (ScalarType == ScalarType.Null || (ScalarType == ScalarType.Plain && Text is "" or "~" or "null" or "Null" or "NULL"));

    /// <summary>For error messages: <c>a list</c>, <c>an object</c>, <c>the string "abc"</c>, <c>the number 5</c>.</summary>
    public string Describe() => Kind switch
    {
        SpecNodeKind.Sequence => "a list",
        SpecNodeKind.Mapping => "an object",
        _ when IsNull => "null",
        _ => ScalarType switch
        {
            ScalarType.String => $"the string {Quote(Text)}",
            ScalarType.Number => $"the number {Shorten(Text)}",
            ScalarType.Boolean => Text,
            _ => $"the value {Quote(Text)}",
        },
    };

    /// <summary>Quotes a value for a message, cut to a readable length.</summary>
    public static string Quote(string text) => "\"" + Shorten(text) + "\"";

    private static string Shorten(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 61), "...");
}

/// <summary>Limits that keep parsing bounded on hostile input.</summary>
internal static class SpecLimits
{
    /// <summary>The largest spec file read: 4 MiB (a 100-device spec is about 40 KiB).</summary>
    public const int MaxFileBytes = 4 * 1024 * 1024;

    /// <summary>The deepest nesting of lists and objects (a valid spec needs 5).</summary>
    public const int MaxDepth = 32;

    /// <summary>The most nodes a document may have once YAML aliases are expanded (defeats "billion laughs").</summary>
    public const int MaxNodes = 1_000_000;
}
