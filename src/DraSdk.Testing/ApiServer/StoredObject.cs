using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DraSdk.Testing;

/// <summary>
/// One immutable version of a stored object. The JSON is serialized once, when the version is written, so reads,
/// lists and watch events copy bytes instead of re-serializing.
/// </summary>
internal sealed class StoredObject
{
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    private StoredObject(ApiResourceType resource, string ns, string name, string uid, long resourceVersion, byte[] json, byte[] listItemJson, IReadOnlyDictionary<string, string> labels, bool hasFinalizers, bool deleting)
    {
        Resource = resource;
        Namespace = ns;
        Name = name;
        Uid = uid;
        ResourceVersion = resourceVersion;
        Json = json;
        ListItemJson = listItemJson;
        Labels = labels;
        HasFinalizers = hasFinalizers;
        Deleting = deleting;
    }

    public ApiResourceType Resource { get; }

    /// <summary>The namespace, or empty for cluster-scoped objects.</summary>
    public string Namespace { get; }

    public string Name { get; }

    public string Uid { get; }

    public long ResourceVersion { get; }

    /// <summary>The object with <c>apiVersion</c> and <c>kind</c>, as GET and watch events return it.</summary>
    public byte[] Json { get; }

    /// <summary>The object without <c>apiVersion</c> and <c>kind</c>, as the real server writes list items.</summary>
    public byte[] ListItemJson { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public bool HasFinalizers { get; }

    public bool Deleting { get; }

    public string Key => KeyOf(Namespace, Name);

    public static string KeyOf(string ns, string name) => ns.Length == 0 ? name : ns + "/" + name;

    /// <summary>Freezes <paramref name="obj"/> (which must carry metadata name, uid and resourceVersion) into a stored version.</summary>
    public static StoredObject From(ApiResourceType resource, JsonObject obj)
    {
        var meta = (JsonObject)obj["metadata"]!;
        var name = (string)meta["name"]!;
        var ns = meta["namespace"]?.GetValue<string>() ?? "";
        var uid = (string)meta["uid"]!;
        var rv = long.Parse((string)meta["resourceVersion"]!, CultureInfo.InvariantCulture);

        IReadOnlyDictionary<string, string> labels = NoLabels;
        if (meta["labels"] is JsonObject labelsNode && labelsNode.Count > 0)
        {
            var dict = new Dictionary<string, string>(labelsNode.Count, StringComparer.Ordinal);
            foreach (var (k, v) in labelsNode)
            {
                dict[k] = v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : v?.ToJsonString() ?? "";
            }

            labels = dict;
        }

        var hasFinalizers = meta["finalizers"] is JsonArray { Count: > 0 };
        var deleting = meta["deletionTimestamp"] is not null;

        // Serialize without the type fields, then splice them in front for the full form.
        obj.Remove("apiVersion");
        obj.Remove("kind");
        var listItem = JsonSerializer.SerializeToUtf8Bytes(obj, JsonContext.Default.JsonObject);
        var head = Encoding.UTF8.GetBytes($"{{\"apiVersion\":{JsonString(resource.ApiVersion)},\"kind\":{JsonString(resource.Kind)}");
        byte[] full;
        if (listItem.Length <= 2)
        {
            full = [.. head, (byte)'}'];
        }
        else
        {
            full = new byte[head.Length + 1 + (listItem.Length - 1)];
            head.CopyTo(full, 0);
            full[head.Length] = (byte)',';
            listItem.AsSpan(1).CopyTo(full.AsSpan(head.Length + 1));
        }

        obj["apiVersion"] = resource.ApiVersion;
        obj["kind"] = resource.Kind;
        return new StoredObject(resource, ns, name, uid, rv, full, listItem, labels, hasFinalizers, deleting);
    }

    /// <summary>A fresh, mutable copy of the object (with <c>apiVersion</c> and <c>kind</c>).</summary>
    public JsonObject ToNode() => JsonNode.Parse(Json)!.AsObject();

    /// <summary>The value of a dotted field path as a field selector compares it; a missing field reads as empty.</summary>
    public string FieldValue(string path)
    {
        switch (path)
        {
            case "metadata.name":
                return Name;
            case "metadata.namespace":
                return Namespace;
        }

        using var doc = JsonDocument.Parse(Json);
        var element = doc.RootElement;
        foreach (var segment in path.Split('.'))
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(segment, out element))
            {
                return "";
            }
        }

        return element.ValueKind switch
        {
            JsonValueKind.String => element.GetString()!,
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Null or JsonValueKind.Undefined => "",
            _ => element.GetRawText(),
        };
    }

    private static string JsonString(string s) => JsonSerializer.Serialize(s, JsonContext.Default.String);
}
