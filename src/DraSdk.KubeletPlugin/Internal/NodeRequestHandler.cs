using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>
/// The version-independent heart of NodePrepareResources and NodeUnprepareResources: checks the request,
/// fetches claims, serializes, calls the driver and makes sure every claim gets an answer.
/// </summary>
internal sealed class NodeRequestHandler(
    IDraDriver driver,
    ClaimFetcher fetcher,
    CallSerializer serializer,
    KubeletPluginMetrics metrics,
    IOptions<DraDriverOptions> options,
    ILogger<NodeRequestHandler> logger,
    ClaimStatusReporter? statusReporter = null)
{
    private readonly string _driverName = options.Value.DriverName;

    public async Task<IReadOnlyDictionary<string, PrepareResult>> PrepareAsync(
        IReadOnlyList<ClaimReference> requested, CancellationToken cancellationToken)
    {
        List<ClaimReference> claims = CheckRequest(requested, "NodePrepareResources");
        var results = new Dictionary<string, PrepareResult>(claims.Count, StringComparer.Ordinal);
        if (claims.Count == 0)
        {
            return results;
        }

        // Fetch outside the lock (as the kubelet helper does), all claims at once.
        (PreparableClaim? Claim, string? Error)[] fetched = await Task.WhenAll(
            claims.Select(c => fetcher.FetchAsync(c, cancellationToken))).ConfigureAwait(false);

        var preparable = new List<PreparableClaim>(claims.Count);
        for (int i = 0; i < claims.Count; i++)
        {
            if (fetched[i].Error is { } error)
            {
                Log.ClaimRejected(logger, claims[i].ToString(), error);
                results[claims[i].Uid] = PrepareResult.Failure(error);
            }
            else
            {
                preparable.Add(fetched[i].Claim!);
            }
        }

        if (preparable.Count > 0)
        {
            IReadOnlyDictionary<string, PrepareResult> driverResults;
            using (await serializer.AcquireAsync(cancellationToken).ConfigureAwait(false))
            {
                driverResults = await CallDriverAsync(
                    () => driver.PrepareResourceClaimsAsync(preparable, cancellationToken), "NodePrepareResources").ConfigureAwait(false);
            }

            foreach (PreparableClaim claim in preparable)
            {
                results[claim.Uid] = driverResults.TryGetValue(claim.Uid, out PrepareResult? result) && result is not null
                    ? result
                    : PrepareResult.Failure($"driver {_driverName} returned no result for claim {claim.Reference}");
            }
        }

        foreach (ClaimReference claim in claims)
        {
            PrepareResult result = results[claim.Uid];
            metrics.RecordClaim("prepare", result.Succeeded);
            if (!result.Succeeded && preparable.Any(p => p.Uid == claim.Uid))
            {
                Log.ClaimFailed(logger, claim.ToString(), result.Error!);
            }
            else if (result.Succeeded && statusReporter is not null)
            {
                ReportStatus(statusReporter, claim, result);
            }
        }

        return results;
    }

    public async Task<IReadOnlyDictionary<string, UnprepareResult>> UnprepareAsync(
        IReadOnlyList<ClaimReference> requested, CancellationToken cancellationToken)
    {
        List<ClaimReference> claims = CheckRequest(requested, "NodeUnprepareResources");
        var results = new Dictionary<string, UnprepareResult>(claims.Count, StringComparer.Ordinal);
        if (claims.Count == 0)
        {
            return results;
        }

        IReadOnlyDictionary<string, UnprepareResult> driverResults;
        using (await serializer.AcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            driverResults = await CallDriverAsync(
                () => driver.UnprepareResourceClaimsAsync(claims, cancellationToken), "NodeUnprepareResources").ConfigureAwait(false);
        }

        foreach (ClaimReference claim in claims)
        {
            UnprepareResult result = driverResults.TryGetValue(claim.Uid, out UnprepareResult? r) && r is not null
                ? r
                : UnprepareResult.Failure($"driver {_driverName} returned no result for claim {claim}");
            results[claim.Uid] = result;
            metrics.RecordClaim("unprepare", result.Succeeded);
            if (result.Succeeded)
            {
                // Queued: the driver's entries leave the claim's status after the answer.
                statusReporter?.Clear(claim);
            }

            if (!result.Succeeded)
            {
                Log.ClaimFailed(logger, claim.ToString(), result.Error!);
            }
        }

        return results;
    }

    /// <summary>Queues the status the driver set on prepared devices; a status over the API's limits is logged, never a failed prepare.</summary>
    private void ReportStatus(ClaimStatusReporter reporter, ClaimReference claim, PrepareResult result)
    {
        foreach (PreparedDevice device in result.Devices)
        {
            if (device.Status is not { } status)
            {
                continue;
            }

            try
            {
                reporter.Report(claim, device.PoolName, device.DeviceName, status, device.ShareId);
            }
            catch (ArgumentException ex)
            {
                ClaimStatusReporter.LogNotWritten(logger, claim.ToString(), ex.Message);
            }
        }
    }

    /// <summary>Rejects a request that cannot be answered claim by claim; drops exact duplicates.</summary>
    private static List<ClaimReference> CheckRequest(IReadOnlyList<ClaimReference> claims, string method)
    {
        var unique = new List<ClaimReference>(claims.Count);
        var seen = new Dictionary<string, ClaimReference>(StringComparer.Ordinal);
        for (int i = 0; i < claims.Count; i++)
        {
            ClaimReference claim = claims[i];
            string? problem = string.IsNullOrEmpty(claim.Uid) ? "uid is empty"
                : string.IsNullOrEmpty(claim.Name) ? "name is empty"
                : string.IsNullOrEmpty(claim.Namespace) ? "namespace is empty"
                : null;
            if (problem is not null)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"{method}: claims[{i}]: {problem}"));
            }

            if (seen.TryGetValue(claim.Uid, out ClaimReference earlier))
            {
                if (earlier != claim)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument,
                        $"{method}: claims[{i}]: UID {claim.Uid} is given for both {earlier.Namespace}/{earlier.Name} and {claim.Namespace}/{claim.Name}"));
                }

                continue;
            }

            seen.Add(claim.Uid, claim);
            unique.Add(claim);
        }

        return unique;
    }

    private async Task<T> CallDriverAsync<T>(Func<Task<T>> call, string operation)
    {
        try
        {
            return await call().ConfigureAwait(false) ?? throw new InvalidOperationException("the driver returned null");
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (RpcException)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.DriverThrew(logger, ex, operation);
            throw new RpcException(new Status(StatusCode.Internal, $"{operation}: driver {_driverName} failed: {ex.Message}", ex));
        }
    }
}
