using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>
/// Keeps the status this driver reports for each claim and writes it in the background: one server-side apply of the
/// claim's <c>/status</c> with all of this driver's entries, under its own field manager (so other drivers' entries stay),
/// retried with backoff; a claim that is gone, replaced or refuses the write as invalid is dropped with a log.
/// </summary>
internal sealed partial class ClaimStatusReporter : IClaimDeviceStatus, IHostedService, IDisposable
{
    private readonly IKubernetes _client;
    private readonly string _driverName;
    private readonly string _fieldManager;
    private readonly ClaimDeviceStatusOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ClaimStatusReporter> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ClaimState> _claims = new(StringComparer.Ordinal);
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private Task? _worker;

    public ClaimStatusReporter(IKubernetes client, IOptions<DraDriverOptions> driverOptions, IOptions<ClaimDeviceStatusOptions> options, TimeProvider time, ILogger<ClaimStatusReporter> logger)
    {
        _client = client;
        _driverName = driverOptions.Value.DriverName;
        _options = options.Value;
        _fieldManager = string.IsNullOrEmpty(_options.FieldManager) ? _driverName : _options.FieldManager;
        _time = time;
        _logger = logger;
    }

    public void Report(ClaimReference claim, string poolName, string deviceName, DeviceStatus status, string? shareId = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(poolName);
        ArgumentException.ThrowIfNullOrEmpty(deviceName);
        ArgumentNullException.ThrowIfNull(status);
        DateTime now = _time.GetUtcNow().UtcDateTime;
        status = status with { Conditions = [.. status.Conditions.Select(c => c.LastTransitionTime == default ? Copy(c, now) : c)] };
        if (Check(status) is { } problem)
        {
            throw new ArgumentException($"the status of device {poolName}/{deviceName} for claim {claim} cannot be written: {problem}", nameof(status));
        }

        lock (_gate)
        {
            ClaimState state = StateOf(claim);
            state.Clearing = false;
            state.Devices[new DeviceKey(poolName, deviceName, shareId)] = status;
            Enqueue(claim.Uid, state);
        }
    }

    public int ReportCondition(string poolName, string deviceName, V1Condition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentException.ThrowIfNullOrEmpty(condition.Type);
        DateTime now = _time.GetUtcNow().UtcDateTime;
        int updated = 0;
        lock (_gate)
        {
            foreach ((string uid, ClaimState state) in _claims)
            {
                foreach (DeviceKey key in state.Devices.Keys.Where(k => k.Pool == poolName && k.Device == deviceName).ToList())
                {
                    DeviceStatus status = state.Devices[key];
                    V1Condition? before = status.Conditions.FirstOrDefault(c => c.Type == condition.Type);
                    if (before is not null && before.Status == condition.Status && before.Reason == condition.Reason && (before.Message ?? "") == (condition.Message ?? "")
                        && before.ObservedGeneration == condition.ObservedGeneration)
                    {
                        continue; // nothing new: no write
                    }

                    DateTime since = before is not null && before.Status == condition.Status ? before.LastTransitionTime : condition.LastTransitionTime == default ? now : condition.LastTransitionTime;
                    var conditions = status.Conditions.Where(c => c.Type != condition.Type).Append(Copy(condition, since)).ToList();
                    DeviceStatus next = status with { Conditions = conditions };
                    if (Check(next) is { } problem)
                    {
                        LogNotWritten(_logger, state.Claim.ToString(), problem);
                        continue;
                    }

                    state.Devices[key] = next;
                    Enqueue(uid, state);
                    updated++;
                }
            }
        }

        return updated;
    }

    public void Clear(ClaimReference claim)
    {
        lock (_gate)
        {
            ClaimState state = StateOf(claim);
            state.Devices.Clear();
            state.Clearing = true;
            Enqueue(claim.Uid, state);
        }
    }

