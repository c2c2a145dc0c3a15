using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>Reads the claims the kubelet names and checks that they are the ones it means and are allocated.</summary>
internal sealed class ClaimFetcher(IKubernetes client, IOptions<DraDriverOptions> options)
{
    private readonly string _driverName = options.Value.DriverName;

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
            return (null, $"resource claim {reference.Namespace}/{reference.Name} not found in the API server (deleted?)");
        }
        catch (HttpOperationException ex)
        {
            return (null, $"fetching resource claim {reference.Namespace}/{reference.Name}: API server answered {(int)ex.Response.StatusCode} {StatusMessage(ex)}");
        }
        catch (HttpRequestException ex)
        {
            return (null, $"fetching resource claim {reference.Namespace}/{reference.Name}: {ex.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"fetching resource claim {reference.Namespace}/{reference.Name}: the API server did not answer in time");
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
