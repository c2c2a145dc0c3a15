using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DraSdk.Tests.Shared;

/// <summary>
/// The part of Helm's template language that charts are written in, rendered as <c>helm template</c> renders it, so that
/// charts can be checked without helm: Go template actions (<c>if</c>/<c>else if</c>/<c>else</c>, <c>with</c>,
/// <c>range</c> over lists and maps with <c>$k, $v :=</c>, <c>define</c>/<c>include</c>/<c>template</c>, variables,
/// comments, <c>{{-</c>/<c>-}}</c> trimming), pipelines, and the functions charts use (Sprig's <c>default</c>,
/// <c>quote</c>, <c>squote</c>, <c>indent</c>, <c>nindent</c>, <c>trunc</c>, <c>trimSuffix</c>, <c>printf</c>,
/// <c>empty</c>, <c>required</c>, Helm's <c>toYaml</c>, <c>toJson</c>, <c>include</c>; Go's <c>and</c>, <c>or</c>,
/// <c>not</c>, <c>eq</c>, <c>ne</c>). Values are typed as Helm types them (YAML booleans, numbers, null); a missing map
/// key is nil and prints as nothing, a field of nil is an error, like Helm. Anything else is refused with an error
/// rather than rendered differently.
/// </summary>
internal static partial class HelmTemplate
{
    /// <summary>Renders every manifest template of a chart with the values files merged in order (later wins, maps merge).</summary>
    /// <returns>The rendered files by template path (relative to the chart), in Helm's order (by name); whitespace-only documents dropped.</returns>
    public static List<(string Template, string Yaml)> RenderChart(string chartDirectory, string releaseNamespace, string releaseName, IReadOnlyList<string> valuesFiles, IReadOnlyDictionary<string, object?>? overrides = null)
    {
        Dictionary<string, object?> values = new(StringComparer.Ordinal);
        foreach (string file in valuesFiles)
        {
            values = (Dictionary<string, object?>)Merge(values, LoadYaml(File.ReadAllText(file)) ?? new Dictionary<string, object?>(StringComparer.Ordinal))!;
        }

        if (overrides is not null)
        {
            values = (Dictionary<string, object?>)Merge(values, overrides)!;
        }

        var chart = (Dictionary<string, object?>)LoadYaml(File.ReadAllText(Path.Combine(chartDirectory, "Chart.yaml")))!;
        var root = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Values"] = values,
            ["Release"] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["Name"] = releaseName, ["Namespace"] = releaseNamespace, ["Service"] = "Helm", ["IsInstall"] = true, ["IsUpgrade"] = false, ["Revision"] = 1L },
            ["Chart"] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["Name"] = chart["name"], ["Version"] = chart["version"], ["AppVersion"] = chart.GetValueOrDefault("appVersion") },
        };

        string templates = Path.Combine(chartDirectory, "templates");
        var files = Directory.GetFiles(templates, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".tpl", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        var defines = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
        var parsed = new List<(string Name, List<Node> Nodes)>();
        foreach (string file in files)
        {
            string name = Path.GetRelativePath(chartDirectory, file);
            parsed.Add((name, Parse(File.ReadAllText(file), name, defines)));
        }

        var output = new List<(string, string)>();
        foreach ((string name, List<Node> nodes) in parsed)
        {
            if (Path.GetFileName(name).StartsWith('_') || name.EndsWith(".tpl", StringComparison.Ordinal))
            {
                continue; // partials only hold defines
            }

            var renderer = new Renderer(defines, name);
            var text = new StringBuilder();
            var scope = new Scope(null);
            scope.Declare("$", root);
            renderer.Render(nodes, root, text, scope);
            string[] documents = [.. DocumentSeparator().Split("\n" + text).Where(d => !string.IsNullOrWhiteSpace(d)).Select(d => d.Trim('\n'))];
            if (documents.Length > 0)
            {
                output.Add((name, string.Join("\n---\n", documents) + "\n"));
            }
        }

        return output;
    }

    /// <summary>
    /// A YAML document as Helm's values see it: maps, lists, strings, booleans, null, and numbers as doubles (Helm reads
    /// values through JSON, so every number is a float64: <c>{{ .Values.port }}</c> prints 8081 but 1000000 prints 1e+06,
    /// and <c>eq .Values.port 8081</c> is an error).
    /// </summary>
    public static object? LoadYaml(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Count == 0 ? null : FromYaml(stream.Documents[0].RootNode);
    }

    /// <summary>Helm's <c>toYaml</c>: keys sorted, no trailing newline.</summary>
    public static string ToYaml(object? value)
    {
        var text = new StringBuilder();
        EmitYaml(value, 0, text);
        return text.ToString().TrimEnd('\n');
    }

    /// <summary>A value as JSON (for schema validation and <c>toJson</c>).</summary>
    public static JsonNode? ToJsonNode(object? value) => value switch
    {
        null => null,
        Dictionary<string, object?> map => new JsonObject(map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, ToJsonNode(p.Value)))),
        List<object?> list => new JsonArray([.. list.Select(ToJsonNode)]),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        string s => JsonValue.Create(s),
        _ => throw new InvalidOperationException($"no JSON form for {value.GetType().Name}"),
    };

    private static object? FromYaml(YamlNode node) => node switch
    {
        YamlMappingNode map => new Dictionary<string, object?>(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? string.Empty, FromYaml(c.Value))), StringComparer.Ordinal),
        YamlSequenceNode list => list.Children.Select(FromYaml).ToList(),
        YamlScalarNode scalar when scalar.Style is ScalarStyle.Plain => Resolve(scalar.Value ?? string.Empty),
        YamlScalarNode scalar => scalar.Value ?? string.Empty,
        _ => throw new InvalidOperationException($"YAML node {node.NodeType} is not supported"),
    };

    /// <summary>A plain scalar's type, as the YAML library Helm uses resolves it.</summary>
    private static object? Resolve(string plain)
    {
        switch (plain)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return true;
            case "false" or "False" or "FALSE":
                return false;
        }

        if (IntegerPattern().IsMatch(plain) && long.TryParse(plain, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
        {
            return (double)l;
        }

        if (FloatPattern().IsMatch(plain) && double.TryParse(plain, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
        {
            return d;
        }

        return plain;
    }

    /// <summary>Values merged as Helm merges values files: maps key by key, anything else replaced.</summary>
    public static object? Merge(object? a, object? b)
    {
        if (a is Dictionary<string, object?> left && b is Dictionary<string, object?> right)
        {
            var merged = new Dictionary<string, object?>(left, StringComparer.Ordinal);
            foreach ((string key, object? value) in right)
            {
                merged[key] = merged.TryGetValue(key, out object? existing) ? Merge(existing, value) : value;
            }

            return merged;
        }

        return b;
    }

    private static void EmitYaml(object? value, int indent, StringBuilder text)
    {
        string pad = new(' ', indent);
        switch (value)
        {
            case Dictionary<string, object?> { Count: > 0 } map:
                foreach ((string key, object? item) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    text.Append(pad).Append(Scalar(key)).Append(':');
                    if (item is Dictionary<string, object?> { Count: > 0 })
                    {
                        text.Append('\n');
                        EmitYaml(item, indent + 2, text);
                    }
                    else if (item is List<object?> { Count: > 0 })
                    {
                        text.Append('\n');
                        EmitYaml(item, indent, text);
                    }
                    else
                    {
                        text.Append(' ').Append(Scalar(item)).Append('\n');
                    }
                }

                break;
            case List<object?> { Count: > 0 } list:
                foreach (object? item in list)
                {
                    if (item is Dictionary<string, object?> { Count: > 0 } or List<object?> { Count: > 0 })
                    {
                        var nested = new StringBuilder();
                        EmitYaml(item, indent + 2, nested);
                        text.Append(pad).Append("- ").Append(nested.ToString(indent + 2, nested.Length - indent - 2));
                    }
                    else
                    {
                        text.Append(pad).Append("- ").Append(Scalar(item)).Append('\n');
                    }
                }

                break;
            default:
                text.Append(pad).Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static string Scalar(object? value) => value switch
    {
        null => "null",
        Dictionary<string, object?> => "{}",
        List<object?> => "[]",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d == Math.Floor(d) && Math.Abs(d) < 1e21 ? ((long)d).ToString(CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture), // through JSON, as Helm's toYaml
        string s when PlainSafe().IsMatch(s) && Resolve(s) is string && !s.Contains(": ", StringComparison.Ordinal) && !s.Contains(" #", StringComparison.Ordinal) && !s.EndsWith(':') => s,
        string s => JsonSerializer.Serialize(s),
        _ => throw new InvalidOperationException($"no YAML form for {value.GetType().Name}"),
    };

    // ---- parsing -------------------------------------------------------------------------------------------------

    private abstract record Node;

    private sealed record TextNode(string Text) : Node;

    private sealed record OutputNode(Pipeline Pipeline) : Node;

    private sealed record IfNode(List<(Pipeline Condition, List<Node> Body)> Branches, List<Node>? Else) : Node;

    private sealed record WithNode(Pipeline Value, List<Node> Body, List<Node>? Else) : Node;

    private sealed record RangeNode(Pipeline Value, List<Node> Body, List<Node>? Else) : Node;

    private sealed record TemplateNode(string Name, Pipeline? Data) : Node;

    private sealed record Pipeline(string Source, List<string> Declarations, List<List<Term>> Commands);

    private abstract record Term;

    private sealed record FieldTerm(string? Variable, string[] Fields) : Term; // Variable null: the dot

    private sealed record LiteralTerm(object? Value) : Term;

    private sealed record FunctionTerm(string Name) : Term;

    private sealed record SubPipelineTerm(Pipeline Pipeline, string[] Fields) : Term;

    private static List<Node> Parse(string source, string file, Dictionary<string, List<Node>> defines)
    {
        var tokens = new List<(bool IsAction, string Text, int Line)>();
        int position = 0;
        while (position < source.Length)
        {
            int open = source.IndexOf("{{", position, StringComparison.Ordinal);
            if (open < 0)
            {
                tokens.Add((false, source[position..], 0));
                break;
            }

            string text = source[position..open];
            int start = open + 2;
            if (start + 1 < source.Length && source[start] == '-' && char.IsWhiteSpace(source[start + 1]))
            {
                text = text.TrimEnd(' ', '\t', '\r', '\n');
                start += 2;
            }

            tokens.Add((false, text, 0));
            int close = FindClose(source, start, file);
            int end = close;
            bool trimAfter = false;
            if (close - 2 >= start && source[close - 1] == '-' && char.IsWhiteSpace(source[close - 2]))
            {
                end = close - 1;
                trimAfter = true;
            }

            int line = source.AsSpan(0, open).Count('\n') + 1;
            tokens.Add((true, source[start..end].Trim(), line));
            position = close + 2;
            if (trimAfter)
            {
                while (position < source.Length && source[position] is ' ' or '\t' or '\r' or '\n')
                {
                    position++;
                }
            }
        }

        int index = 0;
        List<Node> nodes = ParseList(tokens, ref index, file, defines, out string? terminator);
        if (terminator is not null)
        {
            throw new InvalidOperationException($"{file}: unexpected {{{{ {terminator} }}}}");
        }

        return nodes;
    }

    private static int FindClose(string source, int start, string file)
    {
        for (int i = start; i < source.Length - 1; i++)
        {
            char c = source[i];
            if (c is '"' or '`')
            {
                int j = i + 1;
                while (j < source.Length && source[j] != c)
                {
                    j += c == '"' && source[j] == '\\' ? 2 : 1;
                }

                i = j;
            }
            else if (c == '}' && source[i + 1] == '}')
            {
                return i;
            }
        }

        throw new InvalidOperationException($"{file}: unclosed action");
    }

    /// <summary>Parses nodes until end/else (returned in <paramref name="terminator"/>) or the end of input.</summary>
    private static List<Node> ParseList(List<(bool IsAction, string Text, int Line)> tokens, ref int index, string file, Dictionary<string, List<Node>> defines, out string? terminator)
    {
        var nodes = new List<Node>();
        while (index < tokens.Count)
        {
            (bool isAction, string text, int line) = tokens[index++];
            if (!isAction)
            {
                if (text.Length > 0)
                {
                    nodes.Add(new TextNode(text));
                }

                continue;
            }

            string where = $"{file}:{line}";
            if (text.StartsWith("/*", StringComparison.Ordinal))
            {
                if (!text.EndsWith("*/", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"{where}: unclosed comment");
                }

                continue;
            }

            (string keyword, string rest) = SplitKeyword(text);
            switch (keyword)
            {
                case "end":
                case "else":
                    terminator = text;
                    return nodes;
                case "if":
                {
                    var branches = new List<(Pipeline, List<Node>)>();
                    Pipeline condition = ParsePipeline(rest, where);
                    List<Node>? elseBody = null;
                    while (true)
                    {
                        List<Node> body = ParseList(tokens, ref index, file, defines, out string? end);
                        branches.Add((condition, body));
                        if (end is null)
                        {
                            throw new InvalidOperationException($"{where}: if without end");
                        }

                        if (end == "end")
                        {
                            break;
                        }

                        string elseRest = end["else".Length..].Trim();
                        if (elseRest.StartsWith("if ", StringComparison.Ordinal))
                        {
                            condition = ParsePipeline(elseRest[3..], where);
                            continue;
                        }

                        elseBody = ParseList(tokens, ref index, file, defines, out string? end2);
                        if (end2 != "end")
                        {
                            throw new InvalidOperationException($"{where}: else without end");
                        }

                        break;
                    }

                    nodes.Add(new IfNode(branches, elseBody));
                    break;
                }

                case "with":
                case "range":
                {
                    Pipeline value = ParsePipeline(rest, where);
                    List<Node> body = ParseList(tokens, ref index, file, defines, out string? end);
                    List<Node>? elseBody = null;
                    if (end == "else")
                    {
                        elseBody = ParseList(tokens, ref index, file, defines, out end);
                    }

                    if (end != "end")
                    {
                        throw new InvalidOperationException($"{where}: {keyword} without end");
                    }

                    nodes.Add(keyword == "with" ? new WithNode(value, body, elseBody) : new RangeNode(value, body, elseBody));
                    break;
                }

                case "define":
                {
                    string name = ParseString(rest.Trim(), where);
                    List<Node> body = ParseList(tokens, ref index, file, defines, out string? end);
                    if (end != "end")
                    {
                        throw new InvalidOperationException($"{where}: define without end");
                    }

                    defines[name] = body;
                    break;
                }

                case "template":
                {
                    List<string> words = Tokenize(rest, where);
                    string name = ParseString(words[0], where);
                    nodes.Add(new TemplateNode(name, words.Count > 1 ? ParsePipeline(string.Join(' ', words.Skip(1)), where) : null));
                    break;
                }

                case "block" or "break" or "continue":
                    throw new InvalidOperationException($"{where}: {keyword} is not supported by this renderer");
                default:
                    nodes.Add(new OutputNode(ParsePipeline(text, where)));
                    break;
            }
        }

        terminator = null;
        return nodes;
    }

    private static (string Keyword, string Remainder) SplitKeyword(string text)
    {
        int space = text.IndexOfAny([' ', '\t', '\n']);
        string first = space < 0 ? text : text[..space];
        return first is "if" or "else" or "end" or "with" or "range" or "define" or "template" or "block" or "break" or "continue"
            ? (first, space < 0 ? string.Empty : text[space..].Trim())
            : (string.Empty, text);
    }

    private static string ParseString(string token, string where) =>
        token.StartsWith('"') ? JsonSerializer.Deserialize<string>(token)!
        : token.StartsWith('`') ? token[1..^1]
        : throw new InvalidOperationException($"{where}: expected a string, got {token}");

    /// <summary>Splits an action into words: strings, parenthesized groups, '|' and ':=' and ',' as their own words.</summary>
    private static List<string> Tokenize(string text, string where)
    {
        var words = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '"' or '`')
            {
                int j = i + 1;
                while (j < text.Length && text[j] != c)
                {
                    j += c == '"' && text[j] == '\\' ? 2 : 1;
                }

                if (j >= text.Length)
                {
                    throw new InvalidOperationException($"{where}: unterminated string");
                }

                words.Add(text[i..(j + 1)]);
                i = j + 1;
            }
            else if (c == '(')
            {
                int depth = 0, j = i;
                for (; j < text.Length; j++)
                {
                    if (text[j] is '"' or '`')
                    {
                        char q = text[j];
                        j++;
                        while (j < text.Length && text[j] != q)
                        {
                            j += q == '"' && text[j] == '\\' ? 2 : 1;
                        }
                    }
                    else if (text[j] == '(')
                    {
                        depth++;
                    }
                    else if (text[j] == ')' && --depth == 0)
                    {
                        break;
                    }
                }

                if (j >= text.Length)
                {
                    throw new InvalidOperationException($"{where}: unbalanced parentheses");
                }

                int k = j + 1;
                while (k < text.Length && !char.IsWhiteSpace(text[k]) && text[k] is not '|' and not ')' and not '(')
                {
                    k++; // a field chain after the group: (...).a.b
                }

                words.Add(text[i..k]);
                i = k;
            }
            else if (c is '|' or ',')
            {
                words.Add(c.ToString());
                i++;
            }
            else if (c == ':' && i + 1 < text.Length && text[i + 1] == '=')
            {
                words.Add(":=");
                i += 2;
            }
            else if (c == '=')
            {
                throw new InvalidOperationException($"{where}: assignment to a variable is not supported by this renderer");
            }
            else
            {
                int j = i;
                while (j < text.Length && !char.IsWhiteSpace(text[j]) && text[j] is not '|' and not ',' and not '(' and not ')' && !(text[j] == ':' && j + 1 < text.Length && text[j + 1] == '='))
                {
                    j++;
                }

                words.Add(text[i..j]);
                i = j;
            }
        }

        return words;
    }

    private static Pipeline ParsePipeline(string text, string where)
    {
        List<string> words = Tokenize(text, where);
        var declarations = new List<string>();
        int assign = words.IndexOf(":=");
        if (assign >= 0)
        {
            declarations.AddRange(words.Take(assign).Where(w => w != ","));
            if (declarations.Count is 0 or > 2 || declarations.Any(d => !d.StartsWith('$')))
            {
                throw new InvalidOperationException($"{where}: bad variable declaration in '{text}'");
            }

            words = words.Skip(assign + 1).ToList();
        }

        var commands = new List<List<Term>> { new() };
        foreach (string word in words)
        {
            if (word == "|")
            {
                commands.Add([]);
            }
            else
            {
                commands[^1].Add(ParseTerm(word, where));
            }
        }

        if (commands.Any(c => c.Count == 0))
        {
            throw new InvalidOperationException($"{where}: empty command in '{text}'");
        }

        return new Pipeline(text, declarations, commands);
    }

    private static Term ParseTerm(string word, string where)
    {
        if (word.StartsWith('('))
        {
            int close = word.LastIndexOf(')');
            string fields = word[(close + 1)..];
            return new SubPipelineTerm(ParsePipeline(word[1..close], where), fields.Length == 0 ? [] : fields.TrimStart('.').Split('.'));
        }

        if (word.StartsWith('"') || word.StartsWith('`'))
        {
            return new LiteralTerm(ParseString(word, where));
        }

        if (word == ".")
        {
            return new FieldTerm(null, []);
        }

        if (word.StartsWith('.'))
        {
            return new FieldTerm(null, word[1..].Split('.'));
        }

        if (word.StartsWith('$'))
        {
            string[] parts = word.Split('.');
            return new FieldTerm(parts[0], parts[1..]);
        }

        switch (word)
        {
            case "true":
                return new LiteralTerm(true);
            case "false":
                return new LiteralTerm(false);
            case "nil":
                return new LiteralTerm(null);
        }

        if (long.TryParse(word, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
        {
            return new LiteralTerm(l);
        }

        if (double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
        {
            return new LiteralTerm(d);
        }

        if (IdentifierPattern().IsMatch(word))
        {
            return new FunctionTerm(word);
        }

        throw new InvalidOperationException($"{where}: cannot parse '{word}'");
    }

    // ---- rendering -----------------------------------------------------------------------------------------------

    private sealed class Scope(Scope? parent)
    {
        private readonly Dictionary<string, object?> variables = new(StringComparer.Ordinal);

        public void Declare(string name, object? value) => variables[name] = value;

        public object? Get(string name, string where) =>
            variables.TryGetValue(name, out object? value) ? value
            : parent is not null ? parent.Get(name, where)
            : throw new InvalidOperationException($"{where}: undefined variable {name}");
    }

    private sealed class Renderer(Dictionary<string, List<Node>> defines, string file)
    {
        private int depth;

        public void Render(List<Node> nodes, object? dot, StringBuilder output, Scope scope)
        {
            foreach (Node node in nodes)
            {
                switch (node)
                {
                    case TextNode text:
                        output.Append(text.Text);
                        break;
                    case OutputNode action:
                    {
                        object? value = Evaluate(action.Pipeline, dot, scope);
                        if (action.Pipeline.Declarations.Count == 0)
                        {
                            output.Append(Print(value));
                        }
                        else
                        {
                            scope.Declare(action.Pipeline.Declarations[0], value);
                        }

                        break;
                    }

                    case IfNode branches:
                    {
                        bool taken = false;
                        foreach ((Pipeline condition, List<Node> body) in branches.Branches)
                        {
                            if (Truth(Evaluate(condition, dot, scope)))
                            {
                                Render(body, dot, output, new Scope(scope));
                                taken = true;
                                break;
                            }
                        }

                        if (!taken && branches.Else is not null)
                        {
                            Render(branches.Else, dot, output, new Scope(scope));
                        }

                        break;
                    }

                    case WithNode with:
                    {
                        var inner = new Scope(scope);
                        object? value = Evaluate(with.Value, dot, inner);
                        if (Truth(value))
                        {
                            Render(with.Body, value, output, inner);
                        }
                        else if (with.Else is not null)
                        {
                            Render(with.Else, dot, output, new Scope(scope));
                        }

                        break;
                    }

                    case RangeNode range:
                        RenderRange(range, dot, output, scope);
                        break;
                    case TemplateNode template:
                        output.Append(Include(template.Name, template.Data is null ? null : Evaluate(template.Data, dot, scope)));
                        break;
                }
            }
        }

        private void RenderRange(RangeNode range, object? dot, StringBuilder output, Scope scope)
        {
            object? value = Evaluate(range.Value with { Declarations = [] }, dot, scope);
            IEnumerable<(object? Key, object? Item)> items = value switch
            {
                null => [],
                List<object?> list => list.Select((item, i) => ((object?)(long)i, item)),
                Dictionary<string, object?> map => map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => ((object?)p.Key, p.Value)),
                long n => Enumerable.Range(0, (int)n).Select(i => ((object?)(long)i, (object?)(long)i)),
                double n => Enumerable.Range(0, (int)n).Select(i => ((object?)(long)i, (object?)(long)i)),
                _ => throw new InvalidOperationException($"{file}: range can't iterate over {Print(value)}"),
            };
            bool any = false;
            foreach ((object? key, object? item) in items)
            {
                any = true;
                var inner = new Scope(scope);
                List<string> declared = range.Value.Declarations;
                if (declared.Count == 1)
                {
                    inner.Declare(declared[0], item);
                }
                else if (declared.Count == 2)
                {
                    inner.Declare(declared[0], key);
                    inner.Declare(declared[1], item);
                }

                Render(range.Body, item, output, inner);
            }

            if (!any && range.Else is not null)
            {
                Render(range.Else, dot, output, new Scope(scope));
            }
        }

        private string Include(string name, object? data)
        {
            if (!defines.TryGetValue(name, out List<Node>? body))
            {
                throw new InvalidOperationException($"{file}: no template \"{name}\" is defined");
            }

            if (++depth > 100)
            {
                throw new InvalidOperationException($"{file}: include of \"{name}\" nests too deep");
            }

            var text = new StringBuilder();
            var scope = new Scope(null);
            scope.Declare("$", data); // in a template, $ is the data it was given
            Render(body, data, text, scope);
            depth--;
            return text.ToString();
        }

        private object? Evaluate(Pipeline pipeline, object? dot, Scope scope)
        {
            string where = $"{file}: {{{{ {pipeline.Source} }}}}";
            object? value = null;
            bool piped = false;
            foreach (List<Term> command in pipeline.Commands)
            {
                value = EvaluateCommand(command, dot, scope, piped, value, where);
                piped = true;
            }

            if (pipeline.Declarations.Count > 0 && pipeline.Declarations.Count == 1)
            {
                scope.Declare(pipeline.Declarations[0], value);
            }

            return value;
        }

        private object? EvaluateCommand(List<Term> command, object? dot, Scope scope, bool piped, object? input, string where)
        {
            if (command[0] is FunctionTerm function)
            {
                var arguments = command.Skip(1).Select(t => EvaluateTerm(t, dot, scope, where)).ToList();
                if (piped)
                {
                    arguments.Add(input);
                }

                return Call(function.Name, arguments, where);
            }

            if (command.Count > 1 || piped)
            {
                throw new InvalidOperationException($"{where}: can't give arguments to a non-function");
            }

            return EvaluateTerm(command[0], dot, scope, where);
        }

        private object? EvaluateTerm(Term term, object? dot, Scope scope, string where) => term switch
        {
            LiteralTerm literal => literal.Value,
            FieldTerm field => Fields(field.Variable is null ? dot : scope.Get(field.Variable, where), field.Fields, where),
            SubPipelineTerm sub => Fields(Evaluate(sub.Pipeline, dot, scope), sub.Fields, where),
            FunctionTerm function => Call(function.Name, [], where),
            _ => throw new InvalidOperationException(where),
        };

        private static object? Fields(object? value, string[] fields, string where)
        {
            foreach (string field in fields)
            {
                value = value switch
                {
                    Dictionary<string, object?> map => map.GetValueOrDefault(field),
                    null => throw new InvalidOperationException($"{where}: nil pointer evaluating interface {{}}.{field}"),
                    _ => throw new InvalidOperationException($"{where}: can't evaluate field {field} in type {value.GetType().Name}"),
                };
            }

            return value;
        }

        private object? Call(string name, List<object?> a, string where)
        {
            void Arity(int n)
            {
                if (a.Count != n)
                {
                    throw new InvalidOperationException($"{where}: wrong number of args for {name}: want {n} got {a.Count}");
                }
            }

            switch (name)
            {
                case "include":
                    Arity(2);
                    return Include(Text(a[0]), a[1]);
                case "toYaml":
                    Arity(1);
                    return ToYaml(a[0]);
                case "toJson":
                    Arity(1);
                    return ToJsonNode(a[0])?.ToJsonString() ?? "null";
                case "nindent":
                    Arity(2);
                    return "\n" + Indent(ToInt(a[0], where), Text(a[1]));
                case "indent":
                    Arity(2);
                    return Indent(ToInt(a[0], where), Text(a[1]));
                case "default":
                    if (a.Count is < 1 or > 2)
                    {
                        Arity(2);
                    }

                    return a.Count == 2 && Truth(a[1]) ? a[1] : a[0];
                case "quote":
                    return string.Join(' ', a.Where(v => v is not null).Select(v => JsonSerializer.Serialize(Print(v))));
                case "squote":
                    return string.Join(' ', a.Where(v => v is not null).Select(v => "'" + Print(v) + "'"));
                case "not":
                    Arity(1);
                    return !Truth(a[0]);
                case "and":
                    return a.FirstOrDefault(v => !Truth(v), a.LastOrDefault());
                case "or":
                    return a.FirstOrDefault(Truth, a.LastOrDefault());
                case "eq":
                    return a.Skip(1).Any(v => Same(a[0], v, where));
                case "ne":
                    Arity(2);
                    return !Same(a[0], a[1], where);
                case "empty":
                    Arity(1);
                    return !Truth(a[0]);
                case "required":
                    Arity(2);
                    return a[1] is null || (a[1] is string s && s.Length == 0) ? throw new InvalidOperationException($"{where}: {Text(a[0])}") : a[1];
                case "printf":
                    return Printf(Text(a[0]), a.Skip(1).ToList(), where);
                case "trunc":
                    Arity(2);
                    {
                        int n = ToInt(a[0], where);
                        string text = Text(a[1]);
                        return n >= 0 ? (text.Length > n ? text[..n] : text) : (text.Length > -n ? text[^(-n)..] : text);
                    }

                case "trimSuffix":
                    Arity(2);
                    return Text(a[1]).EndsWith(Text(a[0]), StringComparison.Ordinal) ? Text(a[1])[..^Text(a[0]).Length] : Text(a[1]);
                case "toString":
                    Arity(1);
                    return Print(a[0]);
                case "int":
                    Arity(1);
                    return (long)ToInt(a[0], where);
                default:
                    throw new InvalidOperationException($"{where}: function \"{name}\" is not supported by this renderer");
            }
        }

        private static string Printf(string format, List<object?> args, string where)
        {
            var text = new StringBuilder();
            int next = 0;
            for (int i = 0; i < format.Length; i++)
            {
                if (format[i] != '%')
                {
                    text.Append(format[i]);
                    continue;
                }

                char verb = format[++i];
                if (verb == '%')
                {
                    text.Append('%');
                    continue;
                }

                object? arg = next < args.Count ? args[next++] : throw new InvalidOperationException($"{where}: printf: missing argument");
                text.Append(verb switch
                {
                    's' or 'v' or 'd' => Print(arg),
                    'q' => JsonSerializer.Serialize(Print(arg)),
                    _ => throw new InvalidOperationException($"{where}: printf verb %{verb} is not supported"),
                });
            }

            return text.ToString();
        }

        private static bool Same(object? a, object? b, string where) => (a, b) switch
        {
            (long, double) or (double, long) => throw new InvalidOperationException($"{where}: error calling eq: incompatible types for comparison"),
            _ => Equals(a, b),
        };

        private static int ToInt(object? value, string where) => value switch
        {
            long l => (int)l,
            double d => (int)d,
            string s when int.TryParse(s, CultureInfo.InvariantCulture, out int i) => i,
            _ => throw new InvalidOperationException($"{where}: {Print(value)} is not a number"),
        };

        private static string Text(object? value) => Print(value);

        private static string Indent(int n, string text)
        {
            string pad = new(' ', n);
            return pad + text.Replace("\n", "\n" + pad, StringComparison.Ordinal);
        }
    }

    /// <summary>Go's truth: false, 0, nil and empty strings, lists and maps are false.</summary>
    private static bool Truth(object? value) => value switch
    {
        null => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        Dictionary<string, object?> map => map.Count > 0,
        _ => true,
    };

    /// <summary>How Go's template prints a value (nil as nothing, as Helm does).</summary>
    private static string Print(object? value) => value switch
    {
        null => string.Empty,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => GoFloat(d),
        string s => s,
        List<object?> list => "[" + string.Join(' ', list.Select(Print)) + "]",
        Dictionary<string, object?> map => "map[" + string.Join(' ', map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + Print(p.Value))) + "]",
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>A float64 as Go's template prints it (%v: the shortest digits, in exponent form below 1e-4 and from 1e6 on).</summary>
    private static string GoFloat(double d)
    {
        if (d == 0 || double.IsNaN(d) || double.IsInfinity(d))
        {
            return d == 0 ? "0" : double.IsNaN(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf";
        }

        // The shortest digits that round-trip, and the decimal exponent.
        string r = Math.Abs(d).ToString("E16", CultureInfo.InvariantCulture);
        string shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        int exponent = int.Parse(r[(r.IndexOf('E', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture);
        string digits = shortest.Split('E')[0].Replace(".", string.Empty, StringComparison.Ordinal).TrimStart('0').TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        string sign = d < 0 ? "-" : string.Empty;
        if (exponent < -4 || exponent >= 6)
        {
            string mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return $"{sign}{mantissa}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }

        if (exponent < 0)
        {
            return sign + "0." + new string('0', -exponent - 1) + digits;
        }

        return sign + (digits.Length <= exponent + 1 ? digits + new string('0', exponent + 1 - digits.Length) : digits[..(exponent + 1)] + "." + digits[(exponent + 1)..]);
    }

    [GeneratedRegex(@"(?m)^---[ \t]*(?:#.*)?$\n?")]
    private static partial Regex DocumentSeparator();

    [GeneratedRegex(@"^[-+]?(0|[1-9][0-9]*)$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_./][A-Za-z0-9_./ =+-]*[A-Za-z0-9_./=+-]$|^[A-Za-z0-9_./]$")]
    private static partial Regex PlainSafe();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex IdentifierPattern();
}
