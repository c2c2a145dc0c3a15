using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using DraSdk.KubeletPlugin;
using DraSdk.ResourceSlices.Internal.Informer;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>Where a publisher's slices live: its driver and, for node-local pools, its node.</summary>
/// <param name="DriverName">The driver.</param>
/// <param name="NodeName">The node of a node-local publisher; null for network-attached pools.</param>
internal sealed record PublisherScope(string DriverName, string? NodeName)
{
    public string FieldSelector => $"spec.driver={DriverName},spec.nodeName={NodeName}";

    public bool Contains(V1ResourceSlice slice) =>
        slice.Spec is not null && slice.Spec.Driver == DriverName && (NodeName is null ? string.IsNullOrEmpty(slice.Spec.NodeName) : slice.Spec.NodeName == NodeName);
}

/// <summary>
/// The reconciling controller behind both publishers: it holds the desired state, watches the scope's slices with an
/// <see cref="Informer{T}"/>, and syncs pool by pool from a rate-limited <see cref="WorkQueue"/> with one worker.
/// <see cref="RunAsync"/> may run several times in a row (a leader that loses and regains its lease).
/// </summary>
internal sealed class PublisherEngine
{
    /// <summary>How often a pool sync re-reads a conflicting slice and tries again at once before it counts as a failure.</summary>
    internal const int MaxConflictAttempts = 5;

    private const string ErrorContext = "publishing ResourceSlices";

    private readonly ResourceSliceApi _api;
    private readonly PublisherScope _scope;
    private readonly ResourceSlicePublisherOptions _options;
    private readonly Func<CancellationToken, Task<V1OwnerReference?>> _owner;
    private readonly DriverErrorReporter _errors;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResourceSliceMetrics _metrics;
    private readonly string _fieldManager;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _hasDesired = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(long Version, TaskCompletionSource Done)> _waiters = [];
    private readonly Dictionary<string, long> _poolSynced = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _generations = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reportedDrops = new(StringComparer.Ordinal);

    /// <summary>What was last written to a slice (by uid) and what the API server answered, so that server-side changes (defaults, dropped fields) do not cause a write every sync.</summary>
    private readonly Dictionary<string, (JsonNode Sent, JsonNode Returned)> _written = new(StringComparer.Ordinal);

    /// <summary>The normalized content of cached slices, by uid and resourceVersion.</summary>
    private readonly Dictionary<string, (string? ResourceVersion, JsonNode Content)> _contents = new(StringComparer.Ordinal);

    private DesiredState? _desired;
    private long _lastVersion;
    private long _publishedVersion;
    private bool _stopped;
    private WorkQueue? _queue;
    private ResourceSlicePublisherStatus _status = new();
    private long _created;
    private long _updated;
    private long _deleted;

    public PublisherEngine(
        IKubernetes client,
        PublisherScope scope,
        ResourceSlicePublisherOptions options,
        Func<CancellationToken, Task<V1OwnerReference?>> owner,
        DriverErrorReporter errors,
        TimeProvider time,
        ILogger logger,
        ResourceSliceMetrics metrics)
    {
        _api = new ResourceSliceApi(client);
        _scope = scope;
        _options = options;
        _owner = owner;
        _errors = errors;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _fieldManager = options.FieldManager ?? scope.DriverName;
    }

    public PublisherScope Scope => _scope;

