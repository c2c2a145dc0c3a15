using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace DraSdk.ResourceSlices.Internal.Informer;

/// <summary>One page of a list: the items, the list's resourceVersion and the continue token.</summary>
internal sealed record ListPage<T>(IList<T> Items, string? ResourceVersion, string? Continue);

/// <summary>A failed list or watch: the error, which operation, the how-manieth failure in a row, and the wait before the next try.</summary>
internal readonly record struct InformerFailure(Exception Error, string Operation, int Attempt, TimeSpan RetryDelay);

/// <summary>Timing of an <see cref="Informer{T}"/>.</summary>
internal sealed record InformerOptions(TimeSpan InitialBackoff, TimeSpan MaxBackoff)
{
    /// <summary>The <c>timeoutSeconds</c> of each watch; the stream is then opened again from the last resourceVersion.</summary>
    public int WatchTimeoutSeconds { get; init; } = 300;

    /// <summary>The wait after a list or watch the API server refused for good (403, 404): no fast retries.</summary>
    public TimeSpan PermanentRetryInterval { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// A small informer for one kind of object, for KubernetesClient, which has none: it lists (in pages), watches from the
/// list's resourceVersion with bookmarks, watches again from the last resourceVersion or bookmark when a stream ends
/// (quietly, on a timeout or cut connection, or with KubernetesClient's <see cref="HttpRequestException"/> when an idle
/// stream ends before its first line), lists again on <c>410 Gone</c> (which KubernetesClient reports through
/// <c>onError</c> before ending quietly), and backs off exponentially on errors. It keeps a cache that the owner's own
/// writes can update at once (<see cref="Mutated"/>, <see cref="Deleted"/>), so that a sync right after a write does
/// not see stale objects; older watch events never overwrite newer cached objects.
/// </summary>
/// <typeparam name="T">The object type.</typeparam>
internal sealed partial class Informer<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Func<string?, CancellationToken, Task<ListPage<T>>> _list;
    private readonly Func<string, int, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> _watch;
    private readonly Func<T, bool> _filter;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly InformerOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly HashSet<string> _tombstones = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _resourceVersion;

    /// <summary>Creates the informer.</summary>
    /// <param name="list">Lists one page from a continue token (null for the first).</param>
    /// <param name="watch">Watches from a resourceVersion with a timeout, reporting ERROR events to the callback.</param>
    /// <param name="filter">Objects to keep; others count as absent (a client-side filter on top of the server's selectors).</param>
    /// <param name="time">The clock for backoff.</param>
    /// <param name="logger">Where to log.</param>
    /// <param name="options">Timing.</param>
    public Informer(
        Func<string?, CancellationToken, Task<ListPage<T>>> list,
        Func<string, int, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> watch,
        Func<T, bool> filter,
        TimeProvider time,
        ILogger logger,
        InformerOptions options)
    {
        _list = list;
        _watch = watch;
        _filter = filter;
        _time = time;
        _logger = logger;
        _options = options;
    }

    /// <summary>Called for every change to the cache from the API server (not for <see cref="Mutated"/>/<see cref="Deleted"/>): old and new object, either may be null.</summary>
    public Action<T?, T?>? Changed { get; set; }

    /// <summary>Called with every list or watch failure before the informer backs off and retries.</summary>
    public Action<InformerFailure>? Failed { get; set; }

    /// <summary>Whether the first list completed.</summary>
    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>Lists, watches and keeps the cache current until <paramref name="cancellationToken"/> ends.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        TimeSpan backoff = _options.InitialBackoff;
        int failures = 0;
        bool needList = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (needList)
                {
                    await ListAsync(cancellationToken).ConfigureAwait(false);
                    needList = false;
                    backoff = _options.InitialBackoff;
                    failures = 0;
                }

                (bool gone, int events) = await WatchAsync(cancellationToken).ConfigureAwait(false);
                if (gone)
                {
                    Log.WatchExpired(_logger, typeof(T).Name, _resourceVersion ?? string.Empty);
                    needList = true;
                    continue;
                }

                if (events > 0)
                {
                    backoff = _options.InitialBackoff;
                    failures = 0;
                }
                else
                {
                    // A stream that ends at once without anything: do not spin.
                    await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                    backoff = Next(backoff);
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                if (IsGone(ex))
                {
                    needList = true;
                    continue;
                }

                TimeSpan delay = DraSdk.ResourceSlices.Internal.ApiErrors.IsPermanent(ex) ? _options.PermanentRetryInterval : backoff;
                string operation = needList ? "list" : "watch";
                Log.InformerFailed(_logger, typeof(T).Name, operation, delay, ex.Message);
                Failed?.Invoke(new InformerFailure(ex, operation, ++failures, delay));
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                backoff = Next(backoff);
            }
        }
    }

    /// <summary>Waits until the first list completed.</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>The cached objects that match <paramref name="predicate"/>.</summary>
    public List<T> List(Func<T, bool>? predicate = null)
    {
        lock (_gate)
        {
            return predicate is null ? [.. _items.Values] : [.. _items.Values.Where(predicate)];
        }
    }

    /// <summary>Records the API server's answer to the owner's own create or update, unless the cache already has something newer.</summary>
    public void Mutated(T obj)
    {
        lock (_gate)
        {
            string key = KeyOf(obj);
            if (!_items.TryGetValue(key, out T? cached) || !IsOlder(obj.Metadata.ResourceVersion, cached.Metadata.ResourceVersion))
            {
                if (_filter(obj))
                {
                    _items[key] = obj;
                }
                else
                {
                    _items.Remove(key);
                }
            }
        }
    }

    /// <summary>Records the owner's own delete (or a 404): the object is gone, and late events about it are ignored.</summary>
    public void Deleted(T obj)
    {
        lock (_gate)
        {
            string key = KeyOf(obj);
            if (_items.TryGetValue(key, out T? cached) && cached.Metadata.Uid == obj.Metadata.Uid)
            {
                _items.Remove(key);
            }

            if (obj.Metadata.Uid is { } uid)
            {
                _tombstones.Add(uid);
            }
        }
    }

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        var fresh = new Dictionary<string, T>(StringComparer.Ordinal);
        string? continueToken = null;
        string? resourceVersion = null;
        do
        {
            ListPage<T> page = await _list(continueToken, cancellationToken).ConfigureAwait(false);
            resourceVersion ??= page.ResourceVersion;
            foreach (T item in page.Items)
            {
                if (_filter(item))
                {
                    fresh[KeyOf(item)] = item;
                }
            }

            continueToken = page.Continue;
        }
        while (!string.IsNullOrEmpty(continueToken));

        var changes = new List<(T?, T?)>();
        lock (_gate)
        {
            foreach ((string key, T old) in _items)
            {
                if (!fresh.ContainsKey(key))
                {
                    changes.Add((old, null));
                }
            }

            foreach ((string key, T item) in fresh)
            {
                T? old = _items.GetValueOrDefault(key);
                if (old?.Metadata.ResourceVersion != item.Metadata.ResourceVersion || old.Metadata.Uid != item.Metadata.Uid)
                {
                    changes.Add((old, item));
                }
            }

            _items.Clear();
            foreach ((string key, T item) in fresh)
            {
                _items[key] = item;
            }

            _tombstones.Clear();
            _resourceVersion = resourceVersion;
        }

        Log.Listed(_logger, typeof(T).Name, fresh.Count, resourceVersion ?? string.Empty);
        Notify(changes);
        _synced.TrySetResult();
    }

    /// <returns>Whether the resourceVersion is gone (410), and how many events arrived.</returns>
    private async Task<(bool Gone, int Events)> WatchAsync(CancellationToken cancellationToken)
    {
        Exception? streamError = null;
        int events = 0;
        string from = _resourceVersion ?? "0";

        // Spread watch timeouts so that many clients do not reconnect at once.
        int timeout = _options.WatchTimeoutSeconds + Random.Shared.Next(_options.WatchTimeoutSeconds + 1);
        try
        {
            await foreach ((WatchEventType type, T obj) in _watch(from, timeout, e => streamError ??= e, cancellationToken).ConfigureAwait(false))
            {
                events++;
                Handle(type, obj);
            }
        }
        catch (HttpRequestException ex) when (events == 0 && !cancellationToken.IsCancellationRequested && EndedBeforeFirstLine(ex))
        {
            // KubernetesClient throws this when a stream ends before its first line (idle timeout, cut connection).
            Log.WatchEnded(_logger, typeof(T).Name, from, events);
            return (false, 0);
        }

        if (streamError is not null)
        {
            if (IsGone(streamError))
            {
                return (true, events);
            }

            throw streamError;
        }

        Log.WatchEnded(_logger, typeof(T).Name, from, events);
        return (false, events);
    }

    private void Handle(WatchEventType type, T obj)
    {
        var changes = new List<(T?, T?)>(1);
        lock (_gate)
        {
            if (obj.Metadata?.ResourceVersion is { Length: > 0 } rv && !IsOlder(rv, _resourceVersion))
            {
                _resourceVersion = rv;
            }

            if (type is WatchEventType.Bookmark or WatchEventType.Error || obj.Metadata?.Name is null)
            {
                return;
            }

            string key = KeyOf(obj);
            T? cached = _items.GetValueOrDefault(key);
            bool keep = type != WatchEventType.Deleted && _filter(obj);
            if (!keep)
            {
                if (obj.Metadata.Uid is { } uid)
                {
                    _tombstones.Remove(uid);
                }

                if (cached is not null && (cached.Metadata.Uid == obj.Metadata.Uid || type != WatchEventType.Deleted))
                {
                    _items.Remove(key);
                    changes.Add((cached, null));
                }
            }
            else if (obj.Metadata.Uid is { } uid && _tombstones.Contains(uid))
            {
                // A late event about an object this process deleted.
            }
            else if (cached is null || cached.Metadata.Uid != obj.Metadata.Uid || IsOlder(cached.Metadata.ResourceVersion, obj.Metadata.ResourceVersion))
            {
                _items[key] = obj;
                changes.Add((cached, obj));
            }
        }

        Notify(changes);
    }

    private void Notify(List<(T? Old, T? New)> changes)
    {
        if (Changed is not { } changed)
        {
            return;
        }

        foreach ((T? old, T? current) in changes)
        {
            changed(old, current);
        }
    }

    private TimeSpan Next(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));

    private static string KeyOf(T obj) => obj.Metadata.NamespaceProperty is { Length: > 0 } ns ? ns + "/" + obj.Metadata.Name : obj.Metadata.Name;

    /// <summary>Whether <paramref name="a"/> is an older resourceVersion than <paramref name="b"/>; false when either is not a number (they are opaque in general).</summary>
    internal static bool IsOlder(string? a, string? b) =>
        ulong.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out ulong x)
        && ulong.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out ulong y)
        && x < y;

    private static bool EndedBeforeFirstLine(HttpRequestException ex) =>
        ex.HttpRequestError == HttpRequestError.ResponseEnded || ex.InnerException is EndOfStreamException or IOException;

    private static bool IsGone(Exception ex) => ex switch
    {
        KubernetesException { Status.Code: 410 } => true,
        HttpOperationException { Response.StatusCode: HttpStatusCode.Gone } => true,
        _ => false,
    };

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Debug, "Listed {Count} {Kind} object(s) at resourceVersion {ResourceVersion}")]
        public static partial void Listed(ILogger logger, string kind, int count, string resourceVersion);

        [LoggerMessage(301, LogLevel.Debug, "Watch of {Kind} from resourceVersion {ResourceVersion} ended after {Events} event(s); watching again")]
        public static partial void WatchEnded(ILogger logger, string kind, string resourceVersion, int events);

        [LoggerMessage(302, LogLevel.Information, "ResourceVersion {ResourceVersion} of {Kind} is too old (410 Gone); listing again")]
        public static partial void WatchExpired(ILogger logger, string kind, string resourceVersion);

        [LoggerMessage(303, LogLevel.Debug, "The {Operation} of {Kind} failed, trying again in {Delay}: {ErrorMessage}")]
        public static partial void InformerFailed(ILogger logger, string kind, string operation, TimeSpan delay, string errorMessage);
    }
}
