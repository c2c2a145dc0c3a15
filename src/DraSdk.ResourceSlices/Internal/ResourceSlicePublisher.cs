using System.Threading.Channels;
using DraSdk.KubeletPlugin;
using k8s;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>
/// The hosted service behind <see cref="IResourceSlicePublisher"/>: one background loop that syncs the latest
/// desired resources, again after every update, every resync interval, and after failures with exponential backoff.
/// </summary>
internal sealed class ResourceSlicePublisher : BackgroundService, IResourceSlicePublisher
{
    private const string ErrorContext = "publishing ResourceSlices";

    private readonly SliceSynchronizer _sync;
    private readonly DriverErrorReporter _errors;
    private readonly TimeProvider _time;
    private readonly ILogger<ResourceSlicePublisher> _logger;
    private readonly ResourceSlicePublisherOptions _options;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _gate = new();
    private readonly List<(long Version, TaskCompletionSource Done)> _waiters = [];
    private DesiredState? _desired;
    private long _lastVersion;
    private long _publishedVersion;
    private bool _stopped;
    private ResourceSlicePublisherStatus _status = new();

    public ResourceSlicePublisher(
        IKubernetes client,
        IOptions<DraDriverOptions> driverOptions,
        IOptions<ResourceSlicePublisherOptions> options,
        DriverErrorReporter errors,
        TimeProvider time,
        ILogger<ResourceSlicePublisher> logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(driverOptions);
        ArgumentNullException.ThrowIfNull(options);
        DraDriverOptions driver = driverOptions.Value;
        if (string.IsNullOrEmpty(driver.NodeName))
        {
            throw new InvalidOperationException(NodeNameRequiredValidator.Message);
        }

        if (string.IsNullOrEmpty(driver.DriverName))
        {
            throw new InvalidOperationException("DriverName is required to publish ResourceSlices (set DRIVER_NAME or DriverName in AddDraDriver).");
        }

        _options = options.Value;
        _errors = errors;
        _time = time;
        _logger = logger;
        _sync = new SliceSynchronizer(client, driver.DriverName, driver.NodeName, _options.FieldManager ?? driver.DriverName, logger);
    }

    public string NodeName => _sync.NodeName;

    public ResourceSlicePublisherStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status with { SlicesCreated = _sync.Created, SlicesUpdated = _sync.Updated, SlicesDeleted = _sync.Deleted };
            }
        }
    }

    public void Update(DriverResources resources) => _ = Enqueue(resources);

    public Task PublishAsync(DriverResources resources, CancellationToken cancellationToken = default)
    {
        long version = Enqueue(resources);
        lock (_gate)
        {
            if (_publishedVersion >= version)
            {
                return Task.CompletedTask;
            }

            if (_stopped)
            {
                return Task.FromException(StoppedError());
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((version, done));
            return done.Task.WaitAsync(cancellationToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // The slices stay: the next instance of the driver adopts them, and the node's deletion removes them.
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        FailWaiters();
    }

    public override void Dispose()
    {
        FailWaiters();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TimeSpan backoff = _options.InitialBackoff;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                DesiredState? desired;
                lock (_gate)
                {
                    desired = _desired;
                }

                if (desired is null)
                {
                    await WaitForWakeAsync(Timeout.InfiniteTimeSpan, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                // Updates that arrived up to now are all covered by this sync.
                while (_wake.Reader.TryRead(out _))
                {
                }

                lock (_gate)
                {
                    desired = _desired!;
                }

                Log.Syncing(_logger, _sync.DriverName, _sync.NodeName, desired.Version);
                IReadOnlyDictionary<string, long> generations;
                try
                {
                    generations = await _sync.SyncAsync(desired, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    var error = new InvalidOperationException(ApiErrors.Describe("Publishing ResourceSlices", ex), ex);
                    int failures = RecordFailure(error);
                    _errors.ReportRecoverable(error, ErrorContext);
                    Log.RetryScheduled(_logger, backoff, failures);
                    await Task.Delay(backoff, _time, stoppingToken).ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
                    continue;
                }

                backoff = _options.InitialBackoff;
                RecordSuccess(desired.Version, generations);
                await WaitForWakeAsync(_options.ResyncInterval, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping; the slices stay.
        }
        finally
        {
            FailWaiters();
        }
    }

    private long Enqueue(DriverResources resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        long version = Interlocked.Increment(ref _lastVersion);
        DesiredState state = DesiredState.Create(resources, _sync.DriverName, _sync.NodeName, version);
        lock (_gate)
        {
            // Versions can be taken out of order by racing callers; the later one wins.
            if (_desired is null || _desired.Version < state.Version)
            {
                _desired = state;
                _status = _status with { IsUpToDate = false };
            }
        }

        _wake.Writer.TryWrite(true);
        return version;
    }

    private async Task WaitForWakeAsync(TimeSpan timeout, CancellationToken stoppingToken)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            await _wake.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false);
            return;
        }

        using var timer = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timer.Token);
        try
        {
            await _wake.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // Resync.
        }
    }

    private void RecordSuccess(long version, IReadOnlyDictionary<string, long> generations)
    {
        List<TaskCompletionSource> done = [];
        int previousFailures;
        lock (_gate)
        {
            previousFailures = _status.ConsecutiveFailures;
            _publishedVersion = Math.Max(_publishedVersion, version);
            _status = _status with
            {
                IsUpToDate = _desired?.Version == _publishedVersion,
                LastSuccessfulSync = _time.GetUtcNow(),
                LastError = null,
                ConsecutiveFailures = 0,
                PoolGenerations = new Dictionary<string, long>(generations, StringComparer.Ordinal),
            };
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Version <= _publishedVersion)
                {
                    done.Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        if (previousFailures > 0)
        {
            Log.Recovered(_logger, _sync.DriverName, _sync.NodeName, previousFailures);
        }

        foreach (TaskCompletionSource waiter in done)
        {
            waiter.TrySetResult();
        }
    }

    private int RecordFailure(Exception error)
    {
        lock (_gate)
        {
            _status = _status with
            {
                LastError = error,
                LastErrorTime = _time.GetUtcNow(),
                ConsecutiveFailures = _status.ConsecutiveFailures + 1,
            };
            return _status.ConsecutiveFailures;
        }
    }

    private void FailWaiters()
    {
        List<(long Version, TaskCompletionSource Done)> waiters;
        lock (_gate)
        {
            _stopped = true;
            waiters = [.. _waiters];
            _waiters.Clear();
        }

        foreach ((_, TaskCompletionSource done) in waiters)
        {
            done.TrySetException(StoppedError());
        }
    }

    private static ObjectDisposedException StoppedError() =>
        new(nameof(IResourceSlicePublisher), "The ResourceSlice publisher stopped before the resources were published.");
}
