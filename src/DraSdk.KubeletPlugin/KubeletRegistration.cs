namespace DraSdk.KubeletPlugin;

/// <summary>Whether the kubelet has registered the driver.</summary>
public enum KubeletRegistrationState
{
    /// <summary>No kubelet has registered the driver since it started.</summary>
    NotRegistered,

    /// <summary>The kubelet registered the driver: it calls the DRA socket for this node's claims.</summary>
    Registered,

    /// <summary>The kubelet refused the registration (<see cref="KubeletRegistrationStatus.LastError"/> says why); it prepares nothing on this driver.</summary>
    Refused,
}

/// <summary>A snapshot of the driver's registration with the kubelet.</summary>
public sealed record KubeletRegistrationStatus
{
    /// <summary>The state.</summary>
    public KubeletRegistrationState State { get; init; }

    /// <summary>When the state took its value; for <see cref="KubeletRegistrationState.NotRegistered"/> at start, when the driver started.</summary>
    public DateTimeOffset Since { get; init; }

    /// <summary>When the kubelet last asked for the plugin info (<c>GetInfo</c>), the first step of each registration.</summary>
    public DateTimeOffset? LastGetInfo { get; init; }

    /// <summary>When the kubelet last reported a registration status (<c>NotifyRegistrationStatus</c>).</summary>
    public DateTimeOffset? LastReport { get; init; }

    /// <summary>The kubelet's error with its last refusal; null after a successful registration.</summary>
    public string? LastError { get; init; }

    /// <summary>
    /// Status reports ignored because they did not follow a <c>GetInfo</c> on the same connection, as the kubelet's
    /// registration always does (another local process, not the kubelet).
    /// </summary>
    public long IgnoredReports { get; init; }
}

/// <summary>
/// The driver's registration with the kubelet, as the kubelet reported it over the registration socket. Only the
/// kubelet's own registration cycle changes it: <c>GetInfo</c>, then <c>NotifyRegistrationStatus</c> on the same
/// connection. The ResourceSlice publisher publishes only while the driver is registered; readiness checks and
/// dashboards read it here or from the metric <c>drasdk.kubelet_plugin.registered</c>.
/// </summary>
public sealed class KubeletRegistration
{
    private const int MaxTrackedConnections = 16;

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, DateTimeOffset> _getInfoConnections = new(StringComparer.Ordinal);
    private TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private KubeletRegistrationStatus _status;

    /// <summary>Creates the registration state of a driver that starts now, not registered.</summary>
    /// <param name="timeProvider">The clock for <see cref="KubeletRegistrationStatus.Since"/> and the report times.</param>
    public KubeletRegistration(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _time = timeProvider;
        _status = new KubeletRegistrationStatus { State = KubeletRegistrationState.NotRegistered, Since = timeProvider.GetUtcNow() };
    }

    /// <summary>Raised after every change of <see cref="Status"/> (outside any lock), with the new status.</summary>
    public event EventHandler<KubeletRegistrationStatus>? Changed;

    /// <summary>The current status.</summary>
    public KubeletRegistrationStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    /// <summary>Whether the kubelet registered the driver.</summary>
    public bool IsRegistered => Status.State == KubeletRegistrationState.Registered;

    /// <summary>Completes when the driver is registered (at once if it is).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task WaitForRegistrationAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return _registered.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Completes at the next change of the state (not of report times alone).</summary>
    internal Task WaitForStateChangeAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _changed.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Records a <c>GetInfo</c> on connection <paramref name="connectionId"/>.</summary>
    internal void RecordGetInfo(string connectionId)
    {
        DateTimeOffset now = _time.GetUtcNow();
        KubeletRegistrationStatus status;
        lock (_gate)
        {
            if (_getInfoConnections.Count >= MaxTrackedConnections && !_getInfoConnections.ContainsKey(connectionId))
            {
                _getInfoConnections.Remove(_getInfoConnections.MinBy(c => c.Value).Key);
            }

            _getInfoConnections[connectionId] = now;
            _status = _status with { LastGetInfo = now };
            status = _status;
        }

        Changed?.Invoke(this, status);
    }

    /// <summary>
    /// Records a <c>NotifyRegistrationStatus</c> on connection <paramref name="connectionId"/>; false (and nothing
    /// changes but <see cref="KubeletRegistrationStatus.IgnoredReports"/>) when that connection did not call GetInfo first.
    /// </summary>
    internal bool TryRecordReport(string connectionId, bool registered, string? error)
    {
        DateTimeOffset now = _time.GetUtcNow();
        KubeletRegistrationStatus status;
        bool accepted;
        TaskCompletionSource? changed = null;
        lock (_gate)
        {
            accepted = _getInfoConnections.Remove(connectionId);
            if (!accepted)
            {
                _status = _status with { IgnoredReports = _status.IgnoredReports + 1 };
            }
            else
            {
                KubeletRegistrationState state = registered ? KubeletRegistrationState.Registered : KubeletRegistrationState.Refused;
                KubeletRegistrationState previous = _status.State;
                _status = _status with
                {
                    State = state,
                    Since = state == _status.State ? _status.Since : now,
                    LastReport = now,
                    LastError = registered ? null : (string.IsNullOrEmpty(error) ? "(no error given)" : error),
                };
                if (registered)
                {
                    _registered.TrySetResult();
                }
                else if (_registered.Task.IsCompleted)
                {
                    _registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                if (state != previous)
                {
                    changed = _changed;
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            status = _status;
        }

        changed?.TrySetResult();
        Changed?.Invoke(this, status);
        return accepted;
    }
}
