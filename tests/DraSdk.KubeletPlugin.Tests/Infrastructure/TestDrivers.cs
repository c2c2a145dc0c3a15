using System.Collections.Concurrent;
using DraSdk.KubeletPlugin;

namespace DraSdk.KubeletPlugin.Tests.Infrastructure;

/// <summary>Records what the SDK hands the driver and answers with one CDI id per device.</summary>
internal sealed class RecordingDriver(ConcurrencyProbe? sharedProbe = null) : IDraDriver
{
    private int _inFlight;

    public ConcurrentQueue<PreparableClaim> Prepared { get; } = new();

    public ConcurrentQueue<ClaimReference> Unprepared { get; } = new();

    public Func<PreparableClaim, PrepareResult>? OnPrepare { get; set; }

    public Func<Task>? BeforeEachCall { get; set; }

    public Exception? ThrowOnPrepare { get; set; }

    public int MaxConcurrency { get; private set; }

    public async Task<IReadOnlyDictionary<string, PrepareResult>> PrepareResourceClaimsAsync(IReadOnlyList<PreparableClaim> claims, CancellationToken cancellationToken)
    {
        Enter();
        try
        {
            if (BeforeEachCall is not null)
            {
                await BeforeEachCall();
            }

            if (ThrowOnPrepare is not null)
            {
                throw ThrowOnPrepare;
            }

            var results = new Dictionary<string, PrepareResult>();
            foreach (PreparableClaim claim in claims)
            {
                Prepared.Enqueue(claim);
                results[claim.Uid] = OnPrepare?.Invoke(claim) ?? PrepareResult.Success(claim.Devices.Select(d =>
                    PreparedDevice.For(d, [$"k8s.gpu.example.com/gpu={claim.Uid}-{d.Device}"])));
            }

            return results;
        }
        finally
        {
            Leave();
        }
    }

    public async Task<IReadOnlyDictionary<string, UnprepareResult>> UnprepareResourceClaimsAsync(IReadOnlyList<ClaimReference> claims, CancellationToken cancellationToken)
    {
        Enter();
        try
        {
            if (BeforeEachCall is not null)
            {
                await BeforeEachCall();
            }

            foreach (ClaimReference claim in claims)
            {
                Unprepared.Enqueue(claim);
            }

            return claims.ToDictionary(c => c.Uid, _ => UnprepareResult.Success());
        }
        finally
        {
            Leave();
        }
    }

    private void Enter()
    {
        int now = Interlocked.Increment(ref _inFlight);
        lock (this)
        {
            MaxConcurrency = Math.Max(MaxConcurrency, now);
        }

        sharedProbe?.Enter();
    }

    private void Leave()
    {
        Interlocked.Decrement(ref _inFlight);
        sharedProbe?.Leave();
    }
}

/// <summary>Counts calls in flight across several drivers (several hosts) to see whether they overlap.</summary>
internal sealed class ConcurrencyProbe
{
    private int _inFlight;
    private int _max;

    public int MaxConcurrency => Volatile.Read(ref _max);

    public void Enter()
    {
        int now = Interlocked.Increment(ref _inFlight);
        int seen;
        do
        {
            seen = Volatile.Read(ref _max);
        }
        while (now > seen && Interlocked.CompareExchange(ref _max, now, seen) != seen);
    }

    public void Leave() => Interlocked.Decrement(ref _inFlight);
}

/// <summary>Settings for the config-decoding driver.</summary>
internal sealed class SharingConfig
{
    public string? ApiVersion { get; set; }

    public string? Kind { get; set; }

    public int Replicas { get; set; }
}

/// <summary>A per-claim driver (the DraDriver base) that decodes its opaque config.</summary>
internal sealed class ConfigDecodingDriver : DraDriver
{
    public List<int> ReplicasSeen { get; } = [];

    protected override ValueTask<PrepareResult> PrepareClaimAsync(PreparableClaim claim, CancellationToken cancellationToken)
    {
        foreach (OpaqueDeviceConfig config in claim.Configs)
        {
            SharingConfig parsed = config.Deserialize<SharingConfig>();
            if (parsed.Replicas < 1)
            {
                throw new OpaqueConfigException(config.Path + ".replicas", "must be at least 1", null);
            }

            ReplicasSeen.Add(parsed.Replicas);
        }

        return ValueTask.FromResult(PrepareResult.Success(claim.Devices.Select(d => PreparedDevice.For(d, [$"k8s.gpu.example.com/gpu={d.Device}"]))));
    }

    protected override ValueTask<UnprepareResult> UnprepareClaimAsync(ClaimReference claim, CancellationToken cancellationToken) =>
        ValueTask.FromResult(UnprepareResult.Success());
}

/// <summary>A driver with start-up work: records what it saw when it ran.</summary>
internal sealed class StartupDriver(Microsoft.Extensions.Options.IOptions<DraDriverOptions> options) : DraDriver, IDraDriverStartup
{
    public static Exception? FailWith { get; set; }

    public bool Started { get; private set; }

    public bool SocketExistedAtStartup { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (FailWith is not null)
        {
            throw FailWith;
        }

        SocketExistedAtStartup = File.Exists(Path.Combine(options.Value.EffectivePluginDataDirectoryPath, "dra.sock"));
        Started = true;
        return Task.CompletedTask;
    }

    protected override ValueTask<PrepareResult> PrepareClaimAsync(PreparableClaim claim, CancellationToken cancellationToken) =>
        ValueTask.FromResult(PrepareResult.Failure(Started ? "started" : "not started"));

    protected override ValueTask<UnprepareResult> UnprepareClaimAsync(ClaimReference claim, CancellationToken cancellationToken) =>
        ValueTask.FromResult(UnprepareResult.Success());
}
