using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>Reads the claims the kubelet names and checks that they are the ones it means and are allocated.</summary>
internal sealed class ClaimFetcher(IKubernetes client, IOptions<DraDriverOptions> options, KubeletPluginMetrics metrics, ILogger<ClaimFetcher> logger)
{
    private readonly string _driverName = options.Value.DriverName;

    // 1 while a refusal (401, 403) has been logged and no fetch has succeeded since: logged once, not at every retry of the kubelet.
    private int _refusalLogged;

    /// <summary>Fetches one claim; a problem with this claim is returned as its error, never thrown.</summary>
    public async Task<(PreparableClaim? Claim, string? Error)> FetchAsync(ClaimReference reference, CancellationToken cancellationToken)
    {
        Resourcev1ResourceClaim claim;
        try
        {
            claim = await client.ResourceV1.ReadNamespacedResourceClaimAsync(reference.Name, reference.Namespace, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            metrics.RecordClaimFetchError("not_found");
            return (null, $"resource claim {reference.Namespace}/{reference.Name} not found in the API server (deleted?)");
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            // A mistake in the driver's RBAC or credentials: every prepare fails the same way until an operator fixes it.
            metrics.RecordClaimFetchError(ex.Response.StatusCode == HttpStatusCode.Forbidden ? "forbidden" : "unauthorized");
            string error = $"fetching resource claim {reference.Namespace}/{reference.Name}: API server answered {(int)ex.Response.StatusCode} {StatusMessage(ex)}. "
                + (ex.Response.StatusCode == HttpStatusCode.Forbidden
                    ? "The driver's service account needs get on resourceclaims.resource.k8s.io (check its ClusterRole and binding)"
                    : "The driver's credentials were refused (check its service account token or KUBECONFIG)");
            if (Interlocked.Exchange(ref _refusalLogged, 1) == 0)
            {
                Log.ClaimFetchRefused(logger, error);
            }

            return (null, error);
        }
        catch (HttpOperationException ex)
        {
            metrics.RecordClaimFetchError("api");
            return (null, $"fetching resource claim {reference.Namespace}/{reference.Name}: API server answered {(int)ex.Response.StatusCode} {StatusMessage(ex)}");
        }
        catch (HttpRequestException ex)
        {
            metrics.RecordClaimFetchError("unreachable");
            return (null, $"fetching resource claim {reference.Namespace}/{reference.Name}: {ex.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            metrics.RecordClaimFetchError("timeout");
            return (null, $"fetching resource claim {reference.Namespace}/{reference.Name}: the API server did not answer in time");
        }

        if (Interlocked.Exchange(ref _refusalLogged, 0) == 1)
        {
            Log.ClaimFetchAllowed(logger);
        }

        if (claim.Metadata?.Uid != reference.Uid)
        {
            return (null, $"resource claim {reference.Namespace}/{reference.Name} has UID {claim.Metadata?.Uid}, not {reference.Uid} as the kubelet asked: the claim was replaced");
        }

        if (claim.Status?.Allocation is null)
        {
            return (null, $"resource claim {reference.Namespace}/{reference.Name} is not allocated");
        }

        return (new PreparableClaim(claim, _driverName), null);
    }

    private static string StatusMessage(HttpOperationException ex)
    {
        string? content = ex.Response.Content;
        if (!string.IsNullOrEmpty(content))
        {
            try
            {
                V1Status? status = KubernetesJson.Deserialize<V1Status>(content);
                if (status?.Message is { Length: > 0 } message)
                {
                    return $"{status.Reason}: {message}";
                }
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }

        return ex.Response.ReasonPhrase ?? ex.Message;
    }
}
