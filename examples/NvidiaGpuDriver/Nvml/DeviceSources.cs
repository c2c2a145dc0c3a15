using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace NvidiaGpuDriver.Nvml;

/// <summary>Something that happened to a GPU (by UUID): an XID error, the GPU lost, removed, or recovered.</summary>
internal sealed record GpuEvent(string Uuid, GpuEventKind Kind, long? Xid = null, string? Detail = null);

/// <summary>Where the driver's knowledge of the GPUs comes from: NVML, or a replayed snapshot of NVML's answers.</summary>
internal interface IGpuDeviceSource : IDisposable
{
    /// <summary><c>nvml (/usr/lib/.../libnvidia-ml.so.1)</c> or <c>replay:/path/nvml.json</c>.</summary>
    string Description { get; }

    bool IsReplay { get; }

    /// <summary>NVML's answers now.</summary>
    /// <exception cref="NvmlException">NVML is not usable.</exception>
    /// <exception cref="SnapshotFormatException">The replay snapshot is unusable.</exception>
    NvmlSnapshot Read();

    /// <summary>Health events of the given GPUs until cancelled.</summary>
    IAsyncEnumerable<GpuEvent> WatchAsync(IReadOnlyCollection<string> gpuUuids, CancellationToken cancellationToken);
}

/// <summary>The replay backend: a snapshot file instead of NVML, with events from the snapshot and injected by tests.</summary>
internal sealed class ReplayDeviceSource(string path) : IGpuDeviceSource
{
    private readonly Channel<GpuEvent> _injected = Channel.CreateUnbounded<GpuEvent>();
    private NvmlSnapshot? _snapshot;

    public string Path { get; } = path;

    public string Description => "replay:" + Path;

    public bool IsReplay => true;

    public NvmlSnapshot Read() => _snapshot ??= NvmlSnapshot.Load(Path);

    /// <summary>Plays an event as if NVML had reported it.</summary>
    public void Inject(GpuEvent gpuEvent) => _injected.Writer.TryWrite(gpuEvent);

    public async IAsyncEnumerable<GpuEvent> WatchAsync(IReadOnlyCollection<string> gpuUuids, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var merged = Channel.CreateUnbounded<GpuEvent>();
        var start = DateTimeOffset.UtcNow;
        async Task PlayScheduledAsync()
        {
            foreach (ReplayEventRecord e in Read().Events.OrderBy(e => e.After))
            {
                TimeSpan wait = e.After - (DateTimeOffset.UtcNow - start);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                }

                await merged.Writer.WriteAsync(new GpuEvent(e.Uuid, e.Kind, e.Xid, "replayed from the snapshot"), cancellationToken).ConfigureAwait(false);
            }
        }

        async Task ForwardInjectedAsync()
        {
            await foreach (GpuEvent e in _injected.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await merged.Writer.WriteAsync(e, cancellationToken).ConfigureAwait(false);
            }
        }

        Task scheduled = PlayScheduledAsync();
        Task injected = ForwardInjectedAsync();
        try
        {
            await foreach (GpuEvent e in merged.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return e;
            }
        }
        finally
        {
            await Task.WhenAll(scheduled, injected).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    public void Dispose() => _injected.Writer.TryComplete();
}

/// <summary>The NVML backend: libnvidia-ml.so.1 from under the driver root.</summary>
internal sealed partial class NvmlDeviceSource(string driverRoot, string procRoot, ILogger logger) : IGpuDeviceSource
{
    private readonly Lock _gate = new();
    private NvmlLibrary? _nvml;
    private Thread? _eventThread;

    public string Description => "nvml" + (_nvml is null ? string.Empty : $" ({_nvml.Path})");

    public bool IsReplay => false;

    public NvmlLibrary Library
    {
        get
        {
            lock (_gate)
            {
                return _nvml ??= NvmlLibrary.Open(driverRoot);
            }
        }
    }

    public NvmlSnapshot Read()
    {
        NvmlLibrary nvml = Library;
        lock (_gate)
        {
            return NvmlSnapshot.FromJson(NvmlCapture.Capture(nvml, procRoot), "nvml");
        }
    }

