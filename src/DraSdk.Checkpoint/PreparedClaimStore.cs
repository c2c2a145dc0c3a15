using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using DraSdk.Checkpoint.Format;
using DraSdk.Checkpoint.Internal;
using DraSdk.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace DraSdk.Checkpoint;

/// <summary>
/// The driver's record of prepared resource claims, kept in a checkpoint file that survives kills, restarts
/// and reboots.
/// </summary>
/// <remarks>
/// <para>
/// Call <see cref="LoadAsync"/> (or use <see cref="OpenAsync"/>) once at startup, before serving the kubelet.
/// Loading never throws for a bad file: an unusable checkpoint is moved aside and the store starts empty, so a
/// corrupt file cannot put the driver in a crash loop. The <see cref="CheckpointLoadResult"/> says what happened.
/// </para>
/// <para>
/// Every mutation writes the whole checkpoint atomically (temporary file, fsync, rename, directory fsync) before
/// it returns; if the write fails the exception propagates and no change is recorded. Mutations are
/// serialized, within the process and across processes: each one holds an exclusive <c>flock</c> on
/// <c>&lt;file&gt;.lock</c> next to the checkpoint and re-reads the checkpoint first if another writer (another
/// store, or another instance of the driver during a rolling update) changed it. Reads (<see cref="TryGet"/>,
/// <see cref="Claims"/>, <see cref="Count"/>, <see cref="IncompleteClaims"/>, <see cref="RecordsNeedingRecreation"/>)
/// cost one <c>stat</c> of the checkpoint; only when it changed on disk do they reload it before answering. All
/// members are thread-safe. Mutations do blocking file I/O.
/// </para>
/// <para>
/// Prepare in two phases: <see cref="MarkPrepareStarted(PreparedClaimRecord)"/> before the first side effect,
/// <see cref="MarkPrepareCompleted(PreparedClaimRecord)"/> after the last. A claim found in <see cref="PreparedClaimState.PrepareStarted"/>
/// after a restart (<see cref="IncompleteClaims"/>) marks work the driver must clean up.
/// </para>
/// </remarks>
public sealed partial class PreparedClaimStore
{
    private const int NotLoaded = 0;
    private const int Loading = 1;
    private const int LoadedState = 2;

    private static readonly ImmutableDictionary<string, PreparedClaimRecord> Empty =
        ImmutableDictionary.Create<string, PreparedClaimRecord>(StringComparer.Ordinal);

    // How long a mutation (or a load) waits for another process's save to finish.
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly string _directory;
    private readonly string _fileName;
    private readonly string? _bootIdPath;
    private readonly UnixFileMode _fileMode;
    private readonly bool _durable;
    private readonly long _maxFileSize;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _lockPath;

    private volatile ImmutableDictionary<string, PreparedClaimRecord> _claims = Empty;

    // The checkpoint file as this store last read or wrote it: its stat signature (null: no file seen), its bytes,
    // and an open descriptor that keeps its inode from being reused while we compare against it. Under _gate,
    // except that Refresh reads _seen without it.
    private volatile FileSignature? _seen;
    private byte[]? _seenBytes;
    private SafeFileHandle? _pin;

    // Environment.TickCount64 at which temporary files too young to remove at load are old enough; 0 when none.
    private long _leftoverRetryAt;
    private int _lockUnavailableLogged;
    private volatile CheckpointLoadResult? _loadResult;
    private volatile bool _bootChanged;
    private volatile string? _currentBootId;
    private int _loadState;

