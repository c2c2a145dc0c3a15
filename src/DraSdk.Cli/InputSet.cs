using System.Text.Json;
using System.Text.Json.Nodes;
using DraSdk.Internal;
using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DraSdk.Cli;

/// <summary>An object read from an input file, with where it came from.</summary>
internal sealed record Sourced<T>(T Object, string File, string Describe);

/// <summary>Input is invalid: the message names the file and object.</summary>
internal sealed class InputException(string message) : Exception(message);

/// <summary>The DeviceClasses, ResourceSlices, ResourceClaims, ResourceClaimTemplates, Pods and Nodes of the input files.</summary>
internal sealed class InputSet
{
    public List<Sourced<V1DeviceClass>> Classes { get; } = [];
    public List<Sourced<V1ResourceSlice>> Slices { get; } = [];
    public List<Sourced<Resourcev1ResourceClaim>> Claims { get; } = [];
    public List<Sourced<V1Node>> Nodes { get; } = [];
    public List<Sourced<V1Pod>> Pods { get; } = [];
    public List<Sourced<V1ResourceClaimTemplate>> Templates { get; } = [];

    public static InputSet Load(IEnumerable<string> files)
    {
        var set = new InputSet();
        foreach (var file in files.SelectMany(Expand))
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InputException($"{file}: cannot read: {e.Message}");
            }
            var trimmed = text.TrimStart();
            if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
            {
                set.LoadJson(file, text);
            }
            else
            {
                set.LoadYaml(file, text);
            }
        }
        return set;
    }

    /// <summary>A directory stands for its .yaml, .yml and .json files, in name order.</summary>
    private static IEnumerable<string> Expand(string path) =>
        Directory.Exists(path)
            ? Directory.EnumerateFiles(path)
                .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
            : [path];

    private void LoadJson(string file, string text)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new InputException($"{file}: invalid JSON: {e.Message}");
        }
        foreach (var item in Items(root))
        {
            if (item is not JsonObject obj)
            {
                throw new InputException($"{file}: expected an object, got {item?.GetValueKind().ToString() ?? "null"}");
            }
            var kind = Text(obj["kind"]);
            var json = obj.ToJsonString();
            Add(file, kind, Text(obj["metadata"]?["namespace"]), Text(obj["metadata"]?["name"]), json, isJson: true, Text(obj["apiVersion"]));
        }

        static IEnumerable<JsonNode?> Items(JsonNode? node)
        {
            if (node is JsonArray array)
            {
                return array;
            }
            if (node is JsonObject o && o["kind"]?.GetValue<string>() is { } k && k.EndsWith("List", StringComparison.Ordinal) && o["items"] is JsonArray items)
            {
                return items;
            }
            return node is null ? [] : [node];
        }
    }

    private void LoadYaml(string file, string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new InputException($"{file}: invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}");
        }
        foreach (var document in stream.Documents)
        {
            foreach (var node in Items(document.RootNode))
            {
                if (node is not YamlMappingNode mapping)
                {
                    throw new InputException($"{file}: line {node.Start.Line}: expected an object");
                }
                var kind = Scalar(mapping, "kind");
                var metadata = mapping.Children.TryGetValue(new YamlScalarNode("metadata"), out var m) ? m as YamlMappingNode : null;
                var yaml = Emit(mapping);
                Add(file, kind, metadata is null ? null : Scalar(metadata, "namespace"), metadata is null ? null : Scalar(metadata, "name"), yaml, isJson: false, Scalar(mapping, "apiVersion"));
            }
        }

        static IEnumerable<YamlNode> Items(YamlNode? node)
        {
            switch (node)
            {
                case null:
                    return [];
                case YamlSequenceNode sequence:
                    return sequence.Children;
                case YamlScalarNode scalar when string.IsNullOrEmpty(scalar.Value):
                    return [];
                case YamlMappingNode mapping when Scalar(mapping, "kind") is { } k && k.EndsWith("List", StringComparison.Ordinal):
                    return mapping.Children.TryGetValue(new YamlScalarNode("items"), out var items) && items is YamlSequenceNode s ? s.Children : [];
                default:
                    return [node];
            }
        }

        static string? Scalar(YamlMappingNode mapping, string key) =>
            mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode s ? s.Value : null;

        static string Emit(YamlNode node)
        {
            var writer = new StringWriter();
            new YamlStream(new YamlDocument(node)).Save(writer, assignAnchors: false);
            return writer.ToString();
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;

    private static T Read<T>(string text, bool isJson) =>
        isJson ? KubernetesJson.Deserialize<T>(text) : KubernetesYaml.Deserialize<T>(text);

    /// <summary>
    /// An object of resource.k8s.io v1beta2 or v1beta1 as v1: read with the model of its version (YAML) or as it is
    /// (JSON), then converted (a v1beta1 device's <c>basic</c> unwrapped, a v1beta1 request's fields moved into
    /// <c>exactly</c>).
    /// </summary>
    private static T ReadOlder<T>(string text, bool isJson, string kind, string version)
    {
        JsonObject node;
        if (isJson)
        {
            node = JsonNode.Parse(text)!.AsObject();
        }
        else
        {
            object typed = (version, kind) switch
            {
                ("v1beta1", "DeviceClass") => Read<V1beta1DeviceClass>(text, isJson),
                ("v1beta1", "ResourceSlice") => Read<V1beta1ResourceSlice>(text, isJson),
                ("v1beta1", _) => Read<V1beta1ResourceClaim>(text, isJson),
                (_, "DeviceClass") => Read<V1beta2DeviceClass>(text, isJson),
                (_, "ResourceSlice") => Read<V1beta2ResourceSlice>(text, isJson),
                _ => Read<V1beta2ResourceClaim>(text, isJson),
            };
            node = JsonNode.Parse(KubernetesJson.Serialize(typed))!.AsObject();
        }

        node["apiVersion"] = ResourceApiVersions.Group + "/" + version;
        node["kind"] = kind;
        return KubernetesJson.Deserialize<T>(ResourceApiVersions.ToV1(node).ToJsonString());
    }

    private void Add(string file, string? kind, string? ns, string? name, string text, bool isJson, string? apiVersion = null)
    {
        // resource.k8s.io v1beta2 (Kubernetes 1.33) and v1beta1 (1.32) objects are read as their v1 form.
        string? older = ResourceApiVersions.VersionOf(apiVersion) is { } v && v != "v1" && ResourceApiVersions.IsSupported(v) ? v : null;
        var describe = $"{kind ?? "object"} {(ns is null ? "" : ns + "/")}{name ?? "(no name)"}";
        if (string.IsNullOrEmpty(name))
        {
            throw new InputException($"{file}: {describe}: metadata.name is missing");
        }
        object obj;
        try
        {
            obj = kind switch
            {
                "DeviceClass" when older is not null => ReadOlder<V1DeviceClass>(text, isJson, kind, older),
                "ResourceSlice" when older is not null => ReadOlder<V1ResourceSlice>(text, isJson, kind, older),
                "ResourceClaim" when older is not null => ReadOlder<Resourcev1ResourceClaim>(text, isJson, kind, older),
                "DeviceClass" => Read<V1DeviceClass>(text, isJson),
                "ResourceSlice" => Read<V1ResourceSlice>(text, isJson),
                "ResourceClaim" => Read<Resourcev1ResourceClaim>(text, isJson),
                "Node" => Read<V1Node>(text, isJson),
                "Pod" => Read<V1Pod>(text, isJson),
                "ResourceClaimTemplate" => Read<V1ResourceClaimTemplate>(text, isJson),
                _ => throw new InputException($"{file}: {describe}: unsupported kind (expected DeviceClass, ResourceSlice, ResourceClaim, ResourceClaimTemplate, Pod or Node)"),
            };
        }
        catch (Exception e) when (e is JsonException or YamlException or FormatException or InvalidOperationException)
        {
            throw new InputException($"{file}: {describe}: cannot decode: {e.InnerException?.Message ?? e.Message}");
        }
        switch (obj)
        {
            case V1DeviceClass c:
                Classes.Add(new(c, file, describe));
                break;
            case V1ResourceSlice s:
                if (s.Spec?.Driver is null || s.Spec.Pool?.Name is null)
                {
                    throw new InputException($"{file}: {describe}: spec.driver and spec.pool are required");
                }
                Slices.Add(new(s, file, describe));
                break;
            case Resourcev1ResourceClaim rc:
                rc.Metadata.NamespaceProperty ??= "default";
                Claims.Add(new(rc, file, $"ResourceClaim {rc.Metadata.NamespaceProperty}/{name}"));
                break;
            case V1Node n:
                Nodes.Add(new(n, file, describe));
                break;
            case V1Pod p:
                p.Metadata.NamespaceProperty ??= "default";
                Pods.Add(new(p, file, $"Pod {p.Metadata.NamespaceProperty}/{name}"));
                break;
            case V1ResourceClaimTemplate t:
                t.Metadata.NamespaceProperty ??= "default";
                Templates.Add(new(t, file, $"ResourceClaimTemplate {t.Metadata.NamespaceProperty}/{name}"));
                break;
        }
    }
}
