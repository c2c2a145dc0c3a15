using System.Text.Json.Nodes;

namespace DraSdk.Testing;

/// <summary>
/// resource.k8s.io/v1 ResourceClaim and ResourceClaimTemplate validation as kube-apiserver v1.36 does it (default
/// feature gates): the claim spec, template metadata, immutability and the admin-access namespace label.
/// </summary>
internal static partial class BuiltInValidation
{
    public const int MaxRequests = 32;
    public const int MaxSubRequests = 8;
    public const int MaxConstraints = 32;

    /// <summary>The namespace label that allows <c>adminAccess: true</c> in the namespace's claims and templates.</summary>
    public const string AdminAccessNamespaceLabel = "resource.kubernetes.io/admin-access";

    private const string RequestReferenceMessage = "must be the name of a request in the claim or the name of a request and a subrequest separated by '/'";
    private const string Immutable = "Invalid value: \"object\": field is immutable";

    private static readonly string[] AllocationModes = ["All", "ExactCount"];
    private static readonly string[] TolerationOperators = ["Equal", "Exists"];
    private static readonly string[] TemplateMetadataFields =
        ["name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences", "finalizers", "managedFields"];

    private static IEnumerable<ApiFieldError> ResourceClaim(JsonObject obj, JsonObject? old, ValidationContext context)
    {
        foreach (var e in LabelsAndAnnotations("metadata", obj["metadata"] as JsonObject))
        {
            yield return e;
        }

        var spec = obj["spec"] as JsonObject;
        if (old is not null)
        {
            // The spec is immutable; an update checks only that (what was stored was validated when created).
            if (!Same(spec, old["spec"]))
            {
                yield return new ApiFieldError("FieldValueInvalid", "spec", Immutable);
            }
        }
        else
        {
            foreach (var e in ClaimSpec("spec", spec, context))
            {
                yield return e;
            }

            foreach (var e in AdminAccess(obj, spec, context))
            {
                yield return e;
            }
        }

        // The status is validated when it changes (a /status write, or a Seed that brings one).
        if (obj["status"] is JsonObject status && !Same(status, old?["status"]))
        {
            foreach (var e in ClaimStatus(obj, status, old?["status"] as JsonObject, context))
            {
                yield return e;
            }
        }
    }

    private static IEnumerable<ApiFieldError> ResourceClaimTemplate(JsonObject obj, JsonObject? old, ValidationContext context)
    {
        foreach (var e in LabelsAndAnnotations("metadata", obj["metadata"] as JsonObject))
        {
            yield return e;
        }

        var spec = obj["spec"] as JsonObject ?? [];
        if (old is not null)
        {
            if (!Same(obj["spec"], old["spec"]))
            {
                yield return new ApiFieldError("FieldValueInvalid", "spec", Immutable);
            }

            yield break;
        }

        // spec.metadata: labels and annotations only.
        var meta = spec["metadata"] as JsonObject;
        foreach (var e in LabelsAndAnnotations("spec.metadata", meta))
        {
            yield return e;
        }

        foreach (var f in TemplateMetadataFields)
        {
            if (meta?[f] is { } v && !IsZero(v))
            {
                // The server names the field after the Go field, lower-cased at the start: uid is "uID".
                yield return ApiFieldError.Forbidden("spec.metadata." + (f == "uid" ? "uID" : f), "cannot be set");
            }
        }

        var claimSpec = spec["spec"] as JsonObject;
        foreach (var e in ClaimSpec("spec.spec", claimSpec, context))
        {
            yield return e;
        }

        foreach (var e in AdminAccess(obj, claimSpec, context))
        {
            yield return e;
        }
    }

    /// <summary>Whether a decoded value is Go's zero value (an empty list decodes to a non-nil slice: not zero).</summary>
    private static bool IsZero(JsonNode node) => node switch
    {
        JsonArray => false,
        JsonValue v when v.TryGetValue<string>(out var s) => s.Length == 0,
        JsonValue v when v.TryGetValue<long>(out var l) => l == 0,
        _ => false,
    };

