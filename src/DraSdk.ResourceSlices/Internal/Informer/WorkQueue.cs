namespace DraSdk.ResourceSlices.Internal.Informer;

/// <summary>
/// A queue of keys for one worker, as client-go's rate-limited work queue: a key is queued at most once, a key added
/// while it is being processed is processed again afterwards, adds can be delayed, and failed keys come back after a
/// per-key exponential backoff combined with a token bucket shared by all keys (whichever waits longer).
/// </summary>
internal sealed class WorkQueue : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<string> _ready = new();
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _processing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DateTimeOffset Due, ITimer Timer)> _waiting = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0);
    private readonly TimeProvider _time;
    private readonly TimeSpan _initialBackoff;
    private readonly TimeSpan _maxBackoff;
    private readonly TokenBucket _bucket;
    private bool _disposed;

    public WorkQueue(TimeProvider time, TimeSpan initialBackoff, TimeSpan maxBackoff, double queriesPerSecond, int burst)
    {
        _time = time;
        _initialBackoff = initialBackoff;
        _maxBackoff = maxBackoff;
        _bucket = new TokenBucket(time, queriesPerSecond, burst);
    }

    /// <summary>Queues <paramref name="key"/> now.</summary>
    public void Add(string key)
    {
        lock (_gate)
        {
            if (_disposed || !_dirty.Add(key))
            {
                return;
            }

            if (_waiting.Remove(key, out (DateTimeOffset Due, ITimer Timer) waiting))
            {
                waiting.Timer.Dispose();
            }

            if (_processing.Contains(key))
            {
                return; // Queued again when done.
            }

            _ready.Enqueue(key);
        }

        _signal.Release();
    }

    /// <summary>Queues <paramref name="key"/> after <paramref name="delay"/>, unless it is due earlier already.</summary>
    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        lock (_gate)
        {
            DateTimeOffset due = _time.GetUtcNow() + delay;
            if (_disposed || (_waiting.TryGetValue(key, out (DateTimeOffset Due, ITimer Timer) existing) && existing.Due <= due))
            {
                return;
            }

            existing.Timer?.Dispose();
            ITimer timer = _time.CreateTimer(_ => Fire(key), null, delay, Timeout.InfiniteTimeSpan);
            _waiting[key] = (due, timer);
        }
    }

    /// <summary>Queues a failed <paramref name="key"/> again after its backoff and the rate limit.</summary>
    /// <returns>The delay.</returns>
    public TimeSpan AddRateLimited(string key)
    {
        TimeSpan delay;
        lock (_gate)
        {
            int failures = _failures.GetValueOrDefault(key);
            _failures[key] = failures + 1;
            double ticks = _initialBackoff.Ticks * Math.Pow(2, Math.Min(failures, 62));
            TimeSpan backoff = ticks >= _maxBackoff.Ticks ? _maxBackoff : TimeSpan.FromTicks((long)ticks);
            TimeSpan limit = _bucket.Reserve();
            delay = backoff > limit ? backoff : limit;
        }

        AddAfter(key, delay);
        return delay;
    }

    /// <summary>Resets the backoff of <paramref name="key"/> after a success.</summary>
    public void Forget(string key)
    {
        lock (_gate)
        {
            _failures.Remove(key);
        }
    }

    /// <summary>Waits for the next key; call <see cref="Done"/> when it is processed.</summary>
    public async Task<string> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                if (_ready.TryDequeue(out string? key))
                {
                    _dirty.Remove(key);
                    _processing.Add(key);
                    return key;
                }
            }
        }
    }

    /// <summary>Ends processing of <paramref name="key"/>; if it was added meanwhile, it is queued again.</summary>
    public void Done(string key)
    {
        bool requeue;
        lock (_gate)
        {
            _processing.Remove(key);
            requeue = _dirty.Contains(key) && !_disposed;
            if (requeue)
            {
                _ready.Enqueue(key);
            }
        }

        if (requeue)
        {
            _signal.Release();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach ((_, ITimer timer) in _waiting.Values)
            {
                timer.Dispose();
            }

            _waiting.Clear();
        }

        _signal.Dispose();
    }

    private void Fire(string key)
    {
        lock (_gate)
        {
            if (!_waiting.Remove(key, out (DateTimeOffset Due, ITimer Timer) waiting))
            {
                return;
            }

            waiting.Timer.Dispose();
        }

        Add(key);
    }

    /// <summary>A token bucket: <c>burst</c> tokens, refilled at <c>queriesPerSecond</c>; a reservation returns how long to wait for its token.</summary>
    private sealed class TokenBucket(TimeProvider time, double queriesPerSecond, int burst)
    {
        private double _tokens = burst;
        private DateTimeOffset _last = time.GetUtcNow();

        public TimeSpan Reserve()
        {
            DateTimeOffset now = time.GetUtcNow();
            _tokens = Math.Min(burst, _tokens + ((now - _last).TotalSeconds * queriesPerSecond));
            _last = now;
            _tokens -= 1;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / queriesPerSecond);
        }
    }
}
