using System.Text.Json;

namespace DraSdk.Cdi.Tests;

/// <summary>
/// A small structural check of JSON against the CDI schema (Schema/schema.json + defs.json): types, required keys,
/// array items, $ref, integer ranges, and, stricter than the schema, no keys it does not list (except deviceNode
/// fileMode, which the schema leaves out).
/// </summary>
internal static class SchemaCheck
{
    private static readonly Lazy<(JsonElement Schema, JsonElement Defs)> Documents = new(() =>
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Schema");
        return (JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "schema.json"))).RootElement,
            JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "defs.json"))).RootElement);
    });

    public static List<string> Check(byte[] json)
    {
        var problems = new List<string>();
        using JsonDocument document = JsonDocument.Parse(json);
        Check(document.RootElement, Documents.Value.Schema, "$", problems);
        return problems;
    }

    private static JsonElement Resolve(JsonElement schema)
    {
        while (schema.TryGetProperty("$ref", out JsonElement reference))
        {
            string name = reference.GetString()!.Split("/definitions/")[1];
            schema = Documents.Value.Defs.GetProperty("definitions").GetProperty(name);
        }

        return schema;
    }

    private static void Check(JsonElement value, JsonElement schema, string path, List<string> problems)
    {
        schema = Resolve(schema);
        if (schema.TryGetProperty("type", out JsonElement type))
        {
            bool ok = type.GetString() switch
            {
                "object" => value.ValueKind == JsonValueKind.Object,
                "array" => value.ValueKind == JsonValueKind.Array,
                "string" => value.ValueKind == JsonValueKind.String,
                "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
                "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _) ||
                    value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out _),
                _ => true,
            };
            if (!ok)
            {
                problems.Add($"{path}: expected {type.GetString()}, got {value.ValueKind}");
                return;
            }
        }

        if (value.ValueKind == JsonValueKind.Number)
        {
            if (schema.TryGetProperty("minimum", out JsonElement min) && value.GetDecimal() < min.GetDecimal())
            {
                problems.Add($"{path}: below {min}");
            }

            if (schema.TryGetProperty("maximum", out JsonElement max) && value.GetDecimal() > max.GetDecimal())
            {
                problems.Add($"{path}: above {max}");
            }
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            if (schema.TryGetProperty("required", out JsonElement required))
            {
                foreach (JsonElement key in required.EnumerateArray())
                {
                    if (!value.TryGetProperty(key.GetString()!, out _))
                    {
                        problems.Add($"{path}: missing required \"{key.GetString()}\"");
                    }
                }
            }

            foreach (JsonProperty property in value.EnumerateObject())
            {
                if (schema.TryGetProperty("properties", out JsonElement properties) &&
                    properties.TryGetProperty(property.Name, out JsonElement propertySchema))
                {
                    Check(property.Value, propertySchema, $"{path}.{property.Name}", problems);
                }
                else if (schema.TryGetProperty("patternProperties", out JsonElement patterns))
                {
                    Check(property.Value, patterns.EnumerateObject().First().Value, $"{path}.{property.Name}", problems);
                }
                else if (property.Name == "fileMode" && property.Value.ValueKind == JsonValueKind.Number)
                {
                    // A known gap: the schema omits DeviceNode.fileMode (a uint32 in the Go struct).
                }
                else if (schema.TryGetProperty("properties", out _))
                {
                    problems.Add($"{path}: unknown key \"{property.Name}\"");
                }
            }
        }

        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out JsonElement items))
        {
            int i = 0;
            foreach (JsonElement item in value.EnumerateArray())
            {
                Check(item, items, $"{path}[{i++}]", problems);
            }
        }
    }
}
