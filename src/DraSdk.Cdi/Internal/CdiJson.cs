using System.Collections;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace DraSdk.Cdi.Internal;

/// <summary>Source-generated metadata for the CDI model (trim and AOT safe).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CdiSpec))]
internal sealed partial class CdiJsonContext : JsonSerializerContext;

/// <summary>Stable JSON output: fixed property order, sorted annotation keys, empty optional fields left out.</summary>
internal static class CdiJson
{
    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
        // The files are read by container runtimes, not browsers; keep '+', '&', '<' and non-ASCII readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = CdiJsonContext.Default.WithAddedModifier(OmitEmpty),
    };

    private static readonly JsonTypeInfo<CdiSpec> SpecInfo = (JsonTypeInfo<CdiSpec>)WriteOptions.GetTypeInfo(typeof(CdiSpec));

    /// <summary>The spec as UTF-8 JSON, ending with a newline.</summary>
    public static byte[] Serialize(CdiSpec spec)
    {
        using var buffer = new MemoryStream();
        JsonSerializer.Serialize(buffer, spec, SpecInfo);
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void OmitEmpty(JsonTypeInfo typeInfo)
    {
        foreach (JsonPropertyInfo property in typeInfo.Properties)
        {
            if (property.PropertyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(property.PropertyType))
            {
                property.ShouldSerialize = static (_, value) => value is IEnumerable items && items.GetEnumerator().MoveNext();
            }
            else if (typeInfo.Type == typeof(CdiSpec) && property.PropertyType == typeof(ContainerEdits))
            {
                // Spec-level edits are optional; device-level edits are required and never empty once validated.
                property.ShouldSerialize = static (_, value) => value is ContainerEdits { IsEmpty: false };
            }
            else if (property.PropertyType == typeof(string))
            {
                // Optional strings are written only when non-empty, like Go's omitempty.
                bool required = property.IsRequired;
                if (!required)
                {
                    property.ShouldSerialize = static (_, value) => value is string { Length: > 0 };
                }
            }
        }
    }
}

/// <summary>Writes <c>cdiVersion</c> without a <c>v</c>; reads only released versions.</summary>
internal sealed class CdiVersionJsonConverter : JsonConverter<CdiVersion>
{
    public override CdiVersion Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"cdiVersion must be a string, not {reader.TokenType}.");
        }

        string? text = reader.GetString();
        return CdiVersion.TryParse(text, out CdiVersion version)
            ? version
            : throw new JsonException($"cdiVersion \"{text}\" is not a released CDI spec version.");
    }

    public override void Write(Utf8JsonWriter writer, CdiVersion value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}

/// <summary>A string map written with keys in ordinal order (stable output); duplicate keys are rejected on read.</summary>
internal sealed class StringMapConverter : JsonConverter<IReadOnlyDictionary<string, string>>
{
    public override IReadOnlyDictionary<string, string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"Expected an object of strings, not {reader.TokenType}.");
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException($"The value of \"{key}\" must be a string, not {reader.TokenType}.");
            }

            if (!map.TryAdd(key, reader.GetString()!))
            {
                throw new JsonException($"Duplicate key \"{key}\".");
            }
        }

        return map;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (KeyValuePair<string, string> entry in value.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            writer.WriteString(entry.Key, entry.Value);
        }

        writer.WriteEndObject();
    }
}
