using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>Reads the Kubernetes Status out of KubernetesClient's HTTP errors.</summary>
internal static class ApiErrors
{
    public static bool IsStatus(Exception error, HttpStatusCode status) =>
        error is HttpOperationException { Response: { } response } && response.StatusCode == status;

    /// <summary>
    /// Whether the API server refused the request for good: 422 Invalid (the object breaks a validation rule), 403
    /// Forbidden (RBAC, admission), 404 Not Found (the API group or version is not served), or a slice the served
    /// version of resource.k8s.io cannot carry. Retrying the same request
    /// fast cannot help; 409, 429, 5xx and network errors are transient.
    /// </summary>
    public static bool IsPermanent(Exception error) =>
        error is ResourceApiVersionException
        || error is HttpOperationException { Response: { } response }
        && response.StatusCode is HttpStatusCode.UnprocessableEntity or HttpStatusCode.Forbidden or HttpStatusCode.NotFound;

    /// <summary>
    /// A note on a refusal that a disabled feature gate explains: a server without <c>DRAListTypeAttributes</c> (off
    /// by default in Kubernetes 1.36) drops a list-type attribute's value instead of keeping it, and then refuses the
    /// attribute with "exactly one value must be specified", so the slice cannot be written at all.
    /// </summary>
    internal static string GateHint(V1Status status) =>
        status.Details?.Causes?.Any(c => c.Field?.Contains(".attributes[", StringComparison.Ordinal) == true
            && c.Message?.Contains("exactly one value must be specified", StringComparison.Ordinal) == true) == true
            ? $" (If that attribute is a list (Ints, Bools, Strings, Versions): the API server does not have the {ResourceValidation.ListTypeAttributesGate} feature gate, off by default in Kubernetes 1.36, and dropped the list; publish a single value or enable the gate.)"
            : string.Empty;

    /// <summary>A message naming what failed, with the API server's status code, reason and message.</summary>
    public static string Describe(string action, Exception error)
    {
        if (error is not HttpOperationException { Response: { } response })
        {
            return $"{action} failed: {error.Message}";
        }

        string detail = string.Empty;
        if (!string.IsNullOrEmpty(response.Content))
        {
            try
            {
                V1Status? status = KubernetesJson.Deserialize<V1Status>(response.Content);
                if (status is not null)
                {
                    detail = $" {status.Reason}: {status.Message}{GateHint(status)}";
                }
            }
            catch (JsonException)
            {
                detail = " " + (response.Content.Length > 200 ? response.Content[..200] : response.Content);
            }
        }

        return $"{action} failed with {(int)response.StatusCode} {response.StatusCode}.{detail}".TrimEnd();
    }
}