    /// <summary>
    /// A claim or template asking for admin access lives in a namespace labelled
    /// <c>resource.kubernetes.io/admin-access: "true"</c>; the server reports the first such request.
    /// </summary>
    private static IEnumerable<ApiFieldError> AdminAccess(JsonObject obj, JsonObject? claimSpec, ValidationContext context)
    {
        var requests = claimSpec?["devices"]?["requests"] as JsonArray ?? [];
        for (var i = 0; i < requests.Count; i++)
        {
            if (Bool(requests[i]?["exactly"]?["adminAccess"]))
            {
                // The path is the server's, the same for claims and templates.
                var path = Index("spec.devices.requests", i) + ".adminAccess";
                if (!NamespaceAllowsAdminAccess(obj, context))
                {
                    yield return AdminAccessForbidden(path);
                }

                yield break;
            }
        }
    }

    private static bool NamespaceAllowsAdminAccess(JsonObject obj, ValidationContext context) =>
        Str(obj["metadata"]?["namespace"]) is { Length: > 0 } ns
        && Str(context.Namespace(ns)?["metadata"]?["labels"]?[AdminAccessNamespaceLabel]) == "true";

    private static ApiFieldError AdminAccessForbidden(string path) =>
        ApiFieldError.Forbidden(path, "admin access to devices requires the `" + AdminAccessNamespaceLabel + ": true` label on the containing namespace");

