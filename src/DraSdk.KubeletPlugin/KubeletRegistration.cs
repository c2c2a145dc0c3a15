namespace DraSdk.KubeletPlugin;

/// <summary>What the kubelet reported about this driver's registration (<c>NotifyRegistrationStatus</c>).</summary>
public sealed class KubeletRegistration
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the kubelet registered the driver; null until it reports.</summary>
    public bool? IsRegistered { get; private set; }

    /// <summary>The kubelet's error when registration failed.</summary>
    public string? Error { get; private set; }

    /// <summary>When the kubelet last reported.</summary>
    public DateTimeOffset? ReportedAt { get; private set; }

    /// <summary>Completes when the kubelet reports a successful registration.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task WaitForRegistrationAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return _registered.Task.WaitAsync(cancellationToken);
        }
    }

    internal void Record(bool registered, string? error, DateTimeOffset at)
    {
        lock (_gate)
        {
            IsRegistered = registered;
            Error = string.IsNullOrEmpty(error) ? null : error;
            ReportedAt = at;
            if (registered)
            {
                _registered.TrySetResult();
            }
            else if (_registered.Task.IsCompleted)
            {
                _registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }
}
