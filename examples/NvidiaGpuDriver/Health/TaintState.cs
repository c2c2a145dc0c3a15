using System.Text.Json;
using DraSdk.Checkpoint;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace NvidiaGpuDriver.Health;

/// <summary>
/// The taints health events put on devices, kept beside the prepared-claims checkpoint (<c>device-taints.json</c> in
/// the plugin data directory) so that a restart of the driver — a crash, a rolling update — does not make a broken
/// GPU schedulable again. A reboot clears them: the file records the boot id, and after a reboot a GPU starts
/// healthy until NVML reports otherwise. A file that cannot be read is set aside and ignored; writes are atomic.
/// </summary>
internal sealed partial class TaintState(IOptions<PreparedClaimStoreOptions> checkpoint, ILogger<TaintState> logger)
{
    public const string FileName = "device-taints.json";

    private string FilePath => Path.Combine(checkpoint.Value.CheckpointDirectory, FileName);

    /// <summary>The taints saved in this boot, by device name; empty after a reboot or when there are none.</summary>
    public Dictionary<string, List<V1DeviceTaint>> Load()
    {
        var taints = new Dictionary<string, List<V1DeviceTaint>>(StringComparer.Ordinal);
        string path = FilePath;
        if (!File.Exists(path))
        {
            return taints;
        }

        TaintFile? file;
        try
        {
            file = KubernetesJson.Deserialize<TaintFile>(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            string aside = $"{path}.corrupt-{DateTime.UtcNow:yyyyMMddTHHmmssZ}";
            TrySetAside(path, aside);
            LogSetAside(logger, path, aside, ex.Message);
            return taints;
        }

        string? bootId = CurrentBootId();
        if (file?.Taints is null || (bootId is not null && file.BootId != bootId))
        {
            LogClearedByReboot(logger, path);
            return taints;
        }

        foreach ((string device, List<V1DeviceTaint> list) in file.Taints)
        {
            taints[device] = list;
        }

        LogRestored(logger, taints.Count, path);
        return taints;
    }

    /// <summary>Saves the taints (atomically: a temporary file, flushed, then renamed over the old one).</summary>
    public void Save(IReadOnlyDictionary<string, List<V1DeviceTaint>> taints)
    {
        string path = FilePath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = $"{path}.{Environment.ProcessId}.tmp";
        var file = new TaintFile { BootId = CurrentBootId(), Taints = new Dictionary<string, List<V1DeviceTaint>>(taints.Where(t => t.Value.Count > 0), StringComparer.Ordinal) };
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(KubernetesJson.Serialize(file));
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    private string? CurrentBootId()
    {
        string? bootIdPath = checkpoint.Value.BootIdPath;
        try
        {
            return string.IsNullOrEmpty(bootIdPath) || !File.Exists(bootIdPath) ? null : File.ReadAllText(bootIdPath).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void TrySetAside(string path, string aside)
    {
        try
        {
            File.Move(path, aside, overwrite: true);
        }
        catch (IOException)
        {
        }
    }

    [LoggerMessage(40, LogLevel.Information, "Restored the taints of {Count} device(s) from {Path}")]
    private static partial void LogRestored(ILogger logger, int count, string path);

    [LoggerMessage(41, LogLevel.Information, "The node rebooted since {Path} was written: device taints start empty")]
    private static partial void LogClearedByReboot(ILogger logger, string path);

    [LoggerMessage(42, LogLevel.Warning, "Device taints in {Path} cannot be read ({Problem}); set aside as {Aside}, starting without taints")]
    private static partial void LogSetAside(ILogger logger, string path, string aside, string problem);

    /// <summary>The file's content.</summary>
    private sealed class TaintFile
    {
        public string? BootId { get; set; }

        public Dictionary<string, List<V1DeviceTaint>>? Taints { get; set; }
    }
}