    public ResourceSlicePublisherStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status with
                {
                    SlicesCreated = Interlocked.Read(ref _created),
                    SlicesUpdated = Interlocked.Read(ref _updated),
                    SlicesDeleted = Interlocked.Read(ref _deleted),
                };
            }
        }
    }

    /// <summary>Validates and sets the desired resources; returns their version.</summary>
    public long Enqueue(DriverResources resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        long version = Interlocked.Increment(ref _lastVersion);
        DesiredState state = DesiredState.Create(resources, _scope.DriverName, _scope.NodeName, version, _options.ListTypeAttributes);
        WorkQueue? queue;
        IEnumerable<string> pools;
        lock (_gate)
        {
            // Versions can be taken out of order by racing callers; the later one wins.
            if (_desired is not null && _desired.Version > state.Version)
            {
                return version;
            }

            pools = (_desired?.Pools.Keys ?? []).Concat(state.Pools.Keys).Distinct(StringComparer.Ordinal).ToList();
            _desired = state;
            _status = _status with { IsUpToDate = false };
            queue = _queue;
        }

        _hasDesired.TrySetResult();
        foreach (string pool in pools)
        {
            queue?.Add(pool);
        }

        return version;
    }

    /// <summary>Waits until <paramref name="version"/> (or a later one) is published.</summary>
    public Task WaitAsync(long version, CancellationToken cancellationToken)
    {
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

    /// <summary>Fails every waiter: the publisher stopped.</summary>
    public void Stop()
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

    /// <summary>Waits for the first desired state, then watches and syncs until <paramref name="cancellationToken"/> ends.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Nothing is read or written before the driver said what to publish.
        await _hasDesired.Task.WaitAsync(cancellationToken).ConfigureAwait(false);

        using var queue = new WorkQueue(_time, _options.InitialBackoff, _options.MaxBackoff, _options.RetryQueriesPerSecond, _options.RetryBurst);
        var informer = new Informer<V1ResourceSlice>(
            ListAsync,
            Watch,
            _scope.Contains,
            _time,
            _logger,
            new InformerOptions(_options.InitialBackoff, _options.MaxBackoff) { PermanentRetryInterval = _options.PermanentErrorRetryInterval })
        {
            Changed = (old, current) =>
            {
                foreach (string? pool in (string?[])[old?.Spec?.Pool?.Name, current?.Spec?.Pool?.Name])
                {
                    if (pool is not null)
                    {
                        queue.AddAfter(pool, _options.SyncDelay);
                    }
                }
            },
            Failed = failure =>
            {
                Exception ex = failure.Error;
                string what = failure.Operation == "list" ? "Listing ResourceSlices" : "Watching ResourceSlices";
                Exception error = new InvalidOperationException(ApiErrors.Describe(what, ex), ex);
                RecordFailure(error);
                if (ApiErrors.IsPermanent(ex))
                {
                    // 403 (RBAC) or 404 (API version not served): logged once per message, retried slowly.
                    _metrics.Error(_scope.DriverName, "permanent");
                    if (RecordPermanent(string.Empty, long.MaxValue, error))
                    {
                        Log.PermanentWatchError(_logger, error.Message, _options.PermanentErrorRetryInterval);
                    }

                    return;
                }

                _metrics.Error(_scope.DriverName, "watch");
                _errors.ReportRecoverable(error, ErrorContext, failure.Attempt, failure.RetryDelay);
            },
        };

        lock (_gate)
        {
            _queue = queue;
            foreach (string pool in _desired!.Pools.Keys)
            {
                queue.Add(pool);
            }
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task watching = informer.RunAsync(stop.Token);
        Task resync = ResyncAsync(queue, informer, stop.Token);
        try
        {
            await WorkAsync(queue, informer, stop.Token).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _queue = null;
            }

            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(watching, resync).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Deletes every slice of the scope, retrying with backoff until that succeeds or <paramref name="cancellationToken"/>
    /// ends it; used when the devices can no longer be prepared (the kubelet refused the driver). The desired state is
    /// kept, so a later <see cref="RunAsync"/> publishes it again.
    /// </summary>
    public async Task WithdrawAsync(string reason, CancellationToken cancellationToken)
    {
        TimeSpan backoff = _options.InitialBackoff;
        int attempt = 0;
        while (true)
        {
            try
            {
                var slices = new List<V1ResourceSlice>();
                string? next = null;
                do
                {
                    ListPage<V1ResourceSlice> page = await ListAsync(next, cancellationToken).ConfigureAwait(false);
                    slices.AddRange(page.Items.Where(_scope.Contains));
                    next = page.Continue;
                }
                while (!string.IsNullOrEmpty(next));

                foreach (V1ResourceSlice slice in slices)
                {
                    try
                    {
                        await _api.DeleteAsync(
                            slice.Metadata.Name,
                            new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = slice.Metadata.Uid } },
                            cancellationToken).ConfigureAwait(false);
                        Interlocked.Increment(ref _deleted);
                        _metrics.Deleted(_scope.DriverName);
                        Log.Deleted(_logger, slice.Metadata.Name, slice.Spec.Pool?.Name ?? string.Empty, reason);
                    }
                    catch (HttpOperationException ex) when (ApiErrors.IsStatus(ex, HttpStatusCode.NotFound) || ApiErrors.IsStatus(ex, HttpStatusCode.Conflict))
                    {
                        // Gone already, or replaced by someone else's slice of the same name: not ours to delete.
                    }
                }

                lock (_gate)
                {
                    _generations.Clear();
                    _status = _status with { IsUpToDate = false };
                }

                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
            {
                var error = new InvalidOperationException(ApiErrors.Describe("Withdrawing the ResourceSlices", ex), ex);
                RecordFailure(error);
                _metrics.Error(_scope.DriverName, "withdraw");
                _errors.ReportRecoverable(error, ErrorContext, ++attempt, backoff);
                await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
            }
        }
    }

    private async Task WorkAsync(WorkQueue queue, Informer<V1ResourceSlice> informer, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            string pool;
            try
            {
                pool = await queue.TakeAsync(cancellationToken).ConfigureAwait(false);
                await informer.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            DesiredState desired;
            lock (_gate)
            {
                desired = _desired!;
            }

            long started = _time.GetTimestamp();
            try
            {
                await SyncPoolWithRetriesAsync(pool, desired, informer, cancellationToken).ConfigureAwait(false);
                queue.Forget(pool);
                _metrics.Synced(_scope.DriverName, _time.GetElapsedTime(started), success: true);
                RecordSuccess(pool, desired, informer);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ApiErrors.IsPermanent(ex))
            {
                // 422, 403, 404: the same write would be refused again. Reported once, retried slowly or when the
                // devices change; other pools keep publishing.
                _metrics.Synced(_scope.DriverName, _time.GetElapsedTime(started), success: false);
                _metrics.Error(_scope.DriverName, "permanent");
                var error = new InvalidOperationException(ApiErrors.Describe($"Publishing the ResourceSlices of pool '{pool}'", ex), ex);
                RecordFailure(error);
                if (RecordPermanent(pool, desired.Version, error))
                {
                    Log.PermanentError(_logger, pool, error.Message, _options.PermanentErrorRetryInterval);
                }

                queue.AddAfter(pool, _options.PermanentErrorRetryInterval);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                _metrics.Synced(_scope.DriverName, _time.GetElapsedTime(started), success: false);
                _metrics.Error(_scope.DriverName, "sync");
                var error = new InvalidOperationException(ApiErrors.Describe($"Publishing the ResourceSlices of pool '{pool}'", ex), ex);
                int failures = RecordFailure(error);
                TimeSpan delay = queue.AddRateLimited(pool);
                _errors.ReportRecoverable(error, ErrorContext, failures, delay);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                queue.Done(pool);
            }
        }
    }

    private async Task ResyncAsync(WorkQueue queue, Informer<V1ResourceSlice> informer, CancellationToken cancellationToken)
    {
        if (_options.ResyncInterval == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_options.ResyncInterval, _time, cancellationToken).ConfigureAwait(false);
                IEnumerable<string> pools;
                lock (_gate)
                {
                    pools = [.. _desired!.Pools.Keys];
                }

                foreach (string pool in pools.Concat(informer.List().Select(s => s.Spec.Pool?.Name ?? string.Empty)).Distinct(StringComparer.Ordinal))
                {
                    queue.Add(pool);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task SyncPoolWithRetriesAsync(string pool, DesiredState desired, Informer<V1ResourceSlice> informer, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await SyncPoolAsync(pool, desired, informer, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ConflictException conflict) when (attempt < MaxConflictAttempts)
            {
                Log.Conflict(_logger, pool, attempt, ApiErrors.Describe("Writing a ResourceSlice", conflict.InnerException!));
                await RefreshAsync(conflict.Slice, informer, cancellationToken).ConfigureAwait(false);
            }
            catch (ConflictException conflict)
            {
                throw conflict.InnerException!;
            }
        }
    }

    /// <summary>Reads a slice again after a conflict, so that the next attempt starts from what the server has.</summary>
    private async Task RefreshAsync(V1ResourceSlice slice, Informer<V1ResourceSlice> informer, CancellationToken cancellationToken)
    {
        try
        {
            V1ResourceSlice fresh = await _api.ReadAsync(slice.Metadata.Name, cancellationToken).ConfigureAwait(false);
            if (fresh.Metadata.Uid == slice.Metadata.Uid)
            {
                informer.Mutated(fresh);
            }
            else
            {
                informer.Deleted(slice);
            }
        }
        catch (HttpOperationException ex) when (ApiErrors.IsStatus(ex, HttpStatusCode.NotFound))
        {
            informer.Deleted(slice);
        }
    }

    /// <summary>Brings one pool's slices in line with the desired state.</summary>
    private async Task SyncPoolAsync(string poolName, DesiredState desired, Informer<V1ResourceSlice> informer, CancellationToken cancellationToken)
    {
        List<V1ResourceSlice> slices = informer.List(s => (s.Spec.Pool?.Name ?? string.Empty) == poolName);
        slices.Sort((a, b) => string.CompareOrdinal(a.Metadata.Name, b.Metadata.Name));
        ForgetStale(informer);

        if (!desired.Pools.TryGetValue(poolName, out DesiredPool? pool))
        {
            // A pool the driver no longer publishes.
            foreach (V1ResourceSlice slice in slices)
            {
                await DeleteAsync(slice, poolName, "pool no longer published", informer, cancellationToken).ConfigureAwait(false);
            }

            lock (_gate)
            {
                _generations.Remove(poolName);
            }

            return;
        }

        V1OwnerReference? owner = await _owner(cancellationToken).ConfigureAwait(false);
        SyncPlan plan = Plan(pool, slices, owner);
        Log.Planned(_logger, poolName, plan.Generation, plan.Obsolete.Count, plan.Updates.Count, plan.Creates.Count);

        // Obsolete slices go first, so that consumers never see two slices with the same index at the new generation.
        foreach ((V1ResourceSlice slice, string reason) in plan.Obsolete)
        {
            await DeleteAsync(slice, poolName, reason, informer, cancellationToken).ConfigureAwait(false);
        }

        int count = pool.Slices.Count;
        foreach ((int index, V1ResourceSlice slice) in plan.Updates)
        {
            await UpdateAsync(slice, pool, index, plan.Generation, owner, informer, cancellationToken).ConfigureAwait(false);
        }

        foreach (int index in plan.Creates)
        {
            await CreateAsync(pool, index, plan.Generation, owner, informer, cancellationToken).ConfigureAwait(false);
        }

        lock (_gate)
        {
            _generations[poolName] = Math.Max(_generations.GetValueOrDefault(poolName), plan.Generation);
        }

        Log.PoolPublished(_logger, poolName, plan.Generation, count);
    }

    private SyncPlan Plan(DesiredPool pool, List<V1ResourceSlice> slices, V1OwnerReference? owner)
    {
        int count = pool.Slices.Count;
        long maxGeneration = slices.Count == 0 ? 0 : slices.Max(s => s.Spec.Pool?.Generation ?? 0);
        var obsolete = new List<(V1ResourceSlice, string)>();
        var byIndex = new V1ResourceSlice?[count];
        foreach (V1ResourceSlice slice in slices)
        {
            int? index = SliceNames.IndexOf(slice.Metadata.Name);
            if ((slice.Spec.Pool?.Generation ?? 0) < maxGeneration)
            {
                obsolete.Add((slice, "older generation"));
            }
            else if (index is not { } i)
            {
                obsolete.Add((slice, "name without a slice index"));
            }
            else if (i >= count)
            {
                obsolete.Add((slice, "slice index beyond the pool's slices"));
            }
            else if (byIndex[i] is null)
            {
                byIndex[i] = slice;
            }
            else if (!ContentMatches(byIndex[i]!, pool.Slices[i]) && ContentMatches(slice, pool.Slices[i]))
            {
                // Keep the duplicate that already has the right content.
                obsolete.Add((byIndex[i]!, "duplicate slice index"));
                byIndex[i] = slice;
            }
            else
            {
                obsolete.Add((slice, "duplicate slice index"));
            }
        }

        var changed = new List<int>();
        var missing = new List<int>();
        for (int i = 0; i < count; i++)
        {
            if (byIndex[i] is not { } slice)
            {
                missing.Add(i);
            }
            else if (slice.Spec.Pool?.ResourceSliceCount != count || !HasOwner(slice, owner) || !ContentMatches(slice, pool.Slices[i]))
            {
                changed.Add(i);
            }
        }

        // The generation stays when at most one existing slice changes (one write is atomic for consumers); new slices
        // or several changes publish a new generation, written to every slice. The driver may ask for a higher one.
        long generation = maxGeneration;
        if (pool.MinGeneration > generation)
        {
            generation = pool.MinGeneration;
        }
        else if (missing.Count > 0 || changed.Count > 1)
        {
            long remembered;
            lock (_gate)
            {
                remembered = _generations.GetValueOrDefault(pool.Name);
            }

            generation = Math.Max(maxGeneration, remembered) + 1;
        }

        var updates = new List<(int, V1ResourceSlice)>();
        for (int i = 0; i < count; i++)
        {
            if (byIndex[i] is { } slice && (changed.Contains(i) || (slice.Spec.Pool?.Generation ?? 0) != generation))
            {
                updates.Add((i, slice));
            }
        }

        return new SyncPlan(generation, obsolete, updates, missing);
    }

    private bool ContentMatches(V1ResourceSlice slice, DesiredSlice desired)
    {
        JsonNode content = ContentOf(slice);
        if (SliceContent.AreEqual(SliceContent.WithServerDefaults(desired.Content, content), content))
        {
            return true;
        }

        // What the server made of exactly what was last written (defaults, dropped fields) counts as equal too.
        lock (_gate)
        {
            return slice.Metadata.Uid is { } uid
                && _written.TryGetValue(uid, out (JsonNode Sent, JsonNode Returned) written)
                && SliceContent.AreEqual(written.Sent, desired.Content)
                && SliceContent.AreEqual(written.Returned, content);
        }
    }

    private JsonNode ContentOf(V1ResourceSlice slice)
    {
        string uid = slice.Metadata.Uid ?? string.Empty;
        lock (_gate)
        {
            if (_contents.TryGetValue(uid, out (string? ResourceVersion, JsonNode Content) cached) && cached.ResourceVersion == slice.Metadata.ResourceVersion)
            {
                return cached.Content;
            }
        }

        JsonNode content = SliceContent.Of(slice.Spec);
        lock (_gate)
        {
            _contents[uid] = (slice.Metadata.ResourceVersion, content);
        }

        return content;
    }

    private static bool HasOwner(V1ResourceSlice slice, V1OwnerReference? owner) =>
        owner is null || slice.Metadata.OwnerReferences?.Any(r => r.Controller == true && r.Uid == owner.Uid && r.Kind == owner.Kind && r.Name == owner.Name) == true;

    private async Task DeleteAsync(V1ResourceSlice slice, string pool, string reason, Informer<V1ResourceSlice> informer, CancellationToken cancellationToken)
    {
        try
        {
            // Preconditions: never delete a slice that changed since it was read.
            await _api.DeleteAsync(
                slice.Metadata.Name,
                new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = slice.Metadata.Uid, ResourceVersion = slice.Metadata.ResourceVersion } },
                cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _deleted);
            _metrics.Deleted(_scope.DriverName);
            Log.Deleted(_logger, slice.Metadata.Name, pool, reason);
        }
        catch (HttpOperationException ex) when (ApiErrors.IsStatus(ex, HttpStatusCode.NotFound))
        {
            // Already gone.
        }
        catch (HttpOperationException ex) when (ApiErrors.IsStatus(ex, HttpStatusCode.Conflict))
        {
            throw new ConflictException(slice, ex);
        }

        informer.Deleted(slice);
    }

    private async Task UpdateAsync(
        V1ResourceSlice slice, DesiredPool pool, int index, long generation, V1OwnerReference? owner, Informer<V1ResourceSlice> informer, CancellationToken cancellationToken)
    {
        DesiredSlice desired = pool.Slices[index];
        var body = new V1ResourceSlice
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceSlice",
            Metadata = slice.Metadata with { OwnerReferences = WithOwner(slice.Metadata.OwnerReferences, owner), ManagedFields = null },
            Spec = SpecFor(desired, pool.Name, generation, pool.Slices.Count),
        };
        V1ResourceSlice updated;
        try
        {
            updated = await _api.ReplaceAsync(body, slice.Metadata.Name, _fieldManager, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException ex) when (ApiErrors.IsStatus(ex, HttpStatusCode.Conflict) || ApiErrors.IsStatus(ex, HttpStatusCode.NotFound))
        {
            throw new ConflictException(slice, ex);
        }

        Written(updated, desired, pool.Name, informer);
        Interlocked.Increment(ref _updated);
        _metrics.Updated(_scope.DriverName);
        Log.Updated(_logger, updated.Metadata.Name, pool.Name, generation);
    }

    private async Task CreateAsync(DesiredPool pool, int index, long generation, V1OwnerReference? owner, Informer<V1ResourceSlice> informer, CancellationToken cancellationToken)
    {
        DesiredSlice desired = pool.Slices[index];
        var slice = new V1ResourceSlice
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceSlice",
            Metadata = new V1ObjectMeta
            {
                GenerateName = SliceNames.GenerateName(index, _scope.DriverName, owner?.Name ?? _scope.NodeName),
                OwnerReferences = owner is null ? null : [owner],
            },
            Spec = SpecFor(desired, pool.Name, generation, pool.Slices.Count),
        };
        V1ResourceSlice created = await _api.CreateAsync(slice, _fieldManager, cancellationToken).ConfigureAwait(false);
        Written(created, desired, pool.Name, informer);
        Interlocked.Increment(ref _created);
        _metrics.Created(_scope.DriverName);
        Log.Created(_logger, created.Metadata.Name, pool.Name, generation);
    }

    private static V1ResourceSliceSpec SpecFor(DesiredSlice desired, string pool, long generation, int count) =>
        desired.Spec with { Pool = new V1ResourcePool { Name = pool, Generation = generation, ResourceSliceCount = count } };

    private static List<V1OwnerReference>? WithOwner(IList<V1OwnerReference>? references, V1OwnerReference? owner) =>
        owner is null ? references?.ToList() : [.. (references ?? []).Where(r => r.Controller != true && r.Uid != owner.Uid), owner];

    /// <summary>Records the server's answer to a write and reports fields it dropped, once per pool and set of fields.</summary>
    private void Written(V1ResourceSlice written, DesiredSlice desired, string pool, Informer<V1ResourceSlice> informer)
    {
        informer.Mutated(written);
        JsonNode returned = SliceContent.Of(written.Spec);
        IReadOnlyList<string> dropped = SliceContent.MissingFields(desired.Content, returned);
        bool report;
        lock (_gate)
        {
            if (written.Metadata?.Uid is { } uid)
            {
                _written[uid] = (desired.Content, returned);
                _contents[uid] = (written.Metadata.ResourceVersion, returned);
            }

            report = dropped.Count > 0 && _reportedDrops.Add(pool + "\n" + string.Join(",", dropped));
        }

        if (report)
        {
            var error = new ResourceSliceDroppedFieldsException(pool, written.Metadata?.Name ?? string.Empty, dropped, FeatureGates.For(dropped));
            _metrics.Error(_scope.DriverName, "dropped_fields");
            _errors.ReportRecoverable(error, ErrorContext);
        }
    }

    private void ForgetStale(Informer<V1ResourceSlice> informer)
    {
        lock (_gate)
        {
            if (_written.Count + _contents.Count < 1024)
            {
                return;
            }
        }

        var live = informer.List().Select(s => s.Metadata.Uid).ToHashSet(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (string uid in _written.Keys.Where(uid => !live.Contains(uid)).ToList())
            {
                _written.Remove(uid);
            }

            foreach (string uid in _contents.Keys.Where(uid => !live.Contains(uid)).ToList())
            {
                _contents.Remove(uid);
            }
        }
    }

    private async Task<ListPage<V1ResourceSlice>> ListAsync(string? continueToken, CancellationToken cancellationToken)
    {
        V1ResourceSliceList page = await _api.ListAsync(_scope.FieldSelector, continueToken, 500, cancellationToken).ConfigureAwait(false);
        return new ListPage<V1ResourceSlice>(page.Items, page.Metadata?.ResourceVersion, page.Metadata?.ContinueProperty);
    }

    private IAsyncEnumerable<(WatchEventType, V1ResourceSlice)> Watch(string resourceVersion, int timeoutSeconds, Action<Exception> onError, CancellationToken cancellationToken) =>
        _api.Watch(_scope.FieldSelector, resourceVersion, timeoutSeconds, onError, cancellationToken);

    private void RecordSuccess(string pool, DesiredState desired, Informer<V1ResourceSlice> informer)
    {
        List<TaskCompletionSource> done = [];
        int previousFailures;
        HashSet<string> cachedPools = informer.List().Select(s => s.Spec.Pool?.Name ?? string.Empty).ToHashSet(StringComparer.Ordinal);
        lock (_gate)
        {
            _poolSynced[pool] = desired.Version;
            DesiredState current = _desired!;
            bool upToDate = current.Pools.Keys.All(p => _poolSynced.TryGetValue(p, out long v) && v >= current.Version)
                && cachedPools.All(current.Pools.ContainsKey);
            if (upToDate)
            {
                _publishedVersion = Math.Max(_publishedVersion, current.Version);
            }

            previousFailures = _status.ConsecutiveFailures;
            IReadOnlyDictionary<string, string> permanent = _status.PermanentErrors;
            // A pool synced: its own refusal is over, and so is any refusal of the list and watch it needed.
            if (permanent.ContainsKey(pool) || permanent.ContainsKey(string.Empty))
            {
                permanent = permanent.Where(e => e.Key != pool && e.Key.Length > 0).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
            }

            _status = _status with
            {
                PermanentErrors = permanent,
                IsUpToDate = upToDate,
                LastSuccessfulSync = _time.GetUtcNow(),
                LastError = upToDate ? null : _status.LastError,
                ConsecutiveFailures = upToDate ? 0 : _status.ConsecutiveFailures,
                PoolGenerations = current.Pools.Keys.Where(_generations.ContainsKey).ToDictionary(p => p, p => _generations[p], StringComparer.Ordinal),
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

        if (previousFailures > 0 && done.Count > 0)
        {
            Log.Recovered(_logger, _scope.DriverName, previousFailures);
        }

        foreach (TaskCompletionSource waiter in done)
        {
            waiter.TrySetResult();
        }
    }

    /// <summary>
    /// Records a permanent refusal of <paramref name="pool"/>: in the status, and for the waiters of this version or an
    /// earlier one, which fail with it. False when the same error was recorded for the pool already (logged once).
    /// </summary>
    private bool RecordPermanent(string pool, long version, Exception error)
    {
        List<TaskCompletionSource> failed = [];
        bool isNew;
        lock (_gate)
        {
            isNew = !_status.PermanentErrors.TryGetValue(pool, out string? known) || known != error.Message;
            _status = _status with { PermanentErrors = new Dictionary<string, string>(_status.PermanentErrors, StringComparer.Ordinal) { [pool] = error.Message } };
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Version <= version)
                {
                    failed.Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (TaskCompletionSource waiter in failed)
        {
            waiter.TrySetException(error);
        }

        return isNew;
    }

    private int RecordFailure(Exception error)
    {
        lock (_gate)
        {
            _status = _status with
            {
                IsUpToDate = false,
                LastError = error,
                LastErrorTime = _time.GetUtcNow(),
                ConsecutiveFailures = _status.ConsecutiveFailures + 1,
            };
            return _status.ConsecutiveFailures;
        }
    }

    private static ObjectDisposedException StoppedError() =>
        new(nameof(IResourceSlicePublisher), "The ResourceSlice publisher stopped before the resources were published.");

    private sealed record SyncPlan(long Generation, List<(V1ResourceSlice Slice, string Reason)> Obsolete, List<(int Index, V1ResourceSlice Slice)> Updates, List<int> Creates);

    /// <summary>A write lost against a newer version of a slice; the pool is synced again at once after re-reading it.</summary>
    private sealed class ConflictException(V1ResourceSlice slice, Exception inner) : Exception(inner.Message, inner)
    {
        public V1ResourceSlice Slice { get; } = slice;
    }
}
