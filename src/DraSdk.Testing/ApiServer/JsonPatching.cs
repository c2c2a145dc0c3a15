using System.Globalization;
using System.Text.Json.Nodes;

namespace DraSdk.Testing;

/// <summary>JSON merge patch (RFC 7386) and JSON patch (RFC 6902) over <see cref="JsonNode"/> trees.</summary>
internal static class JsonPatching
{
    /// <summary>Applies a merge patch; <paramref name="target"/> may be changed in place. Returns the result.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        if (target is not JsonObject targetObject)
        {
            targetObject = [];
        }

        foreach (var (key, value) in patchObject.ToList())
        {
            if (value is null)
            {
                targetObject.Remove(key);
                continue;
            }

            var existing = targetObject[key];
            var merged = MergePatch(existing, value);
            if (!ReferenceEquals(merged, existing))
            {
                targetObject.Remove(key);
                targetObject[key] = merged;
            }
        }

        return targetObject;
    }

    /// <summary>Applies a JSON patch document to <paramref name="document"/> (changed in place). Returns the result.</summary>
    public static JsonNode? JsonPatch(JsonNode? document, JsonArray operations)
    {
        foreach (var opNode in operations)
        {
            if (opNode is not JsonObject op)
            {
                throw Fail("each operation must be an object");
            }

            var name = (op["op"] as JsonValue)?.GetValue<string>() ?? throw Fail("missing 'op'");
            var path = (op["path"] as JsonValue)?.GetValue<string>() ?? throw Fail("missing 'path'");
            switch (name)
            {
                case "add":
                    document = Add(document, path, RequireValue(op));
                    break;
                case "remove":
                    document = Remove(document, path, out _);
                    break;
                case "replace":
                    document = Remove(document, path, out _);
                    document = Add(document, path, RequireValue(op));
                    break;
                case "move":
                {
                    var from = From(op);
                    if (path.StartsWith(from + "/", StringComparison.Ordinal))
                    {
                        throw Fail($"cannot move \"{from}\" into its own child \"{path}\"");
                    }

                    document = Remove(document, from, out var moved);
                    document = Add(document, path, moved);
                    break;
                }

                case "copy":
                    document = Add(document, path, Find(document, From(op))?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Find(document, path), op["value"]))
                    {
                        throw Fail($"testing value {path} failed");
                    }

                    break;
                default:
                    throw Fail($"unexpected kind: {name}");
            }
        }

        return document;
    }

    private static JsonNode? RequireValue(JsonObject op) =>
        op.TryGetPropertyValue("value", out var value) ? value?.DeepClone() : throw Fail("missing 'value'");

    private static string From(JsonObject op) =>
        (op["from"] as JsonValue)?.GetValue<string>() ?? throw Fail("missing 'from'");

    private static JsonNode? Add(JsonNode? document, string path, JsonNode? value)
    {
        if (path.Length == 0)
        {
            return value;
        }

        var (parent, token) = Parent(document, path);
        switch (parent)
        {
            case JsonObject o:
                o.Remove(token);
                o[token] = value;
                break;
            case JsonArray a:
                if (token == "-")
                {
                    a.Add(value);
                }
                else
                {
                    var index = Index(token, a.Count + 1, path);
                    a.Insert(index, value);
                }

                break;
            default:
                throw Fail($"add operation does not apply: doc is missing path: \"{path}\"");
        }

        return document;
    }

    private static JsonNode? Remove(JsonNode? document, string path, out JsonNode? removed)
    {
        if (path.Length == 0)
        {
            removed = document;
            return null;
        }

        var (parent, token) = Parent(document, path);
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(token, out removed):
                o.Remove(token);
                break;
            case JsonArray a:
            {
                var index = Index(token, a.Count, path);
                removed = a[index];
                a.RemoveAt(index);
                break;
            }

            default:
                throw Fail($"doc is missing path: \"{path}\"");
        }

        return document;
    }

    private static JsonNode? Find(JsonNode? document, string path)
    {
        if (path.Length == 0)
        {
            return document;
        }

        var (parent, token) = Parent(document, path);
        return parent switch
        {
            JsonObject o when o.TryGetPropertyValue(token, out var v) => v,
            JsonArray a => a[Index(token, a.Count, path)],
            _ => throw Fail($"doc is missing path: \"{path}\""),
        };
    }

    private static (JsonNode? Parent, string Token) Parent(JsonNode? document, string path)
    {
        if (path[0] != '/')
        {
            throw Fail($"JSON pointer must start with '/': \"{path}\"");
        }

        var tokens = path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        var node = document;
        for (var i = 0; i < tokens.Length - 1; i++)
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(tokens[i], out var child) => child,
                JsonArray a => a[Index(tokens[i], a.Count, path)],
                _ => throw Fail($"doc is missing path: \"{path}\""),
            };
        }

        return (node, tokens[^1]);
    }

    private static int Index(string token, int count, string path)
    {
        if (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= count)
        {
            throw Fail($"invalid array index {token} in \"{path}\"");
        }

        return index;
    }

    private static ApiError Fail(string message) => new(422, "Invalid", "the server rejected our request due to an error in our request: " + message);
}