    /// <summary>
    /// Registers every GPU for XID and ECC events and waits for them on a dedicated thread. A GPU that cannot be
    /// registered is logged as unmonitored; a wait answering GPU_IS_LOST becomes a lost event for each GPU that is.
    /// </summary>
    public async IAsyncEnumerable<GpuEvent> WatchAsync(IReadOnlyCollection<string> gpuUuids, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        NvmlLibrary nvml = Library;
        Answer<nint> set = nvml.EventSetCreate();
        if (!set.HasValue)
        {
            LogUnmonitored(logger, "all", set.Error!);
            yield break;
        }

        var handles = new Dictionary<nint, string>();
        Answer<int> count = nvml.DeviceCount();
        for (int i = 0; i < (count.HasValue ? count.Value : 0); i++)
        {
            Answer<nint> h = nvml.DeviceHandle(i);
            Answer<string> uuid = h.HasValue ? nvml.Uuid(h.Value) : Answer<string>.Failed(h.Error!);
            if (!uuid.HasValue || !gpuUuids.Contains(uuid.Value))
            {
                continue;
            }

            Answer<ulong> supported = nvml.SupportedEventTypes(h.Value);
            ulong wanted = NvmlLibrary.EventTypeXidCriticalError | NvmlLibrary.EventTypeDoubleBitEccError;
            ulong types = supported.HasValue ? supported.Value & wanted : NvmlLibrary.EventTypeXidCriticalError;
            int rc = nvml.RegisterEvents(h.Value, types, set.Value);
            if (rc != NvmlReturn.Success)
            {
                LogUnmonitored(logger, uuid.Value, nvml.Describe(rc));
                continue;
            }

            handles[h.Value] = uuid.Value;
        }

        var channel = Channel.CreateUnbounded<GpuEvent>();
        var thread = new Thread(() => WaitLoop(nvml, set.Value, handles, channel.Writer, cancellationToken)) { IsBackground = true, Name = "nvml-events" };
        _eventThread = thread;
        thread.Start();
        await foreach (GpuEvent e in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return e;
        }
    }

    private void WaitLoop(NvmlLibrary nvml, nint set, Dictionary<nint, string> handles, ChannelWriter<GpuEvent> writer, CancellationToken cancellationToken)
    {
        var lost = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                int rc = nvml.WaitForEvent(set, 1000, out NvmlEventData data);
                if (rc == NvmlReturn.Timeout)
                {
                    continue;
                }

                if (rc == NvmlReturn.Success)
                {
                    if (handles.TryGetValue(data.Device, out string? uuid))
                    {
                        bool isXid = (data.EventType & NvmlLibrary.EventTypeXidCriticalError) != 0;
                        writer.TryWrite(isXid
                            ? new GpuEvent(uuid, GpuEventKind.Xid, (long)data.EventData, $"XID {data.EventData}")
                            : new GpuEvent(uuid, GpuEventKind.Xid, 48, "double-bit ECC error"));
                    }

                    continue;
                }

                if (rc == NvmlReturn.GpuIsLost)
                {
                    foreach ((nint handle, string uuid) in handles)
                    {
                        if (!lost.Contains(uuid) && nvml.MinorNumber(handle) is { HasValue: false, Error: { } e } && e.StartsWith(NvmlReturn.Name(NvmlReturn.GpuIsLost), StringComparison.Ordinal))
                        {
                            lost.Add(uuid);
                            writer.TryWrite(new GpuEvent(uuid, GpuEventKind.GpuLost, null, e));
                        }
                    }

                    Thread.Sleep(1000);
                    continue;
                }

                LogWaitFailed(logger, nvml.Describe(rc));
                Thread.Sleep(1000);
            }
        }
        finally
        {
            nvml.EventSetFree(set);
            writer.TryComplete();
        }
    }

    public void Dispose()
    {
        // The event thread waits at most 1 s per call; let it finish before NVML is shut down under it.
        _eventThread?.Join(TimeSpan.FromSeconds(3));
        lock (_gate)
        {
            _nvml?.Dispose();
            _nvml = null;
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "GPU {Uuid} is not monitored for health events: {Error}")]
    private static partial void LogUnmonitored(ILogger logger, string uuid, string error);

    [LoggerMessage(2, LogLevel.Warning, "Waiting for NVML events failed: {Error}")]
    private static partial void LogWaitFailed(ILogger logger, string error);
}
