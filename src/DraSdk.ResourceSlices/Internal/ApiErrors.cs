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
    /// Forbidden (RBAC, admission), 404 Not Found (the API group or version is not served). Retrying the same request
    /// fast cannot help; 409, 429, 5xx and network errors are transient.
    /// </summary>
    public static bool IsPermanent(Exception error) =>
        error is HttpOperationException { Response: { } response }
        && response.StatusCode is HttpStatusCode.UnprocessableEntity or HttpStatusCode.Forbidden or HttpStatusCode.NotFound;

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
                    detail = $" {status.Reason}: {status.Message}";
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
