using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace DraSdk.ResourceSlices.Internal.LeaderElection;

/// <summary>Settings of a <see cref="LeaseLeaderElector"/>.</summary>
internal sealed record LeaseSettings(string Namespace, string Name, string Identity, TimeSpan LeaseDuration, TimeSpan RenewDeadline, TimeSpan RetryPeriod);

/// <summary>
/// Leader election over a coordination.k8s.io/v1 Lease, as client-go's: a candidate takes the Lease when it is free,
/// its own, or not renewed for <c>LeaseDuration</c> as measured on this process's clock from when it last saw the Lease
/// change (so clock skew between nodes does not matter); the leader renews every <c>RetryPeriod</c> and steps down
/// when it could not renew for <c>RenewDeadline</c>. Writes use the Lease's resourceVersion, so two candidates cannot
/// both win. On shutdown the leader releases the Lease so that another replica takes over at once.
/// </summary>
internal sealed class LeaseLeaderElector
{
    private readonly IKubernetes _client;
    private readonly LeaseSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private string? _observedVersion;
    private DateTimeOffset _observedAt;
    private volatile bool _isLeader;

    public LeaseLeaderElector(IKubernetes client, LeaseSettings settings, TimeProvider time, ILogger logger)
    {
        _client = client;
        _settings = settings;
        _time = time;
        _logger = logger;
    }

    public bool IsLeader => _isLeader;

    /// <summary>Competes for the Lease until <paramref name="cancellationToken"/> ends; runs <paramref name="lead"/> while leading, cancelling it when leadership is lost.</summary>
    public async Task RunAsync(Func<CancellationToken, Task> lead, string driverName, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false))
            {
                await Task.Delay(_settings.RetryPeriod, _time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            _isLeader = true;
            Log.StartedLeading(_logger, _settings.Identity, _settings.Namespace, _settings.Name, driverName);
            using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task work = lead(leading.Token);
            try
            {
                DateTimeOffset lastRenew = _time.GetUtcNow();
                while (!cancellationToken.IsCancellationRequested && !work.IsCompleted)
                {
                    await Task.WhenAny(work, Task.Delay(_settings.RetryPeriod, _time, cancellationToken)).ConfigureAwait(false);
                    if (cancellationToken.IsCancellationRequested || work.IsCompleted)
                    {
                        break;
                    }

                    if (await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false))
                    {
                        lastRenew = _time.GetUtcNow();
                    }
                    else if (_time.GetUtcNow() - lastRenew >= _settings.RenewDeadline || !await StillOursAsync(cancellationToken).ConfigureAwait(false))
                    {
                        Log.StoppedLeading(_logger, _settings.Identity, _settings.Namespace, _settings.Name);
                        break;
                    }
                }
            }
            finally
            {
                _isLeader = false;
                await leading.CancelAsync().ConfigureAwait(false);
                try
                {
                    await work.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    await ReleaseAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        DateTime now = _time.GetUtcNow().UtcDateTime;
        int seconds = (int)Math.Ceiling(_settings.LeaseDuration.TotalSeconds);
        try
        {
            V1Lease lease;
            try
            {
                lease = await _client.CoordinationV1.ReadNamespacedLeaseAsync(_settings.Name, _settings.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException ex) when (ApiErrors.IsStatus(ex, HttpStatusCode.NotFound))
            {
                V1Lease created = await _client.CoordinationV1.CreateNamespacedLeaseAsync(
                    new V1Lease
                    {
                        ApiVersion = "coordination.k8s.io/v1",
                        Kind = "Lease",
                        Metadata = new V1ObjectMeta { Name = _settings.Name, NamespaceProperty = _settings.Namespace },
                        Spec = new V1LeaseSpec { HolderIdentity = _settings.Identity, LeaseDurationSeconds = seconds, AcquireTime = now, RenewTime = now, LeaseTransitions = 0 },
                    },
                    _settings.Namespace,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                Observe(created);
                return true;
            }

            Observe(lease);
            V1LeaseSpec spec = lease.Spec ?? new V1LeaseSpec();
            bool mine = spec.HolderIdentity == _settings.Identity;
            bool free = string.IsNullOrEmpty(spec.HolderIdentity);
            TimeSpan duration = spec.LeaseDurationSeconds is > 0 ? TimeSpan.FromSeconds(spec.LeaseDurationSeconds.Value) : _settings.LeaseDuration;
            if (!mine && !free && _time.GetUtcNow() < _observedAt + duration)
            {
                return false; // Held by another replica that renewed recently.
            }

            V1Lease updated = await _client.CoordinationV1.ReplaceNamespacedLeaseAsync(
                lease with
                {
                    Spec = spec with
                    {
                        HolderIdentity = _settings.Identity,
                        LeaseDurationSeconds = seconds,
                        RenewTime = now,
                        AcquireTime = mine ? spec.AcquireTime ?? now : now,
                        LeaseTransitions = mine ? spec.LeaseTransitions ?? 0 : (spec.LeaseTransitions ?? 0) + 1,
                    },
                },
                _settings.Name,
                _settings.Namespace,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            Observe(updated);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Log.LeaseFailed(_logger, _settings.Namespace, _settings.Name, ApiErrors.Describe("Acquiring or renewing the lease", ex));
            return false;
        }
    }

    /// <summary>After a failed renewal: whether the Lease still names this replica (a failed write of an unchanged Lease keeps leadership until the deadline).</summary>
    private async Task<bool> StillOursAsync(CancellationToken cancellationToken)
    {
        try
        {
            V1Lease lease = await _client.CoordinationV1.ReadNamespacedLeaseAsync(_settings.Name, _settings.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            return lease.Spec?.HolderIdentity == _settings.Identity;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Log.LeaseFailed(_logger, _settings.Namespace, _settings.Name, ApiErrors.Describe("Reading the lease", ex));
            return true;
        }
    }

    private async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            V1Lease lease = await _client.CoordinationV1.ReadNamespacedLeaseAsync(_settings.Name, _settings.Namespace, cancellationToken: timeout.Token).ConfigureAwait(false);
            if (lease.Spec?.HolderIdentity == _settings.Identity)
            {
                await _client.CoordinationV1.ReplaceNamespacedLeaseAsync(
                    lease with { Spec = lease.Spec with { HolderIdentity = null, LeaseDurationSeconds = 1, RenewTime = _time.GetUtcNow().UtcDateTime } },
                    _settings.Name,
                    _settings.Namespace,
                    cancellationToken: timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            Log.LeaseFailed(_logger, _settings.Namespace, _settings.Name, ApiErrors.Describe("Releasing the lease", ex));
        }
    }

    private void Observe(V1Lease lease)
    {
        if (lease.Metadata?.ResourceVersion != _observedVersion)
        {
            _observedVersion = lease.Metadata?.ResourceVersion;
            _observedAt = _time.GetUtcNow();
        }
    }
}
