using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DraSdk.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DraSdk.Checkpoint;

/// <summary>Settings of a <see cref="DriverStateFile{T}"/>.</summary>
public sealed class DriverStateFileOptions
{
    /// <summary>
    /// Whether the state belongs to the node's boot: state saved in an earlier boot reads as none (e.g. device taints
    /// that a reboot clears). Default: true.
    /// </summary>
    public bool BootScoped { get; set; } = true;

    /// <summary>Where the current boot id is read; null or a missing file means the boot is not known (state is kept).</summary>
    public string? BootIdPath { get; set; } = PreparedClaimStoreOptions.DefaultBootIdPath;

    /// <summary>Whether each save is flushed to disk (file and directory) before it returns. Default: true.</summary>
    public bool Durable { get; set; } = true;

    /// <summary>The file's mode. Default: 0600.</summary>
    public UnixFileMode FileMode { get; set; } = UnixFileMode.UserRead | UnixFileMode.UserWrite;
}

/// <summary>
/// A small state file of a driver's own (beside the checkpoint, e.g. the device taints it keeps across restarts): saved
/// atomically (a kill leaves the old state or the new, never a mix), scoped to the node's boot when asked, and a file
/// that cannot be read is set aside with a warning, never a reason for the driver to stop. The content is
/// <c>{"bootId":"…","data":…}</c>, with <typeparamref name="T"/> source-generated (trim- and AOT-safe).
/// </summary>
/// <typeparam name="T">The state.</typeparam>
public sealed partial class DriverStateFile<T>
    where T : class
{
    private readonly JsonTypeInfo<T> _typeInfo;
    private readonly DriverStateFileOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates the file's handle; nothing is read or written until <see cref="Load"/> or <see cref="Save"/>.</summary>
    /// <param name="path">The file, e.g. <c>Path.Combine(pluginDataDirectory, "device-taints.json")</c>.</param>
    /// <param name="typeInfo">The state's source-generated metadata.</param>
    /// <param name="options">Boot scope, durability and mode; defaults when null.</param>
    /// <param name="logger">Where a set-aside file is reported.</param>
    public DriverStateFile(string path, JsonTypeInfo<T> typeInfo, DriverStateFileOptions? options = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(typeInfo);
        Path = System.IO.Path.GetFullPath(path);
        _typeInfo = typeInfo;
        _options = options ?? new DriverStateFileOptions();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>
    /// Reads the state: null when there is none, when it was saved in an earlier boot (<see cref="DriverStateFileOptions.BootScoped"/>),
    /// or when the file cannot be read (it is then moved to <c>&lt;path&gt;.corrupt-&lt;UTC time&gt;</c> and a warning logged).
    /// </summary>
    public T? Load()
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(Path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogUnreadable(_logger, Path, ex.Message);
            return null;
        }

        string? savedBoot;
        T? state;
        try
        {
            using JsonDocument document = JsonDocument.Parse(content);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out JsonElement data))
            {
                throw new JsonException("the file has no \"data\"");
            }

            savedBoot = root.TryGetProperty("bootId", out JsonElement boot) && boot.ValueKind == JsonValueKind.String ? boot.GetString() : null;
            state = data.Deserialize(_typeInfo);
        }
        catch (JsonException ex)
        {
            string aside = $"{Path}.corrupt-{DateTime.UtcNow:yyyyMMddTHHmmssfffZ}";
            try
            {
                File.Move(Path, aside, overwrite: true);
            }
            catch (IOException)
            {
            }

            LogSetAside(_logger, Path, ex.Message, aside);
            return null;
        }

        if (_options.BootScoped && CurrentBootId() is { } current && savedBoot != current)
        {
            LogEarlierBoot(_logger, Path);
            return null;
        }

        return state;
    }

    /// <summary>Saves the state atomically (flushed unless <see cref="DriverStateFileOptions.Durable"/> is off), with the current boot id.</summary>
    /// <param name="state">The state.</param>
    /// <exception cref="IOException">The file could not be written; the previous state is still there.</exception>
    public void Save(T state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (CurrentBootId() is { } boot)
            {
                writer.WriteString("bootId"u8, boot);
            }

            writer.WritePropertyName("data"u8);
            JsonSerializer.Serialize(writer, state, _typeInfo);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        AtomicFile.RemoveLeftovers(System.IO.Path.GetDirectoryName(Path)!, System.IO.Path.GetFileName(Path));
        AtomicFile.Write(Path, buffer.ToArray(), _options.FileMode, _options.Durable);
    }

    /// <summary>Removes the file; false when there was none.</summary>
    public bool Delete() => AtomicFile.Delete(Path, _options.Durable);

    private string? CurrentBootId()
    {
        try
        {
            return _options.BootIdPath is { Length: > 0 } path && File.Exists(path) ? Encoding.UTF8.GetString(File.ReadAllBytes(path)).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "State file {Path} cannot be read ({Problem}); set aside as {Aside}, starting without it")]
    private static partial void LogSetAside(ILogger logger, string path, string problem, string aside);

    [LoggerMessage(3, LogLevel.Warning, "State file {Path} cannot be read ({Problem}); starting without it")]
    private static partial void LogUnreadable(ILogger logger, string path, string problem);

    [LoggerMessage(2, LogLevel.Information, "State file {Path} was saved before the node rebooted; starting without it")]
    private static partial void LogEarlierBoot(ILogger logger, string path);
}