    /// <summary>A claim spec: requests, constraints and configs (<c>validateResourceClaimSpec</c>).</summary>
    private static IEnumerable<ApiFieldError> ClaimSpec(string path, JsonObject? spec, ValidationContext context)
    {
        var devices = spec?["devices"] as JsonObject;
        var devicesPath = path + ".devices";
        var names = RequestNames(devices);

        if (devices?["requests"] is JsonArray requests)
        {
            var requestsPath = devicesPath + ".requests";
            if (requests.Count > MaxRequests)
            {
                yield return ApiFieldError.TooMany(requestsPath, requests.Count, MaxRequests);
            }
            else
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < requests.Count; i++)
                {
                    foreach (var e in Request(Index(requestsPath, i), requests[i] as JsonObject ?? [], context))
                    {
                        yield return e;
                    }
                }

                for (var i = 0; i < requests.Count; i++)
                {
                    var name = Str(requests[i]?["name"]) ?? "";
                    if (!seen.Add(name))
                    {
                        yield return ApiFieldError.Duplicate(Index(requestsPath, i), name);
                    }
                }
            }
        }

        if (devices?["constraints"] is JsonArray constraints)
        {
            var constraintsPath = devicesPath + ".constraints";
            if (constraints.Count > MaxConstraints)
            {
                yield return ApiFieldError.TooMany(constraintsPath, constraints.Count, MaxConstraints);
            }
            else
            {
                for (var i = 0; i < constraints.Count; i++)
                {
                    foreach (var e in Constraint(Index(constraintsPath, i), constraints[i] as JsonObject ?? [], names, context))
                    {
                        yield return e;
                    }
                }
            }
        }

        if (devices?["config"] is JsonArray configs)
        {
            var configPath = devicesPath + ".config";
            if (configs.Count > MaxConfigs)
            {
                yield return ApiFieldError.TooMany(configPath, configs.Count, MaxConfigs);
            }
            else
            {
                for (var i = 0; i < configs.Count; i++)
                {
                    var item = Index(configPath, i);
                    foreach (var e in RequestReferences(item + ".requests", configs[i]?["requests"], names))
                    {
                        yield return e;
                    }

                    foreach (var e in DeviceConfiguration(item, configs[i] as JsonObject, stored: false))
                    {
                        yield return e;
                    }
                }
            }
        }
    }

    /// <summary>The request names of a claim, each with the names of its subrequests (null for an <c>exactly</c> request).</summary>
    private static Dictionary<string, HashSet<string>?> RequestNames(JsonObject? devices)
    {
        var names = new Dictionary<string, HashSet<string>?>(StringComparer.Ordinal);
        foreach (var r in (devices?["requests"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = Str(r["name"]) ?? "";
            names[name] = r["firstAvailable"] is JsonArray { Count: > 0 } subs
                ? subs.Select(s => Str(s?["name"]) ?? "").ToHashSet(StringComparer.Ordinal)
                : null;
        }

        return names;
    }

    private static bool HasRequest(Dictionary<string, HashSet<string>?> names, string reference)
    {
        var parts = reference.Split('/');
        return parts.Length switch
        {
            1 => names.ContainsKey(parts[0]),
            2 => names.TryGetValue(parts[0], out var subs) && subs is not null && subs.Contains(parts[1]),
            _ => false,
        };
    }

    /// <summary>A list of references to requests (<c>request</c> or <c>request/subrequest</c>): at most 32, unique, existing.</summary>
    private static IEnumerable<ApiFieldError> RequestReferences(string path, JsonNode? node, Dictionary<string, HashSet<string>?> names)
    {
        if (node is not JsonArray list)
        {
            yield break;
        }

        if (list.Count > MaxRequests)
        {
            yield return ApiFieldError.TooMany(path, list.Count, MaxRequests);
            yield break;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            foreach (var e in RequestReference(Index(path, i), Str(list[i]) ?? "", names))
            {
                yield return e;
            }
        }

        for (var i = 0; i < list.Count; i++)
        {
            var name = Str(list[i]) ?? "";
            if (!seen.Add(name))
            {
                yield return ApiFieldError.Duplicate(Index(path, i), name);
            }
        }
    }

    private static IEnumerable<ApiFieldError> RequestReference(string field, string reference, Dictionary<string, HashSet<string>?> names)
    {
        var parts = reference.Split('/');
        if (parts.Length > 2)
        {
            yield return ApiFieldError.Invalid(field, reference, RequestReferenceMessage);
            yield break;
        }

        foreach (var part in parts)
        {
            foreach (var e in DnsLabel(field, part))
            {
                yield return e;
            }
        }

        if (!HasRequest(names, reference))
        {
            yield return ApiFieldError.Invalid(field, reference, RequestReferenceMessage);
        }
    }

    /// <summary>One request: a DNS-label name and exactly one of <c>exactly</c> or <c>firstAvailable</c>.</summary>
    private static IEnumerable<ApiFieldError> Request(string path, JsonObject request, ValidationContext context)
    {
        foreach (var e in DnsLabel(path + ".name", Str(request["name"]) ?? ""))
        {
            yield return e;
        }

        var exactly = request["exactly"] as JsonObject;
        var firstAvailable = request["firstAvailable"] as JsonArray is { Count: > 0 } fa ? fa : null;
        if (exactly is null && firstAvailable is null)
        {
            yield return ApiFieldError.Required(path, "exactly one of `exactly` or `firstAvailable` is required");
        }
        else if (exactly is not null && firstAvailable is not null)
        {
            yield return ApiFieldError.Invalid(path, null, "exactly one of `exactly` or `firstAvailable` is required, but multiple fields are set");
        }
        else if (firstAvailable is not null)
        {
            var subPath = path + ".firstAvailable";
            if (firstAvailable.Count > MaxSubRequests)
            {
                yield return ApiFieldError.TooMany(subPath, firstAvailable.Count, MaxSubRequests);
                yield break;
            }

            for (var i = 0; i < firstAvailable.Count; i++)
            {
                var sub = firstAvailable[i] as JsonObject ?? [];
                foreach (var e in DnsLabel(Index(subPath, i) + ".name", Str(sub["name"]) ?? ""))
                {
                    yield return e;
                }

                foreach (var e in DeviceSelection(Index(subPath, i), sub, context))
                {
                    yield return e;
                }
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < firstAvailable.Count; i++)
            {
                var name = Str(firstAvailable[i]?["name"]) ?? "";
                if (!seen.Add(name))
                {
                    yield return ApiFieldError.Duplicate(Index(subPath, i), name);
                }
            }
        }
        else
        {
            foreach (var e in DeviceSelection(path + ".exactly", exactly!, context))
            {
                yield return e;
            }
        }
    }

    /// <summary>What <c>exactly</c> and a subrequest share: class, selectors, allocation mode and count, tolerations.</summary>
    private static IEnumerable<ApiFieldError> DeviceSelection(string path, JsonObject request, ValidationContext context)
    {
        if (Str(request["deviceClassName"]) is not { Length: > 0 } className)
        {
            yield return ApiFieldError.Required(path + ".deviceClassName");
        }
        else
        {
            foreach (var e in DnsSubdomain(path + ".deviceClassName", className))
            {
                yield return e;
            }
        }

        foreach (var e in Selectors(path + ".selectors", request["selectors"], context))
        {
            yield return e;
        }

        // Defaults first, as the server applies them before validating: ExactCount, and a count of one.
        var mode = Str(request["allocationMode"]) is { Length: > 0 } m ? m : "ExactCount";
        var count = Long(request["count"]) ?? 0;
        switch (mode)
        {
            case "All" when count != 0:
                yield return ApiFieldError.Invalid(path + ".count", count, "must not be specified when allocationMode is 'All'");
                break;
            case "ExactCount" when count < 0:
                yield return ApiFieldError.Invalid(path + ".count", count, "must be greater than zero");
                break;
            case "All" or "ExactCount":
                break;
            default:
                yield return ApiFieldError.NotSupported(path + ".allocationMode", mode, AllocationModes);
                break;
        }

        var tolerations = request["tolerations"] as JsonArray ?? [];
        for (var i = 0; i < tolerations.Count; i++)
        {
            foreach (var e in Toleration(Index(path + ".tolerations", i), tolerations[i] as JsonObject ?? []))
            {
                yield return e;
            }
        }
    }

    private static IEnumerable<ApiFieldError> Toleration(string path, JsonObject toleration)
    {
        if (Str(toleration["key"]) is { Length: > 0 } key)
        {
            foreach (var e in LabelName(path + ".key", key))
            {
                yield return e;
            }
        }

        var value = Str(toleration["value"]) ?? "";
        var op = Str(toleration["operator"]) is { Length: > 0 } o ? o : "Equal"; // the default
        switch (op)
        {
            case "Exists" when value.Length > 0:
                yield return ApiFieldError.Invalid(path + ".value", value, "must be empty for operator `Exists`");
                break;
            case "Exists":
                break;
            case "Equal":
                foreach (var e in LabelValue(path + ".value", value))
                {
                    yield return e;
                }

                break;
            default:
                yield return ApiFieldError.NotSupported(path + ".operator", op, TolerationOperators);
                break;
        }

        if (Str(toleration["effect"]) is { Length: > 0 } effect && !TaintEffects.Contains(effect))
        {
            yield return ApiFieldError.NotSupported(path + ".effect", effect, TaintEffects);
        }
    }

    /// <summary>A constraint: existing request references and a fully qualified attribute to match or keep distinct.</summary>
    private static IEnumerable<ApiFieldError> Constraint(string path, JsonObject constraint, Dictionary<string, HashSet<string>?> names, ValidationContext context)
    {
        foreach (var e in RequestReferences(path + ".requests", constraint["requests"], names))
        {
            yield return e;
        }

        if (Str(constraint["matchAttribute"]) is { } match)
        {
            foreach (var e in FullyQualifiedName(path + ".matchAttribute", match))
            {
                yield return e;
            }
        }
        else if (Str(constraint["distinctAttribute"]) is { } distinct)
        {
            foreach (var e in FullyQualifiedName(path + ".distinctAttribute", distinct))
            {
                yield return e;
            }
        }
        else if (context.DisabledFeatureGates.Contains("DRAConsumableCapacity"))
        {
            yield return ApiFieldError.Required(path + ".matchAttribute");
        }
        else
        {
            // The server's message for neither field (sic).
            yield return ApiFieldError.Required(path, "exactly one of \"matchAttribute\" or \"distinctAttribute\" is required, but multiple fields are set");
        }
    }
}
