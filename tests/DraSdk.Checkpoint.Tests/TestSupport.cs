using Microsoft.Extensions.Logging;

namespace DraSdk.Checkpoint.Tests;

/// <summary>A temporary checkpoint directory, a boot id file, a clock and a logger that records.</summary>
internal sealed class CheckpointFixture : IDisposable
{
    public CheckpointFixture(string bootId = "boot-1")
    {
        Root = Path.Combine(Path.GetTempPath(), "drasdk-checkpoint-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        CheckpointDirectory = Path.Combine(Root, "plugin");
        BootIdPath = Path.Combine(Root, "boot_id");
        SetBootId(bootId);
    }

    public string Root { get; }

    public string CheckpointDirectory { get; }

    public string BootIdPath { get; }

    public string CheckpointPath => Path.Combine(CheckpointDirectory, PreparedClaimStoreOptions.DefaultFileName);

    public FixedTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero));

    public ListLogger Logger { get; } = new();

    public long MaxFileSizeBytes { get; set; } = 64L * 1024 * 1024;

    public PreparedClaimStoreOptions Options => new()
    {
        CheckpointDirectory = CheckpointDirectory,
        BootIdPath = BootIdPath,
        TimeProvider = Time,
        MaxFileSizeBytes = MaxFileSizeBytes,
    };

    public void SetBootId(string bootId) => File.WriteAllText(BootIdPath, bootId + "\n");

    public Task<PreparedClaimStore> OpenAsync() =>
        PreparedClaimStore.OpenAsync(Options, Logger, TestContext.Current.CancellationToken);

    public string[] SetAsideFiles() =>
        Directory.Exists(CheckpointDirectory)
            ? Directory.GetFiles(CheckpointDirectory, PreparedClaimStoreOptions.DefaultFileName + ".corrupt-*")
            : [];

    public string[] TempFiles() =>
        Directory.Exists(CheckpointDirectory)
            ? Directory.GetFiles(CheckpointDirectory, "." + PreparedClaimStoreOptions.DefaultFileName + ".tmp-*")
            : [];

    /// <summary>Makes every temporary file look older than the grace period that protects a save in progress.</summary>
    public void AgeTempFiles()
    {
        foreach (string temp in TempFiles())
        {
            File.SetLastWriteTimeUtc(temp, DateTime.UtcNow - PreparedClaimStore.LeftoverGracePeriod - TimeSpan.FromMinutes(1));
        }
    }

    /// <summary>Replaces the checkpoint the way another writer would: a new file renamed over it.</summary>
    public void ReplaceCheckpoint(byte[] content)
    {
        string temp = Path.Combine(CheckpointDirectory, "other-writer.tmp");
        File.WriteAllBytes(temp, content);
        File.Move(temp, CheckpointPath, overwrite: true);
    }

    public void WriteCheckpoint(byte[] content)
    {
        Directory.CreateDirectory(CheckpointDirectory);
        File.WriteAllBytes(CheckpointPath, content);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static PreparedClaimRecord Claim(string uid, int devices = 1, string? driverDataJson = null) => new()
    {
        ClaimUid = uid,
        Namespace = "ns-" + uid,
        Name = "claim-" + uid,
        Devices =
        [
            .. Enumerable.Range(0, devices).Select(i => new PreparedDeviceRecord
            {
                Requests = ["req-" + i, "other"],
                PoolName = "node-a",
                DeviceName = $"gpu-{i}",
                CdiDeviceIds = [$"k8s.gpu.example.com/claim={uid}-gpu-{i}"],
                ShareId = i % 2 == 1 ? $"share-{i}" : null,
            }),
        ],
        DriverData = driverDataJson is null ? null : System.Text.Json.JsonDocument.Parse(driverDataJson).RootElement.Clone(),
    };
}

internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

internal sealed record LogEntry(LogLevel Level, EventId EventId, string Message, Exception? Exception);

internal sealed class ListLogger : ILogger
{
    private readonly List<LogEntry> _entries = [];

    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add(new LogEntry(logLevel, eventId, formatter(state, exception), exception));
        }
    }
}
