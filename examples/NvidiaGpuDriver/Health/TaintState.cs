using System.Text.Json;
using System.Text.Json.Serialization;
using DraSdk.Checkpoint;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace NvidiaGpuDriver.Health;

/// <summary>
/// The taints health events put on devices, kept beside the prepared-claims checkpoint (<c>device-taints.json</c> in
/// the plugin data directory) so that a restart of the driver — a crash, a rolling update — does not make a broken
/// GPU schedulable again. A reboot clears them (a boot-scoped <see cref="DriverStateFile{T}"/>): after a reboot a GPU
/// starts healthy until NVML reports otherwise.
/// </summary>
internal sealed class TaintState(IOptions<PreparedClaimStoreOptions> checkpoint, ILogger<TaintState> logger)
{
    public const string FileName = "device-taints.json";

    private readonly DriverStateFile<Dictionary<string, List<V1DeviceTaint>>> _file = new(
        Path.Combine(checkpoint.Value.CheckpointDirectory, FileName),
        TaintJson.Default.DictionaryStringListV1DeviceTaint,
        new DriverStateFileOptions { BootIdPath = checkpoint.Value.BootIdPath },
        logger);

    /// <summary>The taints saved in this boot, by device name; empty after a reboot or when there are none.</summary>
    public Dictionary<string, List<V1DeviceTaint>> Load() => new(_file.Load() ?? [], StringComparer.Ordinal);

    /// <summary>Saves the devices' taints (atomically).</summary>
    public void Save(IReadOnlyDictionary<string, List<V1DeviceTaint>> taints) =>
        _file.Save(new Dictionary<string, List<V1DeviceTaint>>(taints.Where(t => t.Value.Count > 0), StringComparer.Ordinal));
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Dictionary<string, List<V1DeviceTaint>>))]
internal sealed partial class TaintJson : JsonSerializerContext;
