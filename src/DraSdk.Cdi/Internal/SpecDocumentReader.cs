using System.Buffers;
using System.Text;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace DraSdk.Cdi.Internal;

/// <summary>
/// Reads the bytes of a spec file into a <see cref="SpecNode"/> tree: JSON when the first character is <c>{</c>, else
/// YAML (like the runtimes, which read both with one YAML parser). Rejects what the runtimes' strict parser rejects
/// (duplicate keys, invalid UTF-8, syntax errors) and what would make parsing unbounded (size, depth, alias expansion).
/// </summary>
internal static class SpecDocumentReader
{
    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    public static SpecNode? Read(ReadOnlySpan<byte> content, string source, List<CdiSpecError> errors)
    {
        if (content.Length > SpecLimits.MaxFileBytes)
        {
            errors.Add(new(source, null, $"the file is {content.Length} bytes, more than the {SpecLimits.MaxFileBytes} bytes a spec may have"));
            return null;
        }

        if (content.StartsWith(Utf8Bom))
        {
            content = content[Utf8Bom.Length..];
        }

        int invalid = FindInvalidUtf8(content);
        if (invalid >= 0)
        {
            (int line, int column) = Position(content, invalid);
            errors.Add(new(source, null, $"invalid UTF-8 at byte {invalid}", line, column));
            return null;
        }

        int first = 0;
        while (first < content.Length && content[first] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            first++;
        }

        if (first == content.Length)
        {
            errors.Add(new(source, null, "the file is empty"));
            return null;
        }

        return content[first] == (byte)'{' ? ReadJson(content, source, errors) : ReadYaml(content, source, errors);
    }

    private static int FindInvalidUtf8(ReadOnlySpan<byte> content)
    {
        if (System.Text.Unicode.Utf8.IsValid(content))
        {
            return -1;
        }

        int offset = 0;
        while (offset < content.Length)
        {
            OperationStatus status = Rune.DecodeFromUtf8(content[offset..], out _, out int consumed);
            if (status != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return -1;
    }

    /// <summary>The 1-based line and column (in bytes) of a byte offset.</summary>
    private static (int Line, int Column) Position(ReadOnlySpan<byte> content, long offset)
    {
        offset = Math.Min(offset, content.Length);
        ReadOnlySpan<byte> before = content[..(int)offset];
        int line = before.Count((byte)'\n') + 1;
        int lineStart = before.LastIndexOf((byte)'\n') + 1;
        return (line, (int)offset - lineStart + 1);
    }

    /// <summary>Line and column of increasing offsets, scanning each byte once.</summary>
    private struct LineTracker
    {
        private int _offset;
        private int _line;
        private int _lineStart;

        public (int Line, int Column) Advance(ReadOnlySpan<byte> content, long offset)
        {
            int target = (int)Math.Min(offset, content.Length);
            if (target < _offset)
            {
                return Position(content, target);
            }

            ReadOnlySpan<byte> span = content[_offset..target];
            int newlines = span.Count((byte)'\n');
            if (newlines > 0)
            {
                _line += newlines;
                _lineStart = _offset + span.LastIndexOf((byte)'\n') + 1;
            }

            _offset = target;
            return (_line + 1, target - _lineStart + 1);
        }
    }

    private sealed class Frame(SpecNode node)
    {
        public SpecNode Node { get; } = node;

        public string? Anchor { get; init; }

        public SpecNode? PendingKey { get; set; }

        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);

        public long Size { get; set; } = 1;
    }

    private static SpecNode? ReadJson(ReadOnlySpan<byte> content, string source, List<CdiSpecError> errors)
    {
        var reader = new Utf8JsonReader(content, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
            MaxDepth = SpecLimits.MaxDepth + 1,
        });
        var stack = new Stack<Frame>();
        SpecNode? root = null;
        long nodes = 0;
        var lines = new LineTracker();
        try
        {
            while (reader.Read())
            {
                (int line, int column) = lines.Advance(content, reader.TokenStartIndex);
                SpecNode? done = null;
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        if (stack.Count >= SpecLimits.MaxDepth)
                        {
                            errors.Add(new(source, null, $"nested deeper than {SpecLimits.MaxDepth} levels", line, column));
                            return null;
                        }

                        stack.Push(new Frame(reader.TokenType == JsonTokenType.StartObject
                            ? SpecNode.Mapping(line, column)
                            : SpecNode.Sequence(line, column)));
                        continue;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        done = stack.Pop().Node;
                        break;
                    case JsonTokenType.PropertyName:
                        Frame frame = stack.Peek();
                        string key = reader.GetString()!;
                        if (!frame.Keys.Add(key))
                        {
                            errors.Add(new(source, null, $"duplicate key {SpecNode.Quote(key)}", line, column));
                            return null;
                        }

                        frame.PendingKey = SpecNode.Scalar(key, ScalarType.String, line, column);
                        continue;
                    case JsonTokenType.String:
                        done = SpecNode.Scalar(reader.GetString()!, ScalarType.String, line, column);
                        break;
                    case JsonTokenType.Number:
                        done = SpecNode.Scalar(Encoding.UTF8.GetString(reader.ValueSpan), ScalarType.Number, line, column);
                        break;
                    case JsonTokenType.True:
                    case JsonTokenType.False:
                        done = SpecNode.Scalar(reader.TokenType == JsonTokenType.True ? "true" : "false", ScalarType.Boolean, line, column);
                        break;
                    case JsonTokenType.Null:
                        done = SpecNode.Scalar("null", ScalarType.Null, line, column);
                        break;
                    default:
                        continue;
                }

                if (++nodes > SpecLimits.MaxNodes)
                {
                    errors.Add(new(source, null, $"the document has more than {SpecLimits.MaxNodes} values", line, column));
                    return null;
                }

                if (stack.Count == 0)
                {
                    root = done;
                }
                else if (stack.Peek() is { Node.Kind: SpecNodeKind.Mapping } parent)
                {
                    parent.Node.Entries!.Add(new(parent.PendingKey!, done));
                    parent.PendingKey = null;
                }
                else
                {
                    stack.Peek().Node.Items!.Add(done);
                }
            }
        }
        catch (JsonException e)
        {
            errors.Add(new(source, null, "not valid JSON: " + TrimJsonMessage(e.Message),
                (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1));
            return null;
        }
        catch (InvalidOperationException e)
        {
            // GetString on a string that decodes to invalid UTF-16 (a lone surrogate escape such as "\ud800").
            (int line, int column) = Position(content, reader.TokenStartIndex);
            errors.Add(new(source, null, "not valid JSON: " + e.Message, line, column));
            return null;
        }

        return root;
    }

