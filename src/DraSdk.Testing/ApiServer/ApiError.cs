using System.Text.Json.Nodes;

namespace DraSdk.Testing;

/// <summary>An error answered as a <c>v1 Status</c> object. Thrown inside the server and turned into a response.</summary>
#pragma warning disable CA1032, CA1064 // Internal control-flow exception; the standard constructors are not wanted.
internal sealed class ApiError : Exception
#pragma warning restore CA1032, CA1064
{
    public ApiError(int code, string reason, string message, string? name = null, ApiResourceType? resource = null, bool kindIsKind = false, IReadOnlyList<ApiFieldError>? causes = null, TimeSpan? retryAfter = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Name = name;
        Resource = resource;
        KindIsKind = kindIsKind;
        Causes = causes;
        RetryAfter = retryAfter;
    }

    public int Code { get; }

    public string Reason { get; }

    public string? Name { get; }

    public ApiResourceType? Resource { get; }

    public bool KindIsKind { get; }

    public IReadOnlyList<ApiFieldError>? Causes { get; }

    public TimeSpan? RetryAfter { get; }

    public static ApiError NotFound(ApiResourceType r, string name) =>
        new(404, "NotFound", $"{r.GroupResource} \"{name}\" not found", name, r);

    public static ApiError ResourceNotFound() =>
        new(404, "NotFound", "the server could not find the requested resource");

    public static ApiError AlreadyExists(ApiResourceType r, string name) =>
        new(409, "AlreadyExists", $"{r.GroupResource} \"{name}\" already exists", name, r);

    public static ApiError Conflict(ApiResourceType r, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {r.GroupResource} \"{name}\": {why}", name, r);

    public static ApiError Modified(ApiResourceType r, string name) =>
        Conflict(r, name, "the object has been modified; please apply your changes to the latest version and try again");

    public static ApiError Invalid(ApiResourceType r, string name, IReadOnlyList<ApiFieldError> causes)
    {
        var detail = causes.Count == 1
            ? causes[0].Field + ": " + causes[0].Message
            : "[" + string.Join(", ", causes.Select(c => c.Field + ": " + c.Message)) + "]";
        return new(422, "Invalid", $"{r.GroupKind} \"{name}\" is invalid: {detail}", name, r, kindIsKind: true, causes: causes);
    }

    public static ApiError BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiError MethodNotAllowed(string method) =>
        new(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource ({method})");

    public static ApiError Expired(string message) => new(410, "Expired", message);

    public static ApiError Internal(string message) => new(500, "InternalError", message);

    public static ApiError UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {contentType})");

    /// <summary>The reason the real API server uses for a status code with no more specific reason.</summary>
    public static string ReasonFor(int code) => code switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "Conflict",
        410 => "Expired",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    };

    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
        };
        if (Name is not null || Resource is not null || Causes is not null || RetryAfter is not null)
        {
            var details = new JsonObject();
            if (Name is not null)
            {
                details["name"] = Name;
            }

            if (Resource is not null)
            {
                if (Resource.Group.Length > 0)
                {
                    details["group"] = Resource.Group;
                }

                details["kind"] = KindIsKind ? Resource.Kind : Resource.Plural;
            }

            if (Causes is not null)
            {
                var causes = new JsonArray();
                foreach (var c in Causes)
                {
                    causes.Add(new JsonObject { ["reason"] = c.Reason, ["message"] = c.Message, ["field"] = c.Field });
                }

                details["causes"] = causes;
            }

            if (RetryAfter is { } ra)
            {
                details["retryAfterSeconds"] = (int)Math.Ceiling(ra.TotalSeconds);
            }

            status["details"] = details;
        }

        status["code"] = Code;
        return status;
    }
}
