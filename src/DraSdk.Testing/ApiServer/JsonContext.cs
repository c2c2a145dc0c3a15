using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DraSdk.Testing;

/// <summary>Source-generated serialization for the few shapes the server writes itself.</summary>
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(string))]
internal sealed partial class JsonContext : JsonSerializerContext;