    private static string TrimJsonMessage(string message)
    {
        int at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return at > 0 ? message[..at] : message;
    }

    private const string YamlTagPrefix = "tag:yaml.org,2002:";

    private static SpecNode? ReadYaml(ReadOnlySpan<byte> content, string source, List<CdiSpecError> errors)
    {
        var parser = new Parser(new StringReader(Encoding.UTF8.GetString(content)));
        var stack = new Stack<Frame>();
        var anchors = new Dictionary<string, (SpecNode Node, long Size)>(StringComparer.Ordinal);
        SpecNode? root = null;
        int documents = 0;
        long expanded = 0;
        int lastLine = 1;
        int lastColumn = 1;
        try
        {
            while (parser.MoveNext())
            {
                ParsingEvent current = parser.Current!;
                int line = (int)current.Start.Line;
                int column = (int)current.Start.Column;
                (lastLine, lastColumn) = (Math.Max(line, 1), Math.Max(column, 1));
                SpecNode node;
                long size = 1;
                string? anchor = null;
                switch (current)
                {
                    case DocumentStart:
                        if (++documents > 1)
                        {
                            errors.Add(new(source, null, "the file holds more than one YAML document; a spec file holds one", line, column));
                            return null;
                        }

                        continue;
                    case SequenceStart or MappingStart:
                        var start = (NodeEvent)current;
                        if (stack.Count >= SpecLimits.MaxDepth)
                        {
                            errors.Add(new(source, null, $"nested deeper than {SpecLimits.MaxDepth} levels", line, column));
                            return null;
                        }

                        if (!start.Tag.IsEmpty && !start.Tag.IsNonSpecific &&
                            start.Tag.Value != YamlTagPrefix + (current is MappingStart ? "map" : "seq"))
                        {
                            errors.Add(new(source, null, $"unsupported YAML tag {SpecNode.Quote(start.Tag.Value)}", line, column));
                            return null;
                        }

                        stack.Push(new Frame(current is MappingStart ? SpecNode.Mapping(line, column) : SpecNode.Sequence(line, column))
                        {
                            Anchor = start.Anchor.IsEmpty ? null : start.Anchor.Value,
                        });
                        continue;
                    case SequenceEnd or MappingEnd:
                        Frame closed = stack.Pop();
                        node = closed.Node;
                        size = closed.Size;
                        anchor = closed.Anchor;
                        break;
                    case Scalar scalar:
                        ScalarType type = scalar.Style is ScalarStyle.Plain ? ScalarType.Plain : ScalarType.String;
                        if (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific)
                        {
                            switch (scalar.Tag.Value)
                            {
                                case YamlTagPrefix + "str":
                                    type = ScalarType.String;
                                    break;
                                case YamlTagPrefix + "int" or YamlTagPrefix + "bool" or YamlTagPrefix + "null" or YamlTagPrefix + "float":
                                    type = ScalarType.Plain;
                                    break;
                                default:
                                    errors.Add(new(source, null, $"unsupported YAML tag {SpecNode.Quote(scalar.Tag.Value)}", line, column));
                                    return null;
                            }
                        }

                        node = SpecNode.Scalar(scalar.Value, type, line, column);
                        anchor = scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value;
                        break;
                    case AnchorAlias alias:
                        if (!anchors.TryGetValue(alias.Value.Value, out (SpecNode Node, long Size) target))
                        {
                            errors.Add(new(source, null, $"unknown YAML anchor {SpecNode.Quote(alias.Value.Value)}", line, column));
                            return null;
                        }

                        node = target.Node;
                        size = target.Size;
                        break;
                    default:
                        continue;
                }

                expanded += size;
                if (expanded > SpecLimits.MaxNodes)
                {
                    errors.Add(new(source, null,
                        $"the document expands to more than {SpecLimits.MaxNodes} values (YAML aliases repeat what they refer to)", line, column));
                    return null;
                }

                if (anchor is not null)
                {
                    anchors[anchor] = (node, size);
                }

                if (stack.Count == 0)
                {
                    root = node;
                    continue;
                }

                Frame parent = stack.Peek();
                parent.Size += size;
                if (parent.Node.Kind == SpecNodeKind.Sequence)
                {
                    parent.Node.Items!.Add(node);
                }
                else if (parent.PendingKey is null)
                {
                    if (node.Kind != SpecNodeKind.Scalar)
                    {
                        errors.Add(new(source, null, $"a mapping key must be a string, not {node.Describe()}", line, column));
                        return null;
                    }

                    if (node.ScalarType == ScalarType.Plain && node.Text == "<<")
                    {
                        errors.Add(new(source, null, "YAML merge keys (<<) are not supported in CDI specs", line, column));
                        return null;
                    }

                    if (!parent.Keys.Add(node.Text))
                    {
                        errors.Add(new(source, null, $"duplicate key {SpecNode.Quote(node.Text)}", line, column));
                        return null;
                    }

                    parent.PendingKey = node;
                }
                else
                {
                    parent.Node.Entries!.Add(new(parent.PendingKey, node));
                    parent.PendingKey = null;
                }
            }
        }
        catch (YamlException e)
        {
            errors.Add(new(source, null, "not valid YAML: " + TrimYamlMessage(e.Message), (int)e.Start.Line, (int)e.Start.Column));
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or FormatException or OverflowException)
        {
            // YamlDotNet's scanner throws these, rather than a YamlException, on some malformed input (found by fuzzing).
            errors.Add(new(source, null, $"not valid YAML: the YAML parser failed after this point ({e.Message})", lastLine, lastColumn));
            return null;
        }

        if (root is null)
        {
            errors.Add(new(source, null, "the file holds no YAML document"));
        }

        return root;
    }

    private static string TrimYamlMessage(string message)
    {
        // YamlDotNet prefixes "(Line: 1, Col: 2, Idx: 1) - (Line: ...): "; the position is reported separately.
        int at = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && at > 0 ? message[(at + 3)..] : message;
    }
}
