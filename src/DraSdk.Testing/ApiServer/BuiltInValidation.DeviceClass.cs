using System.Text.Json.Nodes;

namespace DraSdk.Testing;

/// <summary>resource.k8s.io/v1 DeviceClass validation, and the selector and configuration rules claims share with it.</summary>
internal static partial class BuiltInValidation
{
    public const int MaxSelectors = 32;
    public const int MaxConfigs = 32;
    public const int MaxOpaqueParametersBytes = 10 * 1024;
    public const int MaxCelExpressionBytes = 10 * 1024;

    private static IEnumerable<ApiFieldError> DeviceClass(JsonObject obj, JsonObject? old, ValidationContext context)
    {
        foreach (var e in LabelsAndAnnotations("metadata", obj["metadata"] as JsonObject))
        {
            yield return e;
        }

        var spec = obj["spec"] as JsonObject ?? [];
        var oldSpec = old?["spec"] as JsonObject;

        // Selectors and configs exactly as stored before count as stored: their size limits are not checked again.
        foreach (var e in Selectors("spec.selectors", spec["selectors"], context))
        {
            yield return e;
        }

        var configStored = oldSpec is not null && Same(spec["config"], oldSpec["config"]);
        if (spec["config"] is JsonArray configs)
        {
            if (configs.Count > MaxConfigs)
            {
                yield return ApiFieldError.TooMany("spec.config", configs.Count, MaxConfigs);
            }
            else
            {
                for (var i = 0; i < configs.Count; i++)
                {
                    foreach (var e in DeviceConfiguration(Index("spec.config", i), configs[i] as JsonObject, configStored))
                    {
                        yield return e;
                    }
                }
            }
        }

        if (spec["extendedResourceName"] is JsonValue ern && Str(ern) is { } extended && !IsExtendedResourceName(extended))
        {
            yield return ApiFieldError.Invalid("spec.extendedResourceName", extended, "must be a valid extended resource name");
        }
    }

    /// <summary>
    /// An extended resource name as a pod requests it: has a domain, is not in <c>kubernetes.io/</c>, does not start
    /// with <c>requests.</c>, and <c>requests.</c> plus the name is a qualified name.
    /// </summary>
    private static bool IsExtendedResourceName(string name) =>
        name.Contains('/', StringComparison.Ordinal)
        && !name.Contains("kubernetes.io/", StringComparison.Ordinal)
        && !name.StartsWith("requests.", StringComparison.Ordinal)
        && QualifiedNameProblems("requests." + name).Count == 0;

    /// <summary>A list of device selectors: at most 32, each with a CEL expression that compiles.</summary>
    private static IEnumerable<ApiFieldError> Selectors(string path, JsonNode? node, ValidationContext context)
    {
        if (node is not JsonArray selectors)
        {
            yield break;
        }

        if (selectors.Count > MaxSelectors)
        {
            yield return ApiFieldError.TooMany(path, selectors.Count, MaxSelectors);
            yield break;
        }

        for (var i = 0; i < selectors.Count; i++)
        {
            var field = Index(path, i) + ".cel";
            if (selectors[i]?["cel"] is not JsonObject cel)
            {
                yield return ApiFieldError.Required(field);
                continue;
            }

            var expression = Str(cel["expression"]) ?? "";
            if (Bytes(expression) > MaxCelExpressionBytes)
            {
                yield return ApiFieldError.TooLong(field + ".expression", MaxCelExpressionBytes);
                continue;
            }

            if (!context.Cel.TryCompile(expression, out _, out var error))
            {
                yield return ApiFieldError.Invalid(field + ".expression", expression, "compilation failed: " + error!.Message);
            }
        }
    }

    /// <summary>A device configuration: <c>opaque</c> is required, with a driver name and JSON object parameters.</summary>
    private static IEnumerable<ApiFieldError> DeviceConfiguration(string path, JsonObject? config, bool stored)
    {
        if (config?["opaque"] is not JsonObject opaque)
        {
            yield return ApiFieldError.Required(path + ".opaque");
            yield break;
        }

        foreach (var e in DriverName(path + ".opaque.driver", Str(opaque["driver"])))
        {
            yield return e;
        }

        foreach (var e in RawObject(path + ".opaque.parameters", opaque["parameters"], opaque.ContainsKey("parameters"), stored, MaxOpaqueParametersBytes))
        {
            yield return e;
        }
    }
}
