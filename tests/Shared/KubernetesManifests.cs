using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace DraSdk.Tests.Shared;

/// <summary>
/// Checks of deployment files without a cluster or helm (linked into the test projects that ship charts): Kubernetes
/// manifests parsed as the client's typed models without losing a field, and Helm templates that only substitute
/// values rendered as <c>helm template</c> would.
/// </summary>
internal static partial class KubernetesManifests
{
    /// <summary>Parses every document of <paramref name="yaml"/> as a Kubernetes type and fails if any field is lost.</summary>
    public static List<object> LoadLossless(string yaml, string source)
    {
        List<object> objects = KubernetesYaml.LoadAllFromString(yaml);
        List<JsonNode?> raw = RawDocuments(yaml);
        if (raw.Count != objects.Count)
        {
            throw new InvalidOperationException($"{source}: {raw.Count} documents, {objects.Count} parsed");
        }

        for (int i = 0; i < objects.Count; i++)
        {
            if (objects[i] is not IKubernetesObject)
            {
                throw new InvalidOperationException($"{source}[{i}] is not a Kubernetes object");
            }

            AssertSameContent(raw[i], JsonNode.Parse(KubernetesJson.Serialize(objects[i])), $"{source}[{i}] ({objects[i].GetType().Name})");
        }

        return objects;
    }

    /// <summary>
    /// Renders a chart whose templates only substitute values (<c>{{ .Values.a.b }}</c>, <c>{{ .Release.Namespace }}</c>,
    /// with <c>| quote</c> or <c>| toJson</c>), with the values files merged in order, and parses the result.
    /// </summary>
    public static List<object> RenderChart(string chartDirectory, string releaseNamespace, string releaseName, params string[] valuesFiles)
    {
        object values = new Dictionary<object, object>();
        foreach (string file in valuesFiles)
        {
            values = Merge(values, LoadYaml(file));
        }

        var context = new Dictionary<object, object>
        {
            ["Values"] = values,
            ["Release"] = new Dictionary<object, object> { ["Namespace"] = releaseNamespace, ["Name"] = releaseName },
        };
        var rendered = new List<object>();
        foreach (string template in Directory.GetFiles(Path.Combine(chartDirectory, "templates"), "*.yaml").Order(StringComparer.Ordinal))
        {
            string text = TemplateRegex().Replace(File.ReadAllText(template), m => Evaluate(m.Groups[1].Value, context));
            if (text.Contains("{{", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{template}: a template expression is left after rendering");
            }

            rendered.AddRange(LoadLossless(text, Path.GetFileName(template)));
        }

        return rendered;
    }

    /// <summary>A YAML file as dictionaries, lists and strings.</summary>
    public static object LoadYaml(string path) =>
        new DeserializerBuilder().Build().Deserialize<object>(File.ReadAllText(path)) ?? new Dictionary<object, object>();

    private static List<JsonNode?> RawDocuments(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        IDeserializer deserializer = new DeserializerBuilder().Build();
        var documents = new List<JsonNode?>();
        parser.Consume<YamlDotNet.Core.Events.StreamStart>();
        while (parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _))
        {
            object? document = deserializer.Deserialize(parser);
            if (document is not null)
            {
                documents.Add(ToJson(document));
            }
        }

        return documents;
    }

    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        Dictionary<object, object> map => new JsonObject(map.Select(p => KeyValuePair.Create(p.Key.ToString()!, ToJson(p.Value)))),
        List<object> list => new JsonArray([.. list.Select(ToJson)]),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    /// <summary>Every field of the raw YAML is in the typed object with the same value (scalars compared as text).</summary>
    private static void AssertSameContent(JsonNode? raw, JsonNode? typed, string path)
    {
        switch (raw)
        {
            case null:
                return;
            case JsonObject o:
                foreach ((string key, JsonNode? value) in o)
                {
                    if (value is JsonObject { Count: 0 } && typed?[key] is null)
                    {
                        continue; // {} and absent are the same to the API server
                    }

                    if (typed is not JsonObject t || !t.ContainsKey(key))
                    {
                        throw new InvalidOperationException($"{path}.{key} is lost when parsed as the Kubernetes type");
                    }

                    AssertSameContent(value, typed[key], $"{path}.{key}");
                }

                break;
            case JsonArray a:
                if (typed is not JsonArray ta || ta.Count != a.Count)
                {
                    throw new InvalidOperationException($"{path}: the list changed when parsed as the Kubernetes type");
                }

                for (int i = 0; i < a.Count; i++)
                {
                    AssertSameContent(a[i], ta[i], $"{path}[{i}]");
                }

                break;
            default:
                string expected = raw.GetValue<string>();
                string actual = typed is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : typed?.ToJsonString() ?? "null";
                if (expected != actual)
                {
                    throw new InvalidOperationException($"{path}: '{expected}' became '{actual}'");
                }

                break;
        }
    }

    private static object Merge(object a, object b)
    {
        if (a is Dictionary<object, object> left && b is Dictionary<object, object> right)
        {
            foreach ((object key, object value) in right)
            {
                left[key] = left.TryGetValue(key, out object? existing) ? Merge(existing, value) : value;
            }

            return left;
        }

        return b;
    }

    /// <summary>The template language the charts use: a value path, then <c>| quote</c> or <c>| toJson</c>.</summary>
    private static string Evaluate(string expression, Dictionary<object, object> context)
    {
        string[] parts = [.. expression.Split('|').Select(p => p.Trim())];
        object value = context;
        foreach (string segment in parts[0].TrimStart('.').Split('.'))
        {
            value = ((Dictionary<object, object>)value)[segment];
        }

        foreach (string function in parts[1..])
        {
            value = function switch
            {
                "quote" => JsonSerializer.Serialize(Convert.ToString(value, CultureInfo.InvariantCulture)),
                "toJson" => ToJson(value)?.ToJsonString() ?? "null",
                _ => throw new InvalidOperationException($"template function {function} is not supported"),
            };
        }

        return Convert.ToString(value, CultureInfo.InvariantCulture)!;
    }

    [GeneratedRegex(@"\{\{\s*(.+?)\s*\}\}")]
    private static partial Regex TemplateRegex();
}
