using System.Text.Json;
using DraSdk.Cdi;
using DraSdk.Checkpoint;
using DraSdk.Internal;
using DraSdk.KubeletPlugin;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DraSdk.Preparation.Internal;

/// <summary>
/// The SDK-owned prepare pipeline around an <see cref="ICdiDriver"/>: the <see cref="IDraDriver"/> the kubelet plugin
/// calls. See the checkpoint guide for the crash-safety argument behind the order and the flushes.
/// </summary>
/// <remarks>
/// Prepare (one call, N claims): plan each claim (pure); record the intents of claims with side effects (one write,
/// not flushed); write each spec (atomic, not flushed); apply the side effects; record every prepared claim in the
/// checkpoint (one write, flushed: the only flush, and shared by all claims of the call); forget the intents (one
/// write, not flushed); answer. Unprepare: undo, remove the specs, remove the records (one flushed write). Start-up, under
/// the plugin's lock and before the sockets are served: roll back intents and started records without a completed
/// record (undo, remove the spec), remove orphan specs and temporary files of the driver's kind, write again the
/// specs a reboot or a deletion removed (applying the side effects again after a reboot), and adopt the specs of claims
/// an earlier version recorded without them.
/// </remarks>
internal sealed partial class PreparationPipeline<TDriver> : IDraDriver, IDraDriverStartup
    where TDriver : class, ICdiDriver
{
    private readonly ICdiDriver _driver;
    private readonly IClaimSideEffects? _effects;
    private readonly CdiSpecWriter _writer;
    private readonly CdiClaimSpecs _specs;
    private readonly PreparedClaimStore _checkpoint;
    private readonly PreparedClaimStore? _intents;
    private readonly string _specPrefix;
    private readonly DeviceMetadataFiles? _metadata;
    private readonly ILogger _logger;

    public PreparationPipeline(
        TDriver driver,
        PreparedClaimStore checkpoint,
        IOptions<PreparedClaimStoreOptions> checkpointOptions,
        IOptions<CdiDriverOptions> cdiOptions,
        IOptions<DraDriverOptions> driverOptions,
        DeviceMetadataUpdater metadata,
        ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        _metadata = metadata.Files;
        ArgumentNullException.ThrowIfNull(cdiOptions);
        ArgumentNullException.ThrowIfNull(driverOptions);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _driver = driver;
        _effects = driver as IClaimSideEffects;
        CdiDriverOptions cdi = cdiOptions.Value;
        DraDriverOptions dra = driverOptions.Value;
        CdiKind kind = CdiKind.Parse(cdi.Kind);

        // Specs are not flushed: /var/run/cdi is a tmpfs on most nodes, and every spec is written again from the
        // flushed checkpoint after a reboot, before the kubelet can call.
        _writer = new CdiSpecWriter(new CdiSpecWriterOptions
        {
            SpecDirectory = dra.CdiRoot,
            MinimumVersion = cdi.MinimumVersion,
            MaximumVersion = cdi.MaximumVersion,
            Durable = false,
        });
        _specs = new CdiClaimSpecs(_writer, kind);
        string fileName = CdiSpecWriter.GetSpecFileName(kind, "x");
        _specPrefix = fileName[..^"x.json".Length];
        _logger = loggerFactory.CreateLogger("DraSdk.Preparation.PreparationPipeline");
        _checkpoint = checkpoint;
        if (_effects is not null)
        {
            // What a prepare in flight applies is undone from here after a kill; after a power loss its effects are
            // gone with the reboot, so this record need not be flushed either.
            PreparedClaimStoreOptions o = checkpointOptions.Value;
            _intents = new PreparedClaimStore(
                new PreparedClaimStoreOptions
                {
                    CheckpointDirectory = o.CheckpointDirectory,
                    FileName = IntentsFileName,
                    BootIdPath = o.BootIdPath,
                    FileMode = o.FileMode,
                    TimeProvider = o.TimeProvider,
                    Durable = false,
                },
                loggerFactory.CreateLogger<PreparedClaimStore>());
        }
    }

    /// <summary>The file of the intents of prepares in flight, beside the checkpoint.</summary>
    internal const string IntentsFileName = "prepare-intents.json";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _checkpoint.LoadAsync(cancellationToken).ConfigureAwait(false);
        if (_intents is not null)
        {
            await _intents.LoadAsync(cancellationToken).ConfigureAwait(false);
        }

        IReadOnlyDictionary<string, PreparedClaimRecord> claims = _checkpoint.Claims;

        // 1. Prepares a kill interrupted: undo (from the intent, or from an earlier version's started record).
        var interrupted = new Dictionary<string, PreparedClaimRecord>(StringComparer.Ordinal);
        foreach (PreparedClaimRecord intent in _intents?.Claims.Values ?? [])
        {
            if (!claims.TryGetValue(intent.ClaimUid, out PreparedClaimRecord? done) || done.State != PreparedClaimState.PrepareCompleted)
            {
                interrupted[intent.ClaimUid] = intent;
            }
        }

        foreach (PreparedClaimRecord started in claims.Values.Where(r => r.State == PreparedClaimState.PrepareStarted))
        {
            interrupted.TryAdd(started.ClaimUid, started);
        }

        foreach (PreparedClaimRecord record in interrupted.Values)
        {
            await TryUndoAsync(record, cancellationToken).ConfigureAwait(false);
            _specs.Remove(record.ClaimUid);
            _metadata?.Remove(record.Namespace, record.Name, record.ClaimUid);
            LogRolledBack(_logger, Describe(record));
        }

        _checkpoint.Remove(interrupted.Keys);
        if (_intents is not null && _intents.Count > 0)
        {
            _intents.Remove([.. _intents.Claims.Keys]);
        }

        // 2. Specs of the driver's kind that no prepared claim owns (a kill between the spec and the record), and
        //    temporary files of killed writes.
        claims = _checkpoint.Claims;
        RemoveOrphans(claims);
        _metadata?.RemoveOrphans(claims);

        // 3. What a reboot (or someone) removed: write the specs again, and re-apply after a reboot.
        HashSet<string> rebooted = [.. _checkpoint.RecordsNeedingRecreation.Select(r => r.ClaimUid)];
        var recreated = new List<string>();
        var adopted = new List<PreparedClaimRecord>();
        foreach (PreparedClaimRecord record in claims.Values)
        {
            if (_metadata is not null && _metadata.Recreate(record))
            {
                LogMetadataRecreated(_logger, Describe(record));
            }

            string path = _specs.GetSpecPath(record.ClaimUid);
            bool missing = !File.Exists(path);
            if (record.CdiSpec is not { } spec)
            {
                // Recorded by an earlier version, without its spec: adopt the spec file while it is there.
                if (!missing && !rebooted.Contains(record.ClaimUid))
                {
                    adopted.Add(record with { CdiSpec = JsonDocument.Parse(File.ReadAllBytes(path)).RootElement.Clone() });
                    LogAdopted(_logger, Describe(record));
                }
                else
                {
                    LogCannotRecreate(_logger, Describe(record));
                }

                continue;
            }

            if (!missing && !rebooted.Contains(record.ClaimUid))
            {
                continue;
            }

            Rewrite(record.ClaimUid, spec);
            if (_effects is not null && rebooted.Contains(record.ClaimUid))
            {
                await _effects.ApplyAsync(ToPreparedClaim(record), cancellationToken).ConfigureAwait(false);
            }

            recreated.Add(record.ClaimUid);
            LogRecreated(_logger, Describe(record), rebooted.Contains(record.ClaimUid) ? "a reboot" : "a deletion");
        }

        if (adopted.Count > 0)
        {
            _checkpoint.MarkPrepareCompleted(adopted);
        }

        _checkpoint.MarkRecreated(recreated.Where(rebooted.Contains));
    }

    public async Task<IReadOnlyDictionary<string, PrepareResult>> PrepareResourceClaimsAsync(IReadOnlyList<PreparableClaim> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var results = new Dictionary<string, PrepareResult>(StringComparer.Ordinal);
        var pending = new List<Pending>();
        IReadOnlyDictionary<string, PreparedClaimRecord> prepared = _checkpoint.Claims;
        foreach (PreparableClaim claim in claims)
        {
            // Already prepared: the same answer again (the spec written again if it went missing).
            if (prepared.TryGetValue(claim.Uid, out PreparedClaimRecord? existing) && existing.State == PreparedClaimState.PrepareCompleted
                && (File.Exists(_specs.GetSpecPath(claim.Uid)) || TryRewrite(existing)))
            {
                if (_metadata is not null && _metadata.Recreate(existing))
                {
                    LogMetadataRecreated(_logger, claim.Reference.ToString());
                }

                LogAlreadyPrepared(_logger, claim.Reference.ToString());
                results[claim.Uid] = PrepareResult.Success(existing.Devices.Select(ToWire));
                continue;
            }

            (Pending? next, string? error) = await PlanAsync(claim, prepared, pending, cancellationToken).ConfigureAwait(false);
            if (error is not null)
            {
                results[claim.Uid] = PrepareResult.Failure(error);
            }
            else
            {
                pending.Add(next!);
            }
        }

        if (pending.Count == 0)
        {
            return results;
        }

        _intents?.MarkPrepareStarted(pending.Select(p => p.Record));
        var done = new List<Pending>(pending.Count);
        try
        {
            await ApplyAllAsync(pending, done, results, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The kubelet gave up on the call: leave nothing behind for claims it was not told about.
            foreach (Pending item in pending)
            {
                await RollBackAsync(item.Record, CancellationToken.None).ConfigureAwait(false);
            }

            _intents?.Remove([.. pending.Select(p => p.Claim.Uid)]);
            throw;
        }

        try
        {
            // The one flush of the call: from here the kubelet may be told "prepared".
            _checkpoint.MarkPrepareCompleted(done.Select(p => p.Record));
        }
        catch (IOException ex)
        {
            foreach (Pending item in done)
            {
                await RollBackAsync(item.Record, cancellationToken).ConfigureAwait(false);
                results[item.Claim.Uid] = PrepareResult.Failure($"recording the prepared claim {item.Claim.Reference} failed: {ex.Message}");
            }

            done.Clear();
        }

        if (_intents is not null)
        {
            _intents.Remove([.. pending.Select(p => p.Claim.Uid)]);
        }

        foreach (Pending item in done)
        {
            // The planned status travels with the answer (the kubelet plugin writes it afterwards); the checkpoint does not keep it.
            results[item.Claim.Uid] = PrepareResult.Success(item.Record.Devices.Select((d, i) => ToWire(d) with { Status = item.Statuses[i] }));
            LogPrepared(_logger, item.Claim.Reference.ToString(), item.Record.Devices.Count, _specs.GetSpecPath(item.Claim.Uid));
        }

        return results;
    }

    /// <summary>Writes each spec and applies each claim's side effects; a claim that fails is rolled back and answered with why.</summary>
    private async Task ApplyAllAsync(List<Pending> pending, List<Pending> done, Dictionary<string, PrepareResult> results, CancellationToken cancellationToken)
    {
        foreach (Pending item in pending)
        {
            string step = "writing the CDI spec of";
            try
            {
                _writer.WriteSerialized(item.Spec, _specs.Kind, item.Claim.Uid);
                step = "writing the device metadata of";
                foreach (MetadataWrite write in item.Metadata)
                {
                    _metadata!.Write(write);
                }

                if (_effects is not null)
                {
                    step = "applying";
                    await _effects.ApplyAsync(ToPreparedClaim(item.Record), cancellationToken).ConfigureAwait(false);
                }

                done.Add(item);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Leave nothing half-done; the kubelet retries the prepare.
                await RollBackAsync(item.Record, cancellationToken).ConfigureAwait(false);
                results[item.Claim.Uid] = PrepareResult.Failure($"{step} claim {item.Claim.Reference} failed: {ex.Message}");
                LogFailed(_logger, item.Claim.Reference.ToString(), ex.Message);
            }
        }
    }

    public async Task<IReadOnlyDictionary<string, UnprepareResult>> UnprepareResourceClaimsAsync(IReadOnlyList<ClaimReference> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var results = new Dictionary<string, UnprepareResult>(StringComparer.Ordinal);
        var removed = new List<string>();
        IReadOnlyDictionary<string, PreparedClaimRecord> prepared = _checkpoint.Claims;
        foreach (ClaimReference claim in claims)
        {
            prepared.TryGetValue(claim.Uid, out PreparedClaimRecord? record);
            try
            {
                if (record is not null && _effects is not null)
                {
                    await _effects.UndoAsync(ToPreparedClaim(record), cancellationToken).ConfigureAwait(false);
                }

                _specs.Remove(claim.Uid);
                _metadata?.Remove(claim.Namespace, claim.Name, claim.Uid);
                removed.Add(claim.Uid);
                results[claim.Uid] = UnprepareResult.Success();
                LogUnprepared(_logger, claim.ToString(), record is not null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                results[claim.Uid] = UnprepareResult.Failure($"unpreparing claim {claim} failed: {ex.Message}");
                LogFailed(_logger, claim.ToString(), ex.Message);
            }
        }

        // One flush for the call: a record that came back after a power loss would re-create what was unprepared.
        _checkpoint.Remove(removed);
        return results;
    }

    private async Task<(Pending? Pending, string? Error)> PlanAsync(
        PreparableClaim claim, IReadOnlyDictionary<string, PreparedClaimRecord> prepared, List<Pending> pending, CancellationToken cancellationToken)
    {
        ClaimPlan plan;
        try
        {
            plan = await _driver.PlanAsync(claim, cancellationToken).ConfigureAwait(false);
        }
        catch (OpaqueConfigException ex)
        {
            return (null, ex.Message);
        }

        if (plan.Error is not null)
        {
            return (null, plan.Error);
        }

        if (plan.Devices.Count == 0)
        {
            return (null, $"the driver planned no device for claim {claim.Reference}");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (PlannedDevice device in plan.Devices)
        {
            if (!names.Add(device.DeviceName))
            {
                return (null, $"device {device.PoolName}/{device.DeviceName} is planned twice for claim {claim.Reference}");
            }

            // A device belongs to one claim at a time, unless either allocation shares it (admin access, a share id).
            if (!device.IsShared && Holder(device, claim.Uid, prepared, pending) is { } holder)
            {
                return (null, $"device {device.DeviceName} is already prepared for claim {holder}");
            }
        }

        CdiSpec spec;
        byte[] json;
        try
        {
            spec = _specs.Build(claim.Uid, plan.Devices.Select(d => new CdiDevice { Name = d.DeviceName, ContainerEdits = d.Edits ?? new ContainerEdits() }), plan.ClaimEdits);
            json = _writer.Serialize(spec);
        }
        catch (Exception ex) when (ex is CdiValidationException or CdiVersionCapExceededException or ArgumentException)
        {
            return (null, $"the CDI spec of claim {claim.Reference} is not valid: {ex.Message}");
        }

        List<MetadataWrite> metadata = [];
        var metadataIds = new Dictionary<int, List<string>>();
        if (_metadata is not null)
        {
            string? podClaimName = claim.Claim.Metadata?.Annotations?.TryGetValue(DeviceMetadataFiles.PodClaimNameAnnotation, out string? n) == true ? n : null;
            try
            {
                metadata = _metadata.Build(claim.Reference.Namespace, claim.Reference.Name, claim.Uid, podClaimName, plan.Devices);
            }
            catch (DeviceMetadataTooLargeException ex)
            {
                return (null, ex.Message);
            }

            // The metadata's CDI id goes to the first device of each request.
            foreach (MetadataWrite write in metadata)
            {
                int first = plan.Devices.ToList().FindIndex(d => d.Requests.Any(r => DeviceMetadataFiles.BaseRequest(r) == write.Request));
                metadataIds.TryAdd(first, []);
                metadataIds[first].Add(_metadata.GetCdiId(claim.Uid, write.Request));
            }
        }

        var record = new PreparedClaimRecord
        {
            ClaimUid = claim.Uid,
            Namespace = claim.Reference.Namespace,
            Name = claim.Reference.Name,
            Devices = [.. plan.Devices.Select((d, i) => new PreparedDeviceRecord
            {
                PoolName = d.PoolName,
                DeviceName = d.DeviceName,
                Requests = d.Requests,
                ShareId = d.ShareId,
                AdminAccess = d.AdminAccess,
                CdiDeviceIds = [_specs.GetDeviceId(claim.Uid, d.DeviceName).ToString(), .. metadataIds.GetValueOrDefault(i) ?? []],
            })],
            DriverData = plan.DriverData,
            CdiSpec = JsonDocument.Parse(json).RootElement.Clone(),
        };
        return (new Pending(claim, record, json, metadata, [.. plan.Devices.Select(d => d.Status)]), null);
    }

    private static string? Holder(PlannedDevice device, string claimUid, IReadOnlyDictionary<string, PreparedClaimRecord> prepared, List<Pending> pending)
    {
        foreach (PreparedClaimRecord other in prepared.Values.Concat(pending.Select(p => p.Record)))
        {
            if (other.ClaimUid != claimUid
                && other.Devices.Any(d => d.PoolName == device.PoolName && d.DeviceName == device.DeviceName && !d.AdminAccess && d.ShareId is null))
            {
                return $"{other.Namespace}/{other.Name} ({other.ClaimUid})";
            }
        }

        return null;
    }

    /// <summary>Writes a prepared claim's spec again from its record; false when the record has none.</summary>
    private bool TryRewrite(PreparedClaimRecord record)
    {
        if (record.CdiSpec is not { } spec)
        {
            return false;
        }

        Rewrite(record.ClaimUid, spec);
        LogRecreated(_logger, Describe(record), "a deletion");
        return true;
    }

    /// <summary>Writes a stored spec again, validated and serialized as it was the first time.</summary>
    private void Rewrite(string claimUid, JsonElement spec) =>
        _writer.Write(CdiSpecReader.Parse(System.Text.Encoding.UTF8.GetBytes(spec.GetRawText()), _specs.GetSpecPath(claimUid)), claimUid);

    private async Task RollBackAsync(PreparedClaimRecord record, CancellationToken cancellationToken)
    {
        await TryUndoAsync(record, cancellationToken).ConfigureAwait(false);
        try
        {
            _specs.Remove(record.ClaimUid);
            _metadata?.Remove(record.Namespace, record.Name, record.ClaimUid);
        }
        catch (IOException ex)
        {
            LogUndoFailed(_logger, Describe(record), ex.Message);
        }
    }

    private async Task TryUndoAsync(PreparedClaimRecord record, CancellationToken cancellationToken)
    {
        if (_effects is null)
        {
            return;
        }

        try
        {
            await _effects.UndoAsync(ToPreparedClaim(record), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogUndoFailed(_logger, Describe(record), ex.Message);
        }
    }

    private void RemoveOrphans(IReadOnlyDictionary<string, PreparedClaimRecord> claims)
    {
        if (!Directory.Exists(_writer.SpecDirectory))
        {
            return;
        }

        AtomicFile.RemoveLeftovers(_writer.SpecDirectory, _specPrefix + "*.json");
        foreach (string path in Directory.EnumerateFiles(_writer.SpecDirectory, _specPrefix + "*.json"))
        {
            string uid = Path.GetFileName(path)[_specPrefix.Length..^".json".Length];
            if (!claims.ContainsKey(uid))
            {
                File.Delete(path);
                LogOrphanRemoved(_logger, path);
            }
        }
    }

    private PreparedClaim ToPreparedClaim(PreparedClaimRecord record)
    {
        Dictionary<string, ContainerEdits?> edits = [];
        if (record.CdiSpec is { } json && json.TryGetProperty("devices", out JsonElement devices) && devices.ValueKind == JsonValueKind.Array)
        {
            CdiSpec spec = CdiSpecReader.Parse(System.Text.Encoding.UTF8.GetBytes(json.GetRawText()), _specs.GetSpecPath(record.ClaimUid));
            foreach (CdiDevice device in spec.Devices)
            {
                edits[device.Name] = device.ContainerEdits;
            }
        }

        return new PreparedClaim
        {
            Claim = new ClaimReference(record.Namespace, record.Name, record.ClaimUid),
            Devices = [.. record.Devices.Select(d => new PlannedDevice
            {
                PoolName = d.PoolName,
                DeviceName = d.DeviceName,
                Requests = d.Requests,
                ShareId = d.ShareId,
                AdminAccess = d.AdminAccess,
                Edits = edits.GetValueOrDefault(CdiClaimSpecs.GetDeviceName(record.ClaimUid, d.DeviceName)),
                CdiDeviceIds = [.. d.CdiDeviceIds.Select(CdiDeviceId.Parse)],
            })],
            DriverData = record.DriverData,
        };
    }

    private static PreparedDevice ToWire(PreparedDeviceRecord device) =>
        new(device.PoolName, device.DeviceName, device.CdiDeviceIds) { Requests = device.Requests, ShareId = device.ShareId };

    private static string Describe(PreparedClaimRecord record) => $"{record.Namespace}/{record.Name} ({record.ClaimUid})";

    private sealed record Pending(PreparableClaim Claim, PreparedClaimRecord Record, byte[] Spec, List<MetadataWrite> Metadata, IReadOnlyList<DeviceStatus?> Statuses);

    [LoggerMessage(1, LogLevel.Information, "Claim {Claim} is already prepared")]
    private static partial void LogAlreadyPrepared(ILogger logger, string claim);

    [LoggerMessage(2, LogLevel.Information, "Prepared claim {Claim}: {DeviceCount} device(s), CDI spec {SpecPath}")]
    private static partial void LogPrepared(ILogger logger, string claim, int deviceCount, string specPath);

    [LoggerMessage(3, LogLevel.Information, "Unprepared claim {Claim} (was prepared: {WasPrepared})")]
    private static partial void LogUnprepared(ILogger logger, string claim, bool wasPrepared);

    [LoggerMessage(4, LogLevel.Warning, "Rolled back the interrupted prepare of claim {Claim}")]
    private static partial void LogRolledBack(ILogger logger, string claim);

    [LoggerMessage(5, LogLevel.Information, "Wrote the CDI spec of claim {Claim} again after {Cause}")]
    private static partial void LogRecreated(ILogger logger, string claim, string cause);

    [LoggerMessage(6, LogLevel.Warning, "Preparing or unpreparing claim {Claim} failed: {Problem}")]
    private static partial void LogFailed(ILogger logger, string claim, string problem);

    [LoggerMessage(7, LogLevel.Warning, "Undoing the side effects of claim {Claim} failed: {Problem}")]
    private static partial void LogUndoFailed(ILogger logger, string claim, string problem);

    [LoggerMessage(8, LogLevel.Information, "Removed CDI spec {Path}: no prepared claim owns it (a prepare a kill interrupted)")]
    private static partial void LogOrphanRemoved(ILogger logger, string path);

    [LoggerMessage(9, LogLevel.Information, "Adopted the CDI spec of claim {Claim}, recorded by an earlier version of the driver without it")]
    private static partial void LogAdopted(ILogger logger, string claim);

    [LoggerMessage(11, LogLevel.Information, "Wrote the device metadata of claim {Claim} again (its CDI spec or file was gone)")]
    private static partial void LogMetadataRecreated(ILogger logger, string claim);

    [LoggerMessage(10, LogLevel.Warning, "The CDI spec of claim {Claim} is gone and its record (from an earlier version of the driver) cannot write it again; the claim's next prepare does")]
    private static partial void LogCannotRecreate(ILogger logger, string claim);
}