    /// <summary>Creates a store. Nothing is read until <see cref="LoadAsync"/>.</summary>
    /// <param name="options">Where the checkpoint lives and how it is written; copied, so later changes have no effect.</param>
    /// <param name="logger">Receives load outcomes and problems; optional.</param>
    /// <exception cref="ArgumentException">The options name no directory, or the file name is not a plain file name.</exception>
    public PreparedClaimStore(PreparedClaimStoreOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.CheckpointDirectory))
        {
            throw new ArgumentException($"{nameof(PreparedClaimStoreOptions.CheckpointDirectory)} is required.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.FileName)
            || options.FileName.IndexOfAny(['/', '\\']) >= 0
            || options.FileName is "." or "..")
        {
            throw new ArgumentException($"{nameof(PreparedClaimStoreOptions.FileName)} must be a plain file name.", nameof(options));
        }

        if (options.MaxFileSizeBytes <= 0)
        {
            throw new ArgumentException($"{nameof(PreparedClaimStoreOptions.MaxFileSizeBytes)} must be positive.", nameof(options));
        }

        _directory = Path.GetFullPath(options.CheckpointDirectory);
        _fileName = options.FileName;
        _bootIdPath = string.IsNullOrEmpty(options.BootIdPath) ? null : options.BootIdPath;
        _fileMode = options.FileMode;
        _durable = options.Durable;
        _maxFileSize = options.MaxFileSizeBytes;
        _time = options.TimeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        CheckpointPath = Path.Combine(_directory, _fileName);
        _lockPath = CheckpointPath + ".lock";
    }

    /// <summary>
    /// How old a temporary file (<c>.&lt;name&gt;.tmp-*</c>) must be before it is treated as left behind by a
    /// killed writer and removed; a younger one may belong to another process's save in progress.
    /// </summary>
    internal static TimeSpan LeftoverGracePeriod { get; } = TimeSpan.FromSeconds(30);

    /// <summary>Creates a store and loads its checkpoint; the outcome is in <see cref="LoadResult"/>.</summary>
    /// <param name="options">Where the checkpoint lives and how it is written.</param>
    /// <param name="logger">Receives load outcomes and problems; optional.</param>
    /// <param name="cancellationToken">Cancels reading the files.</param>
    public static async Task<PreparedClaimStore> OpenAsync(
        PreparedClaimStoreOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        var store = new PreparedClaimStore(options, logger);
        await store.LoadAsync(cancellationToken).ConfigureAwait(false);
        return store;
    }

    /// <summary>The checkpoint file's full path.</summary>
    public string CheckpointPath { get; }

    /// <summary>True once <see cref="LoadAsync"/> has completed; mutations are refused before that.</summary>
    public bool IsLoaded => Volatile.Read(ref _loadState) == LoadedState;

    /// <summary>The outcome of <see cref="LoadAsync"/>; null until it completes.</summary>
    public CheckpointLoadResult? LoadResult => _loadResult;

    /// <summary>The current boot's id, read at load; null if unavailable or detection is off.</summary>
    public string? CurrentBootId => _currentBootId;

    /// <summary>
    /// True when the loaded checkpoint was written during an earlier boot and nothing has been saved since.
    /// The next successful save records the current boot id and clears it. Use
    /// <see cref="RecordsNeedingRecreation"/> for the per-claim view, which stays accurate across restarts.
    /// </summary>
    public bool BootChanged
    {
        get
        {
            Refresh();
            return _bootChanged;
        }
    }

    /// <summary>
    /// An immutable snapshot of all records, keyed by claim UID, as the checkpoint holds them now (reloaded first
    /// if another writer changed the file).
    /// </summary>
    public IReadOnlyDictionary<string, PreparedClaimRecord> Claims
    {
        get
        {
            Refresh();
            return _claims;
        }
    }

    /// <summary>The number of records.</summary>
    public int Count
    {
        get
        {
            Refresh();
            return _claims.Count;
        }
    }

    /// <summary>
    /// Records still in <see cref="PreparedClaimState.PrepareStarted"/>, in UID order. Right after load these
    /// are claims whose prepare was interrupted: undo their partial work, then <see cref="Remove(string)"/> them or
    /// prepare them again.
    /// </summary>
    public IReadOnlyList<PreparedClaimRecord> IncompleteClaims
    {
        get
        {
            Refresh();
            return SelectIncomplete(_claims);
        }
    }

    /// <summary>
    /// Completed records saved under a different boot id than the current one, in UID order: their runtime
    /// state (for example CDI specs under a tmpfs <c>/var/run/cdi</c>) is gone and must be re-created, then
    /// confirmed with <see cref="MarkRecreated(string)"/>. Because each record carries its own boot id, this stays
    /// correct even if the driver restarts again before it has re-created everything. Empty when the current
    /// boot id is unknown.
    /// </summary>
    public IReadOnlyList<PreparedClaimRecord> RecordsNeedingRecreation
    {
        get
        {
            Refresh();
            return SelectNeedingRecreation(_claims, _currentBootId);
        }
    }

    /// <summary>Looks up a claim by UID.</summary>
    /// <param name="claimUid">The ResourceClaim's UID.</param>
    /// <param name="record">The record, when found.</param>
    /// <returns>True when the claim is recorded (in either state).</returns>
    public bool TryGet(string claimUid, [NotNullWhen(true)] out PreparedClaimRecord? record)
    {
        ArgumentNullException.ThrowIfNull(claimUid);
        Refresh();
        return _claims.TryGetValue(claimUid, out record);
    }

    /// <summary>
    /// Loads the checkpoint. Call once, before any mutation. Never throws for a missing, unreadable or corrupt
    /// file: a bad file is moved to <c>&lt;name&gt;.corrupt-&lt;UTC timestamp&gt;</c>, logged, and the store starts
    /// empty. Temporary files left by a writer that was killed are removed first, once they are older than a short
    /// grace period. All of this happens under the cross-process lock, so it cannot disturb another instance's save.
    /// </summary>
    /// <param name="cancellationToken">Cancels reading the files and waiting for the lock; the store can then be loaded again.</param>
    /// <returns>What was found.</returns>
    /// <exception cref="InvalidOperationException">The store was already loaded or is loading.</exception>
    /// <exception cref="IOException">Another process held the checkpoint lock for longer than 30 seconds.</exception>
    public async Task<CheckpointLoadResult> LoadAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _loadState, Loading, NotLoaded) != NotLoaded)
        {
            throw new InvalidOperationException("The prepared-claim store has already been loaded.");
        }

        CheckpointLock? fileLock = null;
        try
        {
            string? bootId = await ReadBootIdAsync(cancellationToken).ConfigureAwait(false);

            // No directory: no checkpoint and nothing to clean up, and loading creates nothing.
            if (Directory.Exists(_directory))
            {
                fileLock = await CheckpointIo.AcquireLockAsync(_lockPath, _fileMode, LockTimeout, cancellationToken).ConfigureAwait(false);
                ReportUnavailableLock(fileLock);
            }

            CheckpointLoadResult result;
            lock (_gate)
            {
                _currentBootId = bootId;
                if (fileLock is not null)
                {
                    RemoveLeftovers();
                }

                using FileSnapshot snapshot = CheckpointIo.Read(CheckpointPath, _maxFileSize);
                result = Apply(bootId, snapshot);
                _loadResult = result;
                Volatile.Write(ref _loadState, LoadedState);
            }

            return result;
        }
        catch
        {
            Volatile.Write(ref _loadState, NotLoaded);
            throw;
        }
        finally
        {
            fileLock?.Dispose();
        }
    }

    /// <summary>
    /// Records that preparing <paramref name="record"/> has begun, and saves. Call it before the first side
    /// effect (CDI spec, device configuration). Replaces any existing record for the claim.
    /// </summary>
    /// <param name="record">The claim and the devices about to be prepared.</param>
    /// <returns>The stored record, with <see cref="PreparedClaimRecord.State"/>, <see cref="PreparedClaimRecord.BootId"/> and <see cref="PreparedClaimRecord.UpdatedAt"/> stamped.</returns>
    /// <exception cref="InvalidOperationException">The store has not been loaded.</exception>
    /// <exception cref="IOException">The checkpoint could not be written (or its lock not taken within 30 seconds); the change is not recorded.</exception>
    public PreparedClaimRecord MarkPrepareStarted(PreparedClaimRecord record) =>
        Upsert(record, PreparedClaimState.PrepareStarted);

    /// <summary>
    /// Records that every side effect of preparing <paramref name="record"/> is in place, and saves. Replaces
    /// any existing record for the claim, so the final device list and driver data may differ from the
    /// started record.
    /// </summary>
    /// <param name="record">The claim and the devices prepared for it.</param>
    /// <returns>The stored record, with <see cref="PreparedClaimRecord.State"/>, <see cref="PreparedClaimRecord.BootId"/> and <see cref="PreparedClaimRecord.UpdatedAt"/> stamped.</returns>
    /// <exception cref="InvalidOperationException">The store has not been loaded.</exception>
    /// <exception cref="IOException">The checkpoint could not be written (or its lock not taken within 30 seconds); the change is not recorded.</exception>
    public PreparedClaimRecord MarkPrepareCompleted(PreparedClaimRecord record) =>
        Upsert(record, PreparedClaimState.PrepareCompleted);

    /// <summary>
    /// Records that the runtime state of a claim has been re-created during the current boot (stamps the
    /// current boot id), and saves. Call it for each of <see cref="RecordsNeedingRecreation"/> once done.
    /// </summary>
    /// <param name="claimUid">The ResourceClaim's UID.</param>
    /// <returns>False when the claim is not recorded.</returns>
    /// <exception cref="InvalidOperationException">The store has not been loaded.</exception>
    /// <exception cref="IOException">The checkpoint could not be written (or its lock not taken within 30 seconds); the change is not recorded.</exception>
    public bool MarkRecreated(string claimUid)
    {
        ArgumentNullException.ThrowIfNull(claimUid);
        lock (_gate)
        {
            using CheckpointLock fileLock = BeginMutation();
            if (!_claims.TryGetValue(claimUid, out PreparedClaimRecord? existing))
            {
                return false;
            }

            Save(_claims.SetItem(claimUid, existing with { BootId = _currentBootId, UpdatedAt = _time.GetUtcNow() }));
            return true;
        }
    }

    /// <summary>Removes a claim (after unprepare, or after cleaning up an incomplete prepare), and saves.</summary>
    /// <param name="claimUid">The ResourceClaim's UID.</param>
    /// <returns>False when the claim was not recorded (nothing is written then).</returns>
    /// <exception cref="InvalidOperationException">The store has not been loaded.</exception>
    /// <exception cref="IOException">The checkpoint could not be written (or its lock not taken within 30 seconds); the change is not recorded.</exception>
    public bool Remove(string claimUid)
    {
        ArgumentNullException.ThrowIfNull(claimUid);
        lock (_gate)
        {
            using CheckpointLock fileLock = BeginMutation();
            if (!_claims.ContainsKey(claimUid))
            {
                return false;
            }

            Save(_claims.Remove(claimUid));
            return true;
        }
    }

    /// <summary>
    /// Records that preparing each of <paramref name="records"/> has begun, with one write for all of them (see
    /// <see cref="MarkPrepareStarted(PreparedClaimRecord)"/>).
    /// </summary>
    /// <param name="records">The claims and the devices about to be prepared.</param>
    /// <returns>The stored records.</returns>
    /// <exception cref="InvalidOperationException">The store has not been loaded.</exception>
    /// <exception cref="IOException">The checkpoint could not be written; none of the changes is recorded.</exception>
    public IReadOnlyList<PreparedClaimRecord> MarkPrepareStarted(IEnumerable<PreparedClaimRecord> records) =>
        Upsert(records, PreparedClaimState.PrepareStarted);

    /// <summary>
    /// Records that every side effect of each of <paramref name="records"/> is in place, with one write for all of them
    /// (one flush for a whole <c>NodePrepareResources</c> call; see <see cref="MarkPrepareCompleted(PreparedClaimRecord)"/>).
    /// </summary>
    /// <param name="records">The claims and the devices prepared for them.</param>
    /// <returns>The stored records.</returns>
    /// <exception cref="InvalidOperationException">The store has not been loaded.</exception>
    /// <exception cref="IOException">The checkpoint could not be written; none of the changes is recorded.</exception>
    public IReadOnlyList<PreparedClaimRecord> MarkPrepareCompleted(IEnumerable<PreparedClaimRecord> records) =>
        Upsert(records, PreparedClaimState.PrepareCompleted);

    /// <summary>Stamps the current boot id on each of <paramref name="claimUids"/> with one write (see <see cref="MarkRecreated(string)"/>).</summary>
    /// <param name="claimUids">The claims whose runtime state was re-created.</param>
    /// <returns>How many of them were recorded.</returns>
    /// <exception cref="InvalidOperationException">The store has not been loaded.</exception>
    /// <exception cref="IOException">The checkpoint could not be written; none of the changes is recorded.</exception>
    public int MarkRecreated(IEnumerable<string> claimUids)
    {
        ArgumentNullException.ThrowIfNull(claimUids);
        lock (_gate)
        {
            using CheckpointLock fileLock = BeginMutation();
            ImmutableDictionary<string, PreparedClaimRecord> next = _claims;
            int count = 0;
            foreach (string uid in claimUids)
            {
                if (next.TryGetValue(uid, out PreparedClaimRecord? existing))
                {
                    next = next.SetItem(uid, existing with { BootId = _currentBootId, UpdatedAt = _time.GetUtcNow() });
                    count++;
                }
            }

            if (count > 0)
            {
                Save(next);
            }

            return count;
        }
    }

    /// <summary>Removes each of <paramref name="claimUids"/> with one write (none when no claim was recorded).</summary>
    /// <param name="claimUids">The ResourceClaims' UIDs.</param>
    /// <returns>How many of them were recorded.</returns>
    /// <exception cref="InvalidOperationException">The store has not been loaded.</exception>
    /// <exception cref="IOException">The checkpoint could not be written; none of the changes is recorded.</exception>
    public int Remove(IEnumerable<string> claimUids)
    {
        ArgumentNullException.ThrowIfNull(claimUids);
        lock (_gate)
        {
            using CheckpointLock fileLock = BeginMutation();
            ImmutableDictionary<string, PreparedClaimRecord> next = _claims.RemoveRange(claimUids);
            int count = _claims.Count - next.Count;
            if (count > 0)
            {
                Save(next);
            }

            return count;
        }
    }

    private PreparedClaimRecord[] Upsert(IEnumerable<PreparedClaimRecord> records, PreparedClaimState state)
    {
        ArgumentNullException.ThrowIfNull(records);
        PreparedClaimRecord[] normalized = [.. records.Select(Normalize)];
        lock (_gate)
        {
            using CheckpointLock fileLock = BeginMutation();
            DateTimeOffset now = _time.GetUtcNow();
            PreparedClaimRecord[] stored = [.. normalized.Select(r => r with { State = state, BootId = _currentBootId, UpdatedAt = now })];
            if (stored.Length > 0)
            {
                Save(_claims.SetItems(stored.Select(r => KeyValuePair.Create(r.ClaimUid, r))));
            }

            return stored;
        }
    }

    private PreparedClaimRecord Upsert(PreparedClaimRecord record, PreparedClaimState state)
    {
        PreparedClaimRecord normalized = Normalize(record);
        lock (_gate)
        {
            using CheckpointLock fileLock = BeginMutation();
            PreparedClaimRecord stored = normalized with
            {
                State = state,
                BootId = _currentBootId,
                UpdatedAt = _time.GetUtcNow(),
            };
            Save(_claims.SetItem(stored.ClaimUid, stored));
            return stored;
        }
    }

    // Called under _gate: checks the store is loaded, takes the cross-process lock and brings the store up to date
    // with the file, so the change is made to what is on disk now. Dispose the result to release the lock.
    private CheckpointLock BeginMutation()
    {
        EnsureLoaded();
        CheckpointLock fileLock = CheckpointIo.AcquireLock(_lockPath, _fileMode, LockTimeout);
        try
        {
            ReportUnavailableLock(fileLock);
            Sync(lockHeld: true);
            if (_leftoverRetryAt != 0 && Environment.TickCount64 >= _leftoverRetryAt)
            {
                RemoveLeftovers();
            }

            return fileLock;
        }
        catch
        {
            fileLock.Dispose();
            throw;
        }
    }

    // Called under _gate and the file lock. Memory changes only after the file is durably written.
    private void Save(ImmutableDictionary<string, PreparedClaimRecord> next)
    {
        byte[] bytes = CheckpointFile.Encode(_currentBootId, next.Values);
        AtomicFile.Write(CheckpointPath, bytes, _fileMode, _durable);
        _claims = next;
        _bootChanged = false;
        RememberOwnWrite(bytes);
    }

    // Before a read: one stat; reload only when the file changed since this store last read or wrote it.
    private void Refresh()
    {
        if (Volatile.Read(ref _loadState) != LoadedState)
        {
            return;
        }

        FileSignature? now = CheckpointIo.Stat(CheckpointPath);
        if (now is null || now.Equals(_seen))
        {
            return;
        }

        lock (_gate)
        {
            try
            {
                Sync(lockHeld: false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.ReloadFailed(_logger, ex, CheckpointPath);
            }
        }
    }

    // Called under _gate (and, when lockHeld, the file lock): adopts the file on disk if another writer changed it.
    // A file that has gone (or is not a regular file) is not "no claims": the records are kept and the next save
    // writes them. An unusable file is set aside, under the lock, and replaced by the records last read.
    private void Sync(bool lockHeld)
    {
        FileSignature? now = CheckpointIo.Stat(CheckpointPath);
        if (now is null || (_pin is not null && now.HasIdentity && now.Equals(_seen)))
        {
            return;
        }

        using FileSnapshot snapshot = CheckpointIo.Read(CheckpointPath, _maxFileSize);
        CheckpointSetAsideReason reason;
        string detail;
        string? apiVersion = null;
        switch (snapshot.Kind)
        {
            case SnapshotKind.Missing:
                return;
            case SnapshotKind.Content:
                if (_seenBytes is not null && snapshot.Content.AsSpan().SequenceEqual(_seenBytes))
                {
                    Remember(snapshot, _seenBytes);
                    return;
                }

                CheckpointReadResult read = CheckpointFile.Read(snapshot.Content);
                if (read.Problem is not { } problem)
                {
                    _claims = read.Claims;
                    _bootChanged = _currentBootId is not null && !string.Equals(_currentBootId, read.BootId, StringComparison.Ordinal);
                    Remember(snapshot, snapshot.Content);
                    Log.Reloaded(_logger, CheckpointPath, read.Claims.Count);
                    return;
                }

                (reason, detail, apiVersion) = (problem, read.Detail ?? problem.ToString(), read.ApiVersion);
                break;
            case SnapshotKind.TooLarge:
                (reason, detail) = (CheckpointSetAsideReason.TooLarge, snapshot.Detail ?? "too large");
                break;
            default:
                (reason, detail) = (CheckpointSetAsideReason.Unreadable, snapshot.Detail ?? "unreadable");
                break;
        }

        if (!lockHeld)
        {
            // Set aside only under the lock, and only what is still there once we hold it.
            using CheckpointLock fileLock = CheckpointIo.AcquireLock(_lockPath, _fileMode, LockTimeout);
            ReportUnavailableLock(fileLock);
            Sync(lockHeld: true);
            return;
        }

        string? target = MoveAside();
        Log.ChangedCheckpointSetAside(_logger, CheckpointPath, reason, detail, apiVersion ?? "<none>", target ?? "<not moved>", _claims.Count);
        if (target is null)
        {
            // Keep serving the records last read; remembering the bad file stops every read from retrying, and the
            // next save overwrites it.
            Remember(snapshot, snapshot.Content);
            return;
        }

        try
        {
            byte[] bytes = CheckpointFile.Encode(_currentBootId, _claims.Values);
            AtomicFile.Write(CheckpointPath, bytes, _fileMode);
            _bootChanged = false;
            RememberOwnWrite(bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.FreshCheckpointFailed(_logger, ex, CheckpointPath);
            Forget();
        }
    }

    // Called under _gate right after this store wrote the file (under the file lock, so it is ours).
    private void RememberOwnWrite(byte[] bytes)
    {
        using FileSnapshot snapshot = CheckpointIo.Read(CheckpointPath, long.MaxValue, readContent: false);
        if (snapshot.Kind == SnapshotKind.Content)
        {
            Remember(snapshot, bytes);
        }
        else
        {
            Forget();
        }
    }

    private void Remember(FileSnapshot snapshot, byte[]? content)
    {
        _seenBytes = content;
        SafeFileHandle? previous = _pin;
        _pin = snapshot.TakePin();
        previous?.Dispose();
        _seen = snapshot.Signature;
    }

    private void Forget()
    {
        _seen = null;
        _seenBytes = null;
        _pin?.Dispose();
        _pin = null;
    }

    private void ReportUnavailableLock(CheckpointLock fileLock)
    {
        if (!fileLock.IsHeld && Interlocked.Exchange(ref _lockUnavailableLogged, 1) == 0)
        {
            Log.LockUnavailable(_logger, _lockPath, fileLock.UnavailableReason ?? "unknown", CheckpointPath);
        }
    }

    private void EnsureLoaded()
    {
        if (Volatile.Read(ref _loadState) != LoadedState)
        {
            throw new InvalidOperationException(
                "Load the prepared-claim store (LoadAsync) before changing it; saving an unloaded store would overwrite the checkpoint.");
        }
    }

    private CheckpointLoadResult Apply(string? bootId, FileSnapshot snapshot)
    {
        if (snapshot.Kind == SnapshotKind.Missing)
        {
            Log.NotFound(_logger, CheckpointPath);
            return new CheckpointLoadResult { Status = CheckpointLoadStatus.NotFound, CheckpointPath = CheckpointPath, CurrentBootId = bootId };
        }

        CheckpointReadResult read = snapshot.Kind switch
        {
            SnapshotKind.Content => CheckpointFile.Read(snapshot.Content),
            SnapshotKind.TooLarge => CheckpointReadResult.Fail(CheckpointSetAsideReason.TooLarge, snapshot.Detail ?? "too large"),
            _ => CheckpointReadResult.Fail(CheckpointSetAsideReason.Unreadable, snapshot.Detail ?? "unreadable"),
        };

        if (read.Problem is { } problem)
        {
            return SetAside(bootId, problem, read.Detail ?? problem.ToString(), read.ApiVersion, snapshot);
        }

        _claims = read.Claims;
        Remember(snapshot, snapshot.Content);
        bool bootChanged = bootId is not null && !string.Equals(bootId, read.BootId, StringComparison.Ordinal);
        _bootChanged = bootChanged;

        PreparedClaimRecord[] incomplete = SelectIncomplete(read.Claims);
        PreparedClaimRecord[] recreate = SelectNeedingRecreation(read.Claims, bootId);
        if (bootChanged)
        {
            Log.BootChanged(_logger, CheckpointPath, read.Claims.Count, read.BootId ?? "<none>", bootId!, recreate.Length);
        }
        else
        {
            Log.Loaded(_logger, CheckpointPath, read.Claims.Count);
        }

        if (incomplete.Length > 0)
        {
            Log.IncompleteClaims(_logger, incomplete.Length, string.Join(", ", incomplete.Select(c => c.ClaimUid)));
        }

        return new CheckpointLoadResult
        {
            Status = bootChanged ? CheckpointLoadStatus.BootChanged : CheckpointLoadStatus.Loaded,
            CheckpointPath = CheckpointPath,
            ClaimCount = read.Claims.Count,
            CurrentBootId = bootId,
            CheckpointBootId = read.BootId,
            ApiVersion = read.ApiVersion,
            IncompleteClaims = incomplete,
            RecordsNeedingRecreation = recreate,
        };
    }

    private CheckpointLoadResult SetAside(string? bootId, CheckpointSetAsideReason reason, string detail, string? apiVersion, FileSnapshot snapshot)
    {
        string? target = MoveAside();
        Log.SetAside(_logger, CheckpointPath, reason, detail, target ?? "<not moved>");
        _claims = Empty;
        _bootChanged = false;

        if (target is null)
        {
            // The bad file stays; remember it so reads do not keep retrying. The next save overwrites it.
            Remember(snapshot, snapshot.Content);
        }
        else
        {
            // Replace the moved file with an empty checkpoint straight away: it records the current boot, and the
            // atomic write's directory fsync makes the move durable too, so a power cut cannot bring it back.
            try
            {
                byte[] bytes = CheckpointFile.Encode(bootId, []);
                AtomicFile.Write(CheckpointPath, bytes, _fileMode);
                RememberOwnWrite(bytes);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.FreshCheckpointFailed(_logger, ex, CheckpointPath);
            }
        }

        return new CheckpointLoadResult
        {
            Status = CheckpointLoadStatus.SetAside,
            CheckpointPath = CheckpointPath,
            CurrentBootId = bootId,
            ApiVersion = apiVersion,
            SetAsideReason = reason,
            SetAsideDetail = detail,
            SetAsidePath = target,
        };
    }

    private string? MoveAside()
    {
        string stamp = _time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'.'fff'Z'", CultureInfo.InvariantCulture);
        string baseName = $"{CheckpointPath}.corrupt-{stamp}";
        try
        {
            for (int attempt = 0; attempt < 100; attempt++)
            {
                string candidate = attempt == 0 ? baseName : $"{baseName}-{attempt}";
                if (File.Exists(candidate))
                {
                    continue;
                }

                File.Move(CheckpointPath, candidate, overwrite: false);
                return candidate;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.SetAsideFailed(_logger, ex, CheckpointPath);
        }

        return null;
    }

    private async Task<string?> ReadBootIdAsync(CancellationToken cancellationToken)
    {
        if (_bootIdPath is null)
        {
            return null;
        }

        try
        {
            string text = await File.ReadAllTextAsync(_bootIdPath, cancellationToken).ConfigureAwait(false);
            string bootId = text.Trim();
            if (bootId.Length > 0)
            {
                return bootId;
            }

            Log.BootIdUnavailable(_logger, _bootIdPath, "the file is empty");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            Log.BootIdUnavailable(_logger, _bootIdPath, ex.Message);
        }

        return null;
    }

    // Called with the file lock held (or when locking is unavailable). Every save of this SDK happens under the lock,
    // so a temporary file seen now was left by a killed writer; the grace period still protects a save in progress
    // by a writer that does not take the lock (an older SDK version during a rolling update).
    private void RemoveLeftovers()
    {
        try
        {
            if (!Directory.Exists(_directory))
            {
                return;
            }

            DateTime now = DateTime.UtcNow;
            bool young = false;
            foreach (string leftover in Directory.EnumerateFiles(_directory, $".{_fileName}.tmp-*"))
            {
                if ((now - File.GetLastWriteTimeUtc(leftover)).Duration() < LeftoverGracePeriod)
                {
                    young = true;
                    continue;
                }

                File.Delete(leftover);
            }

            _leftoverRetryAt = young ? Environment.TickCount64 + (long)LeftoverGracePeriod.TotalMilliseconds : 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.LeftoverCleanupFailed(_logger, ex, _directory);
        }
    }

    private static PreparedClaimRecord Normalize(PreparedClaimRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (string.IsNullOrEmpty(record.ClaimUid))
        {
            throw new ArgumentException("The record has no claim UID.", nameof(record));
        }

        if (record.Namespace is null || record.Name is null || record.Devices is null)
        {
            throw new ArgumentException($"The record for claim '{record.ClaimUid}' has a null namespace, name or device list.", nameof(record));
        }

        var devices = new PreparedDeviceRecord[record.Devices.Count];
        for (int i = 0; i < devices.Length; i++)
        {
            PreparedDeviceRecord? device = record.Devices[i];
            if (device?.PoolName is null || device.DeviceName is null || device.Requests is null || device.CdiDeviceIds is null
                || device.Requests.Contains(null!) || device.CdiDeviceIds.Contains(null!))
            {
                throw new ArgumentException($"Device {i} of claim '{record.ClaimUid}' is null or has null fields.", nameof(record));
            }

            // Copy the lists so a caller mutating its own list later cannot change what is stored.
            devices[i] = device with { Requests = [.. device.Requests], CdiDeviceIds = [.. device.CdiDeviceIds] };
        }

        JsonElement? driverData = record.DriverData is { ValueKind: not JsonValueKind.Undefined } data ? data.Clone() : null;
        return record with { Devices = devices, DriverData = driverData };
    }

    private static PreparedClaimRecord[] SelectIncomplete(ImmutableDictionary<string, PreparedClaimRecord> claims) =>
        [.. claims.Values
            .Where(c => c.State == PreparedClaimState.PrepareStarted)
            .OrderBy(c => c.ClaimUid, StringComparer.Ordinal)];

    private static PreparedClaimRecord[] SelectNeedingRecreation(ImmutableDictionary<string, PreparedClaimRecord> claims, string? bootId) =>
        bootId is null
            ? []
            : [.. claims.Values
                .Where(c => c.State == PreparedClaimState.PrepareCompleted && !string.Equals(c.BootId, bootId, StringComparison.Ordinal))
                .OrderBy(c => c.ClaimUid, StringComparer.Ordinal)];

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "No checkpoint at {Path}; starting with no prepared claims")]
        public static partial void NotFound(ILogger logger, string path);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Loaded {Count} prepared claims from {Path}")]
        public static partial void Loaded(ILogger logger, string path, int count);

        [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Checkpoint {Path} with {Count} prepared claims was written in boot {CheckpointBootId}; the node has rebooted (now {CurrentBootId}). {RecreateCount} claims need their runtime state re-created")]
        public static partial void BootChanged(ILogger logger, string path, int count, string checkpointBootId, string currentBootId, int recreateCount);

        [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "{Count} claims were left mid-prepare and need cleanup: {ClaimUids}")]
        public static partial void IncompleteClaims(ILogger logger, int count, string claimUids);

        [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Checkpoint {Path} is unusable ({Reason}: {Detail}); moved it to {SetAsidePath} and starting with no prepared claims")]
        public static partial void SetAside(ILogger logger, string path, CheckpointSetAsideReason reason, string detail, string setAsidePath);

        [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "Could not move the unusable checkpoint {Path} aside; it will be overwritten by the next save")]
        public static partial void SetAsideFailed(ILogger logger, Exception exception, string path);

        [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "Could not write a fresh checkpoint at {Path} after setting the old one aside")]
        public static partial void FreshCheckpointFailed(ILogger logger, Exception exception, string path);

        [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Could not read the boot id from {BootIdPath} ({Detail}); reboots will not be detected")]
        public static partial void BootIdUnavailable(ILogger logger, string bootIdPath, string detail);

        [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "Could not remove leftover temporary checkpoint files in {Directory}")]
        public static partial void LeftoverCleanupFailed(ILogger logger, Exception exception, string directory);

        [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Checkpoint {Path} was changed by another writer; reloaded {Count} prepared claims")]
        public static partial void Reloaded(ILogger logger, string path, int count);

        [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Cannot lock {LockPath} ({Detail}); changes to {Path} are not protected against another process saving at the same time")]
        public static partial void LockUnavailable(ILogger logger, string lockPath, string detail, string path);

        [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Could not reload the changed checkpoint {Path}; answering from the records last read")]
        public static partial void ReloadFailed(ILogger logger, Exception exception, string path);

        [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "Checkpoint {Path}, changed by another writer, is unusable ({Reason}: {Detail}, apiVersion {ApiVersion}); moved it to {SetAsidePath} and kept the {Count} prepared claims last read")]
        public static partial void ChangedCheckpointSetAside(ILogger logger, string path, CheckpointSetAsideReason reason, string detail, string apiVersion, string setAsidePath, int count);
    }
}
