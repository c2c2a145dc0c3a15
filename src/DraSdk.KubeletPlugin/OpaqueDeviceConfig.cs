using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DraSdk.KubeletPlugin.Internal;

namespace DraSdk.KubeletPlugin;

/// <summary>Where an opaque device configuration came from; claim configs take precedence over class configs.</summary>
public enum ConfigSource
{
    /// <summary>From the DeviceClass (<c>FromClass</c>).</summary>
    FromClass,

    /// <summary>From the ResourceClaim (<c>FromClaim</c>).</summary>
    FromClaim,
}

/// <summary>
/// A driver-specific configuration attached to a claim's allocation (<c>status.allocation.devices.config[]</c>
/// with an <c>opaque</c> entry for this driver).
/// </summary>
public sealed class OpaqueDeviceConfig
{
    internal OpaqueDeviceConfig(int index, ConfigSource source, IReadOnlyList<string> requests, JsonElement parameters)
    {
        Index = index;
        Source = source;
        Requests = requests;
        Parameters = parameters;
    }

    /// <summary>The position of this entry in <c>status.allocation.devices.config</c>, for error messages.</summary>
    public int Index { get; }

    /// <summary>Whether the DeviceClass or the claim supplied the configuration.</summary>
    public ConfigSource Source { get; }

    /// <summary>The requests it applies to; empty means all requests of the claim.</summary>
    public IReadOnlyList<string> Requests { get; }

    /// <summary>The raw parameters, typically an object with <c>apiVersion</c> and <c>kind</c>.</summary>
    public JsonElement Parameters { get; }

    /// <summary>The JSON path of the parameters in the claim, e.g. <c>status.allocation.devices.config[1].opaque.parameters</c>.</summary>
    public string Path => $"status.allocation.devices.config[{Index}].opaque.parameters";

    /// <summary>Whether the configuration applies to the given request (a base name or <c>request/subrequest</c>).</summary>
    /// <param name="request">The request name from an allocation result.</param>
    public bool AppliesTo(string request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Requests.Count == 0)
        {
            return true;
        }

        string baseName = RequestNames.BaseName(request);
        foreach (string r in Requests)
        {
            if (r == request || r == baseName)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Deserializes the parameters, reporting malformed input with the config's path in the claim.</summary>
    /// <typeparam name="T">The driver's configuration type.</typeparam>
    /// <param name="options">
    /// Serializer options. The default is strict, as the API server is with built-in types: camelCase names matched
    /// exactly, unknown fields rejected, a field given twice rejected, numbers only as JSON numbers.
    /// </param>
    /// <exception cref="OpaqueConfigException">
    /// The parameters do not match <typeparamref name="T"/>; the message names the field (e.g.
    /// <c>status.allocation.devices.config[0].opaque.parameters.replicas</c>) and what was wrong with it.
    /// </exception>
    [RequiresUnreferencedCode("Uses reflection-based JSON serialization; pass options with a source-generated context when trimming.")]
    [RequiresDynamicCode("Uses reflection-based JSON serialization; pass options with a source-generated context for AOT.")]
    public T Deserialize<T>(JsonSerializerOptions? options = null)
    {
        try
        {
            return Parameters.Deserialize<T>(options ?? StrictOptions)
                ?? throw new OpaqueConfigException(Path, "parameters are null", null);
        }
        catch (JsonException ex)
        {
            string jsonPath = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
            (string where, string problem) = OpaqueConfigErrors.Describe(ex, jsonPath, Parameters);
            throw new OpaqueConfigException(jsonPath == "$" && where.Length == 0 ? Path : $"{Path}{where}", problem, ex);
        }
    }

    /// <summary>
    /// Deserializes the parameters with a source-generated type (trim- and AOT-safe), as strictly as
    /// <see cref="Deserialize{T}(JsonSerializerOptions?)"/> does by default: camelCase names matched exactly, unknown or
    /// repeated fields rejected, numbers only as JSON numbers. Errors name the field in the claim.
    /// </summary>
    /// <typeparam name="T">The driver's configuration type.</typeparam>
    /// <param name="typeInfo">Its metadata from the driver's <c>JsonSerializerContext</c>, e.g. <c>MyJson.Default.MyConfig</c>.</param>
    /// <exception cref="OpaqueConfigException">The parameters do not match <typeparamref name="T"/>; the message says where and why.</exception>
    public T Deserialize<T>(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var strict = (JsonTypeInfo<T>)StrictTypeInfos.GetValue(typeInfo, t => new JsonSerializerOptions(StrictOptions) { TypeInfoResolver = t.Options.TypeInfoResolver }.GetTypeInfo(t.Type));
        try
        {
            return Parameters.Deserialize(strict) ?? throw new OpaqueConfigException(Path, "parameters are null", null);
        }
        catch (JsonException ex)
        {
            string jsonPath = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
            (string where, string problem) = OpaqueConfigErrors.Describe(ex, jsonPath, Parameters);
            throw new OpaqueConfigException(jsonPath == "$" && where.Length == 0 ? Path : $"{Path}{where}", problem, ex);
        }
    }

    /// <summary>Checks the parameters' <c>apiVersion</c> and <c>kind</c>; throws with the field's path when either differs.</summary>
    /// <param name="apiVersion">The expected <c>apiVersion</c>, e.g. <c>gpu.example.com/v1alpha1</c>.</param>
    /// <param name="kind">The expected <c>kind</c>, e.g. <c>GpuConfig</c>.</param>
    /// <exception cref="OpaqueConfigException">A field is missing or has another value.</exception>
    public void EnsureType(string apiVersion, string kind)
    {
        foreach ((string field, string expected) in new[] { ("apiVersion", apiVersion), ("kind", kind) })
        {
            string? actual = Parameters.ValueKind == JsonValueKind.Object && Parameters.TryGetProperty(field, out JsonElement value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
            if (!string.Equals(actual, expected, StringComparison.Ordinal))
            {
                throw new OpaqueConfigException($"{Path}.{field}", actual is null ? $"must be {expected}, and is missing" : $"must be {expected}, not '{actual}'", null);
            }
        }
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<JsonTypeInfo, JsonTypeInfo> StrictTypeInfos = [];

    /// <summary>Strict JSON: what a user writes in a claim is read exactly as written, or rejected.</summary>
    private static readonly JsonSerializerOptions StrictOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNameCaseInsensitive = false,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
    };
}

/// <summary>An opaque device configuration that a driver cannot accept; the message names where in the claim it is.</summary>
public sealed class OpaqueConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OpaqueConfigException()
        : base("invalid opaque device configuration")
    {
        Path = string.Empty;
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public OpaqueConfigException(string message)
        : base(message)
    {
        Path = string.Empty;
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public OpaqueConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Path = string.Empty;
    }

    /// <summary>Creates the exception for a location in the claim.</summary>
    /// <param name="path">Where in the claim, e.g. <c>status.allocation.devices.config[1].opaque.parameters.sharing</c>.</param>
    /// <param name="problem">What is wrong there.</param>
    /// <param name="innerException">The cause, if any.</param>
    public OpaqueConfigException(string path, string problem, Exception? innerException)
        : base($"invalid opaque device configuration at {path}: {problem}", innerException)
    {
        Path = path;
    }

    /// <summary>Where in the claim the problem is.</summary>
    public string Path { get; }
}
