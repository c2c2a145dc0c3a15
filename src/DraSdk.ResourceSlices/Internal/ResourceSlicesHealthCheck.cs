using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>
/// Readiness (<c>/readyz</c>), never liveness: not ready while the API server refuses a pool (or the list and watch of
/// the driver's slices) for good, since then the node's devices are not advertised and restarting would not help, but a
/// rollout should stop. An unreachable API server is not a reason: it is retried and the driver keeps preparing.
/// </summary>
internal sealed class ResourceSlicesHealthCheck(ResourceSlicePublisher publisher) : IHealthCheck
{
    public const string Name = "resourceslices";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        IReadOnlyDictionary<string, string> refused = publisher.Status.PermanentErrors;
        if (refused.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy());
        }

        string detail = string.Join("; ", refused.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key.Length == 0 ? $"list and watch: {p.Value}" : $"pool {p.Key}: {p.Value}"));
        return Task.FromResult(HealthCheckResult.Unhealthy($"the API server refuses ResourceSlices of this driver: {detail}"));
    }
}
