using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace DraSdk.Tests.Shared;

/// <summary>
/// Checks of deployment files without a cluster or helm (linked into the test projects that ship charts): Kubernetes
/// manifests parsed as the client's typed models without losing a field, and Helm charts rendered as
/// <c>helm template</c> would (<see cref="HelmTemplate"/>).
/// </summary>
internal static class KubernetesManifests
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
    /// Renders a chart as <c>helm template</c> would (<see cref="HelmTemplate"/>), with the values files merged in order
    /// and then <paramref name="overrides"/> (as <c>--set</c> would), and parses every document as Kubernetes types.
    /// </summary>
    public static List<object> RenderChart(string chartDirectory, string releaseNamespace, string releaseName, string[] valuesFiles, IReadOnlyDictionary<string, object?>? overrides = null)
    {
        var rendered = new List<object>();
        foreach ((string template, string yaml) in HelmTemplate.RenderChart(chartDirectory, releaseNamespace, releaseName, valuesFiles, overrides))
        {
            rendered.AddRange(LoadLossless(yaml, template));
        }

        return rendered;
    }

    /// <summary>Renders a chart with the values files merged in order and parses the result (see the overload).</summary>
    public static List<object> RenderChart(string chartDirectory, string releaseNamespace, string releaseName, params string[] valuesFiles) =>
        RenderChart(chartDirectory, releaseNamespace, releaseName, valuesFiles, null);

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
}