    public async Task WhenWrittenAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            lock (_gate)
            {
                if (!_claims.Values.Any(s => s.Version != s.WrittenVersion))
                {
                    return;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _worker = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_worker is null)
        {
            return;
        }

        // Give queued writes (the removals of the last unprepares, say) a moment; never hold the shutdown long.
        using (var flush = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            flush.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                await WhenWrittenAsync(flush.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _worker.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>The first API limit <paramref name="status"/> exceeds, naming the field; null when it fits.</summary>
    internal static string? Check(DeviceStatus status)
    {
        if (status.Conditions.Count > DeviceStatus.MaxConditions)
        {
            return $"status.devices[].conditions has {status.Conditions.Count} conditions, more than the API allows ({DeviceStatus.MaxConditions})";
        }

        var types = new HashSet<string>(StringComparer.Ordinal);
        foreach (V1Condition c in status.Conditions)
        {
            if (string.IsNullOrEmpty(c.Type))
            {
                return "status.devices[].conditions[].type is required";
            }

            if (!types.Add(c.Type))
            {
                return $"status.devices[].conditions has type {c.Type} twice";
            }

            if (c.Status is not ("True" or "False" or "Unknown"))
            {
                return $"status.devices[].conditions[{c.Type}].status is \"{c.Status}\", not True, False or Unknown";
            }

            if (string.IsNullOrEmpty(c.Reason))
            {
                return $"status.devices[].conditions[{c.Type}].reason is required";
            }
        }

        if (status.Data is { } data)
        {
            int size = Encoding.UTF8.GetByteCount(data.ToJsonString());
            if (size > DeviceStatus.MaxDataBytes)
            {
                return $"status.devices[].data is {size} bytes, more than the API allows ({DeviceStatus.MaxDataBytes})";
            }
        }

        if (status.NetworkData is { } net)
        {
            if (net.InterfaceName is { } name && Encoding.UTF8.GetByteCount(name) > DeviceStatus.MaxInterfaceNameBytes)
            {
                return $"status.devices[].networkData.interfaceName is longer than the API allows ({DeviceStatus.MaxInterfaceNameBytes} bytes)";
            }

            if (net.HardwareAddress is { } hw && Encoding.UTF8.GetByteCount(hw) > DeviceStatus.MaxHardwareAddressBytes)
            {
                return $"status.devices[].networkData.hardwareAddress is longer than the API allows ({DeviceStatus.MaxHardwareAddressBytes} bytes)";
            }

            IList<string> ips = net.Ips ?? [];
            if (ips.Count > DeviceStatus.MaxIps)
            {
                return $"status.devices[].networkData.ips has {ips.Count} entries, more than the API allows ({DeviceStatus.MaxIps})";
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string ip in ips)
            {
                if (!ip.Contains('/', StringComparison.Ordinal) || !IPNetwork.TryParse(ip, out _) && !IsHostCidr(ip))
                {
                    return $"status.devices[].networkData.ips: \"{ip}\" is not an IP address with a prefix length (CIDR, such as 10.9.8.7/24)";
                }

                if (!seen.Add(ip))
                {
                    return $"status.devices[].networkData.ips has \"{ip}\" twice";
                }
            }
        }

        return null;
    }

    /// <summary>An interface address such as <c>10.9.8.7/24</c> (host bits set), which IPNetwork refuses.</summary>
    private static bool IsHostCidr(string text)
    {
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        return IPAddress.TryParse(text.AsSpan(0, slash), out IPAddress? address)
            && int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int prefix)
            && prefix <= (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
    }

    private static V1Condition Copy(V1Condition c, DateTime lastTransition) => new()
    {
        Type = c.Type,
        Status = c.Status,
        Reason = c.Reason,
        Message = c.Message,
        ObservedGeneration = c.ObservedGeneration,
        LastTransitionTime = lastTransition,
    };

    private ClaimState StateOf(ClaimReference claim)
    {
        if (!_claims.TryGetValue(claim.Uid, out ClaimState? state))
        {
            _claims[claim.Uid] = state = new ClaimState(claim);
        }

        return state;
    }

    /// <summary>Marks a claim as changed and queues it once; called under the lock.</summary>
    private void Enqueue(string uid, ClaimState state)
    {
        state.Version++;
        if (!state.Queued && !state.RetryScheduled)
        {
            state.Queued = true;
            _queue.Writer.TryWrite(uid);
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        await foreach (string uid in _queue.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
        {
            ClaimReference claim;
            string body;
            long version;
            int attempt;
            lock (_gate)
            {
                if (!_claims.TryGetValue(uid, out ClaimState? state))
                {
                    continue;
                }

                state.Queued = false;
                claim = state.Claim;
                version = state.Version;
                attempt = state.Attempts;
                body = Body(claim, state.Devices);
            }

            (bool done, string? error) = await WriteAsync(claim, body, stopping).ConfigureAwait(false);
            lock (_gate)
            {
                ClaimState state = _claims[uid];
                if (done)
                {
                    state.Attempts = 0;
                    state.WrittenVersion = Math.Max(state.WrittenVersion, version);
                    if (state.Version == state.WrittenVersion && state.Clearing)
                    {
                        _claims.Remove(uid);
                    }
                }
                else
                {
                    state.Attempts = attempt + 1;
                    TimeSpan delay = Backoff(state.Attempts);
                    LogRetrying(_logger, claim.ToString(), state.Attempts, delay.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s", error!);
                    state.RetryScheduled = true;
                    _ = RetryLaterAsync(uid, delay, stopping);
                }
            }
        }
    }

    private async Task RetryLaterAsync(string uid, TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_gate)
        {
            if (_claims.TryGetValue(uid, out ClaimState? state))
            {
                state.RetryScheduled = false;
                if (!state.Queued)
                {
                    state.Queued = true;
                    _queue.Writer.TryWrite(uid);
                }
            }
        }
    }

    private TimeSpan Backoff(int attempts)
    {
        double factor = Math.Pow(2, Math.Min(attempts - 1, 30));
        TimeSpan delay = TimeSpan.FromTicks((long)Math.Min(_options.InitialRetryDelay.Ticks * factor, _options.MaxRetryDelay.Ticks));
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    /// <summary>One apply; (true, null) when done or when retrying cannot help (logged), (false, why) to retry.</summary>
    private async Task<(bool Done, string? Error)> WriteAsync(ClaimReference claim, string body, CancellationToken stopping)
    {
        try
        {
            await _client.ResourceV1.PatchNamespacedResourceClaimStatusAsync(
                new V1Patch(body, V1Patch.PatchType.ApplyPatch), claim.Name, claim.Namespace, fieldManager: _fieldManager, force: true, cancellationToken: stopping)
                .ConfigureAwait(false);
            LogWritten(_logger, claim.ToString());
            return (true, null);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            LogClaimGone(_logger, claim.ToString());
            return (true, null);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest)
        {
            // The claim was replaced (another UID) or the server refuses the content: writing it again cannot help.
            LogRefused(_logger, claim.ToString(), (int)ex.Response.StatusCode, ex.Response.Content ?? ex.Message);
            return (true, null);
        }
        catch (HttpOperationException ex)
        {
            return (false, $"API server answered {(int)ex.Response.StatusCode}: {ex.Response.Content ?? ex.Message}");
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            // Unreachable, timed out, or anything else unexpected: the worker goes on and tries again later.
            return (false, ex.Message);
        }
    }

    /// <summary>The apply configuration: the claim's identity (its UID guards against a replaced claim) and this driver's entries.</summary>
    private string Body(ClaimReference claim, Dictionary<DeviceKey, DeviceStatus> devices)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "resource.k8s.io/v1");
            w.WriteString("kind", "ResourceClaim");
            w.WriteStartObject("metadata");
            w.WriteString("name", claim.Name);
            w.WriteString("namespace", claim.Namespace);
            w.WriteString("uid", claim.Uid);
            w.WriteEndObject();
            if (devices.Count > 0)
            {
                w.WriteStartObject("status");
                w.WriteStartArray("devices");
                foreach ((DeviceKey key, DeviceStatus status) in devices.OrderBy(d => d.Key.Pool, StringComparer.Ordinal).ThenBy(d => d.Key.Device, StringComparer.Ordinal))
                {
                    WriteDevice(w, key, status);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private void WriteDevice(Utf8JsonWriter w, DeviceKey key, DeviceStatus status)
    {
        w.WriteStartObject();
        w.WriteString("driver", _driverName);
        w.WriteString("pool", key.Pool);
        w.WriteString("device", key.Device);
        if (key.ShareId is not null)
        {
            w.WriteString("shareID", key.ShareId);
        }

        if (status.Conditions.Count > 0)
        {
            w.WriteStartArray("conditions");
            foreach (V1Condition c in status.Conditions)
            {
                w.WriteStartObject();
                w.WriteString("type", c.Type);
                w.WriteString("status", c.Status);
                if (c.ObservedGeneration is { } g)
                {
                    w.WriteNumber("observedGeneration", g);
                }

                w.WriteString("lastTransitionTime", c.LastTransitionTime.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                w.WriteString("reason", c.Reason);
                w.WriteString("message", c.Message ?? "");
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (status.Data is { } data)
        {
            w.WritePropertyName("data");
            data.WriteTo(w);
        }

        if (status.NetworkData is { } net)
        {
            w.WriteStartObject("networkData");
            if (!string.IsNullOrEmpty(net.InterfaceName))
            {
                w.WriteString("interfaceName", net.InterfaceName);
            }

            if (net.Ips is { Count: > 0 } ips)
            {
                w.WriteStartArray("ips");
                foreach (string ip in ips)
                {
                    w.WriteStringValue(ip);
                }

                w.WriteEndArray();
            }

            if (!string.IsNullOrEmpty(net.HardwareAddress))
            {
                w.WriteString("hardwareAddress", net.HardwareAddress);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    [LoggerMessage(70, LogLevel.Debug, "Wrote the device status of claim {Claim}")]
    private static partial void LogWritten(ILogger logger, string claim);

    [LoggerMessage(71, LogLevel.Warning, "Writing the device status of claim {Claim} failed (attempt {Attempt}, next in {RetryDelay}): {ErrorMessage}")]
    private static partial void LogRetrying(ILogger logger, string claim, int attempt, string retryDelay, string errorMessage);

    [LoggerMessage(72, LogLevel.Debug, "Claim {Claim} is gone; its device status is not written")]
    private static partial void LogClaimGone(ILogger logger, string claim);

    [LoggerMessage(73, LogLevel.Error, "The API server refused the device status of claim {Claim} ({StatusCode}); not retried: {ErrorMessage}")]
    private static partial void LogRefused(ILogger logger, string claim, int statusCode, string errorMessage);

    [LoggerMessage(74, LogLevel.Error, "The device status of claim {Claim} is not written: {ErrorMessage}")]
    internal static partial void LogNotWritten(ILogger logger, string claim, string errorMessage);

    private readonly record struct DeviceKey(string Pool, string Device, string? ShareId);

    private sealed class ClaimState(ClaimReference claim)
    {
        public ClaimReference Claim { get; } = claim;

        public Dictionary<DeviceKey, DeviceStatus> Devices { get; } = [];

        public long Version { get; set; }

        public long WrittenVersion { get; set; }

        public bool Clearing { get; set; }

        public bool Queued { get; set; }

        public bool RetryScheduled { get; set; }

        public int Attempts { get; set; }
    }
}
