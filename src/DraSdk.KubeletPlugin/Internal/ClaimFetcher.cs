using System.Net;
using System.Text.Json.Nodes;
using DraSdk.Internal;
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

    // The version of resource.k8s.io claims are read in, once known.
    private volatile string? _version;

    // 1 while a refusal (401, 403) has been logged and no fetch has succeeded since: logged once, not at every retry of the kubelet.
    private int _refusalLogged;

    /// <summary>Fetches one claim; a problem with this claim is returned as its error, never thrown.</summary>
    public async Task<(PreparableClaim? Claim, string? Error)> FetchAsync(ClaimReference reference, CancellationToken cancellationToken)
    {
        Resourcev1ResourceClaim claim;
        try
        {
            claim = await ReadAsync(reference, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// Reads the claim in the version of resource.k8s.io the server serves (v1, v1beta2 or v1beta1, found by discovery
    /// once, or by trying them in turn while a 404 says the version is not served) and returns it as v1.
    /// </summary>
    private async Task<Resourcev1ResourceClaim> ReadAsync(ClaimReference reference, CancellationToken cancellationToken)
    {
        string version = _version ?? await DiscoverAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            try
            {
                Resourcev1ResourceClaim claim = version switch
                {
                    "v1beta2" => ToV1(await client.ResourceV1beta2.ReadNamespacedResourceClaimAsync(reference.Name, reference.Namespace, cancellationToken: cancellationToken)
                        .ConfigureAwait(false), version),
                    "v1beta1" => ToV1(await client.ResourceV1beta1.ReadNamespacedResourceClaimAsync(reference.Name, reference.Namespace, cancellationToken: cancellationToken)
                        .ConfigureAwait(false), version),
                    _ => await client.ResourceV1.ReadNamespacedResourceClaimAsync(reference.Name, reference.Namespace, cancellationToken: cancellationToken)
                        .ConfigureAwait(false),
                };
                _version = version;
                return claim;
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound && _version is null && !IsObjectNotFound(ex)
                && ResourceApiVersions.Supported.SkipWhile(v => v != version).Skip(1).FirstOrDefault() is { } next)
            {
                // The version itself is not served (no discovery told us which is): the next one is tried.
                version = next;
            }
        }
    }

    private async Task<string> DiscoverAsync(CancellationToken cancellationToken)
    {
        try
        {
            V1APIGroup group = await client.Resource.GetAPIGroupAsync(cancellationToken).ConfigureAwait(false);
            var served = group.Versions?.Select(v => v.Version).ToHashSet(StringComparer.Ordinal) ?? [];
            if (ResourceApiVersions.Supported.FirstOrDefault(served.Contains) is { } best)
            {
                _version = best;
                return best;
            }
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or System.Text.Json.JsonException
            || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // No discovery: the read tries the versions in turn.
        }

        return "v1";
    }

    /// <summary>Whether a 404 is about the object (a Status naming it), not about a version the server does not serve.</summary>
    private static bool IsObjectNotFound(HttpOperationException ex)
    {
        try
        {
            return !string.IsNullOrEmpty(ex.Response.Content) && KubernetesJson.Deserialize<V1Status>(ex.Response.Content)?.Details?.Name is { Length: > 0 };
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static Resourcev1ResourceClaim ToV1<T>(T claim, string version)
    {
        var node = (JsonObject)JsonNode.Parse(KubernetesJson.Serialize(claim))!;
        node["apiVersion"] = ResourceApiVersions.Group + "/" + version;
        node["kind"] = "ResourceClaim";
        return KubernetesJson.Deserialize<Resourcev1ResourceClaim>(ResourceApiVersions.ToV1(node).ToJsonString());
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
