using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NvidiaGpuDriver.Nvml;

/// <summary>A snapshot that cannot be used at all (not JSON, no device list...), with where the problem is.</summary>
internal sealed class SnapshotFormatException : Exception
{
    public SnapshotFormatException()
    {
    }

    public SnapshotFormatException(string message)
        : base(message)
    {
    }

    public SnapshotFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// NVML's answers for one node, in the format of <c>shared/fixtures/nvidia/*/nvml.json</c> (see the driver's README
/// for the format and this driver's compatible extensions). Backed by the JSON itself, so a snapshot reads back
/// exactly as it was written and fields this driver does not know survive a round trip. Fields are checked when read:
/// a malformed or refused (<c>ERR:</c>) value is an <see cref="Answer{T}"/> error, never an exception.
/// </summary>
internal sealed class NvmlSnapshot
{
    public const string ErrorPrefix = "ERR:";

    private NvmlSnapshot(JsonObject root, string source, IReadOnlyList<GpuRecord> devices, IReadOnlyList<ReplayEventRecord> events)
    {
        Root = root;
        Source = source;
        Devices = devices;
        Events = events;
    }

    public JsonObject Root { get; }

    /// <summary>Where the snapshot came from: a file path, or <c>nvml</c>.</summary>
    public string Source { get; }

    public IReadOnlyList<GpuRecord> Devices { get; }

    /// <summary>Replay only: events to play back after start (an extension of the format).</summary>
    public IReadOnlyList<ReplayEventRecord> Events { get; }

    public Answer<string> DriverVersion => SnapshotFields.String(Root, "driverVersion", string.Empty);

    public Answer<int> CudaDriverVersion => SnapshotFields.Int(Root, "cudaDriverVersion", string.Empty);

    public Answer<string> NvmlVersion => SnapshotFields.String(Root, "nvmlVersion", string.Empty);

    public static NvmlSnapshot Load(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SnapshotFormatException($"cannot read the NVML snapshot {path}: {ex.Message}", ex);
        }

        return Parse(json, path);
    }

    public static NvmlSnapshot Parse(string json, string source)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new SnapshotFormatException($"the NVML snapshot {source} is not valid JSON: {ex.Message}", ex);
        }

        if (node is not JsonObject root)
        {
            throw new SnapshotFormatException($"the NVML snapshot {source} must be a JSON object with a \"devices\" array, not {Kind(node)}");
        }

        return FromJson(root, source);
    }

    public static NvmlSnapshot FromJson(JsonObject root, string source)
    {
        if (root["devices"] is not JsonArray array)
        {
            throw new SnapshotFormatException($"the NVML snapshot {source} has no \"devices\" array (found {Kind(root["devices"])})");
        }

        var devices = new List<GpuRecord>(array.Count);
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject device)
            {
                throw new SnapshotFormatException($"the NVML snapshot {source}: devices[{i}] must be an object, not {Kind(array[i])}");
            }

            devices.Add(new GpuRecord(device, $"devices[{i}]"));
        }

        var events = new List<ReplayEventRecord>();
        if (root["events"] is { } eventsNode)
        {
            if (eventsNode is not JsonArray eventArray)
            {
                throw new SnapshotFormatException($"the NVML snapshot {source}: \"events\" must be an array, not {Kind(eventsNode)}");
            }

            for (int i = 0; i < eventArray.Count; i++)
            {
                events.Add(ReplayEventRecord.Parse(eventArray[i], $"events[{i}]", source));
            }
        }

        return new NvmlSnapshot(root, source, devices, events);
    }

    public string ToJson() => Root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    internal static string Kind(JsonNode? node) => node switch
    {
        null => "null or nothing",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => $"the string \"{v.GetValue<string>()}\"",
            JsonValueKind.Number => $"the number {v.ToJsonString()}",
            JsonValueKind.True or JsonValueKind.False => $"the boolean {v.ToJsonString()}",
            _ => v.ToJsonString(),
        },
        _ => node.ToJsonString(),
    };
}

/// <summary>Typed, checked reads of snapshot fields.</summary>
internal static class SnapshotFields
{
    public static Answer<string> String(JsonObject obj, string name, string path) => ReadRef(obj, name, path, "a string", v =>
        v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null);

    public static Answer<long> Long(JsonObject obj, string name, string path) => ReadValue<long>(obj, name, path, "an integer", v =>
        v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out long l) ? l
        : v.GetValueKind() == JsonValueKind.Number && long.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long p) ? p
        : null);

    public static Answer<int> Int(JsonObject obj, string name, string path)
    {
        Answer<long> l = Long(obj, name, path);
        return l.HasValue
            ? l.Value is >= int.MinValue and <= int.MaxValue ? Answer<int>.Of((int)l.Value) : Answer<int>.Failed($"{Where(path, name)}: {l.Value} is out of range")
            : l.Error is { } e ? Answer<int>.Failed(e) : Answer<int>.Absent;
    }

    /// <summary>A pair of integers such as <c>computeCapability</c> [9, 0] or <c>migMode</c> [current, pending].</summary>
    public static Answer<(int First, int Second)> Pair(JsonObject obj, string name, string path)
    {
        JsonNode? node = obj[name];
        if (node is null)
        {
            return obj.ContainsKey(name) ? Answer<(int, int)>.Failed($"{Where(path, name)}: null") : Answer<(int, int)>.Absent;
        }

        if (RefusedBy(node) is { } refused)
        {
            return Answer<(int, int)>.Failed(refused);
        }

        if (node is JsonArray { Count: 2 } a && a[0] is JsonValue x && a[1] is JsonValue y
            && x.GetValueKind() == JsonValueKind.Number && y.GetValueKind() == JsonValueKind.Number
            && x.TryGetValue(out int first) && y.TryGetValue(out int second))
        {
            return Answer<(int, int)>.Of((first, second));
        }

        return Answer<(int, int)>.Failed($"{Where(path, name)}: expected two integers, got {NvmlSnapshot.Kind(node)}");
    }

    public static Answer<IReadOnlyList<string>> Strings(JsonObject obj, string name, string path)
    {
        JsonNode? node = obj[name];
        if (node is null)
        {
            return Answer<IReadOnlyList<string>>.Absent;
        }

        if (RefusedBy(node) is { } refused)
        {
            return Answer<IReadOnlyList<string>>.Failed(refused);
        }

        if (node is JsonArray a && a.All(e => e is JsonValue v && v.GetValueKind() == JsonValueKind.String))
        {
            return Answer<IReadOnlyList<string>>.Of([.. a.Select(e => e!.GetValue<string>())]);
        }

        return Answer<IReadOnlyList<string>>.Failed($"{Where(path, name)}: expected an array of strings, got {NvmlSnapshot.Kind(node)}");
    }

    /// <summary>The NVML error of a refused call (<c>"ERR:NVMLError_NotSupported:Not Supported"</c>), or null.</summary>
    public static string? RefusedBy(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { } s
            && s.StartsWith(NvmlSnapshot.ErrorPrefix, StringComparison.Ordinal)
            ? s[NvmlSnapshot.ErrorPrefix.Length..]
            : null;

    /// <summary>The snapshot form of an answer: the value, or <c>ERR:...</c> for an error.</summary>
    public static JsonNode? ToNode<T>(Answer<T> answer, Func<T, JsonNode?> value) =>
        answer.HasValue ? value(answer.Value) : answer.Error is { } e ? JsonValue.Create(NvmlSnapshot.ErrorPrefix + e) : null;

    private static Answer<T> ReadRef<T>(JsonObject obj, string name, string path, string expected, Func<JsonValue, T?> convert)
        where T : notnull
    {
        JsonNode? node = obj[name];
        if (node is null)
        {
            return obj.ContainsKey(name) ? Answer<T>.Failed($"{Where(path, name)}: null") : Answer<T>.Absent;
        }

        if (RefusedBy(node) is { } refused)
        {
            return Answer<T>.Failed(refused);
        }

        if (node is JsonValue v && convert(v) is { } value)
        {
            return Answer<T>.Of(value);
        }

        return Answer<T>.Failed($"{Where(path, name)}: expected {expected}, got {NvmlSnapshot.Kind(node)}");
    }

    private static Answer<T> ReadValue<T>(JsonObject obj, string name, string path, string expected, Func<JsonValue, T?> convert)
        where T : struct
    {
        JsonNode? node = obj[name];
        if (node is null)
        {
            return obj.ContainsKey(name) ? Answer<T>.Failed($"{Where(path, name)}: null") : Answer<T>.Absent;
        }

        if (RefusedBy(node) is { } refused)
        {
            return Answer<T>.Failed(refused);
        }

        if (node is JsonValue v && convert(v) is { } value)
        {
            return Answer<T>.Of(value);
        }

        return Answer<T>.Failed($"{Where(path, name)}: expected {expected}, got {NvmlSnapshot.Kind(node)}");
    }

    private static string Where(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}

/// <summary>One GPU in a snapshot.</summary>
internal sealed class GpuRecord(JsonObject obj, string path)
{
    public JsonObject Json { get; } = obj;

    /// <summary>Where it is in the snapshot, e.g. <c>devices[2]</c>.</summary>
    public string Path { get; } = path;

    public Answer<int> Index => SnapshotFields.Int(Json, "index", Path);

    public Answer<int> Minor => SnapshotFields.Int(Json, "minor", Path);

    public Answer<string> Name => SnapshotFields.String(Json, "name", Path);

    public Answer<string> Uuid => SnapshotFields.String(Json, "uuid", Path);

    public Answer<string> Serial => SnapshotFields.String(Json, "serial", Path);

    public Answer<int> Brand => SnapshotFields.Int(Json, "brand", Path);

    public Answer<int> Architecture => SnapshotFields.Int(Json, "architecture", Path);

    public Answer<(int First, int Second)> ComputeCapability => SnapshotFields.Pair(Json, "computeCapability", Path);

    public Answer<long> MemoryTotal => SnapshotFields.Long(Json, "memoryTotal", Path);

    public Answer<string> PciBusId => SnapshotFields.String(Json, "pciBusId", Path);

    public Answer<(int First, int Second)> MigMode => SnapshotFields.Pair(Json, "migMode", Path);

    public Answer<int> NumaNode => SnapshotFields.Int(Json, "numaNode", Path);

    public Answer<int> Multiprocessors => SnapshotFields.Int(Json, "multiprocessors", Path);

    /// <summary>Whether MIG mode is on now (current mode 1); a refused or absent MIG mode counts as off.</summary>
    public bool MigEnabled => MigMode is { HasValue: true, Value.First: 1 };

    public IReadOnlyList<MigDeviceRecord> MigDevices =>
        Json["migDevices"] is JsonArray a
            ? [.. a.Select((d, i) => d is JsonObject o ? new MigDeviceRecord(o, $"{Path}.migDevices[{i}]") : null).OfType<MigDeviceRecord>()]
            : [];

    /// <summary>Entries of <c>migDevices</c> that are not objects, for a clear message.</summary>
    public IEnumerable<string> MalformedMigDevices =>
        Json["migDevices"] switch
        {
            null => [],
            JsonArray a => a.Select((d, i) => d is JsonObject ? null : $"{Path}.migDevices[{i}]: must be an object, not {NvmlSnapshot.Kind(d)}").OfType<string>(),
            JsonNode other => [$"{Path}.migDevices: must be an array, not {NvmlSnapshot.Kind(other)}"],
        };
}

/// <summary>One existing MIG device of a GPU in MIG mode (static MIG).</summary>
internal sealed class MigDeviceRecord(JsonObject obj, string path)
{
    public JsonObject Json { get; } = obj;

    public string Path { get; } = path;

    public Answer<int> Index => SnapshotFields.Int(Json, "index", Path);

    public Answer<string> Uuid => SnapshotFields.String(Json, "uuid", Path);

    public Answer<string> Profile => SnapshotFields.String(Json, "profile", Path);

    public Answer<int> GiProfileId => SnapshotFields.Int(Json, "giProfileId", Path);

    public Answer<int> CiProfileId => SnapshotFields.Int(Json, "ciProfileId", Path);

    public Answer<int> GiId => SnapshotFields.Int(Json, "giId", Path);

    public Answer<int> CiId => SnapshotFields.Int(Json, "ciId", Path);

    public Answer<int> PlacementStart => SnapshotFields.Int(Json, "placementStart", Path);

    public Answer<int> PlacementSize => SnapshotFields.Int(Json, "placementSize", Path);

    public Answer<long> MemoryTotal => SnapshotFields.Long(Json, "memoryTotal", Path);

    public Answer<int> Multiprocessors => SnapshotFields.Int(Json, "multiprocessors", Path);

    public Answer<int> CopyEngines => SnapshotFields.Int(Json, "copyEngines", Path);

    public Answer<int> Decoders => SnapshotFields.Int(Json, "decoders", Path);

    public Answer<int> Encoders => SnapshotFields.Int(Json, "encoders", Path);

    public Answer<int> JpegEngines => SnapshotFields.Int(Json, "jpegEngines", Path);

    public Answer<int> OfaEngines => SnapshotFields.Int(Json, "ofaEngines", Path);

    public Answer<IReadOnlyList<string>> CapabilityDevices => SnapshotFields.Strings(Json, "capabilityDevices", Path);
}

/// <summary>What happens to a GPU in a replayed event.</summary>
internal enum GpuEventKind
{
    /// <summary>An XID error (<c>xid</c> gives the number).</summary>
    Xid,

    /// <summary>The GPU is lost (fell off the bus); NVML answers GPU_IS_LOST.</summary>
    GpuLost,

    /// <summary>The GPU disappeared from the node: no longer published.</summary>
    Removed,

    /// <summary>The GPU is back and healthy (clears its taints).</summary>
    Recovered,
}

/// <summary>
/// An event in a replay snapshot (<c>"events": [{"afterMs": 2000, "uuid": "GPU-…", "type": "xid", "xid": 79}]</c>).
/// </summary>
internal sealed record ReplayEventRecord(TimeSpan After, string Uuid, GpuEventKind Kind, long? Xid)
{
    public static ReplayEventRecord Parse(JsonNode? node, string path, string source)
    {
        if (node is not JsonObject o)
        {
            throw new SnapshotFormatException($"the NVML snapshot {source}: {path} must be an object, not {NvmlSnapshot.Kind(node)}");
        }

        Answer<long> after = SnapshotFields.Long(o, "afterMs", path);
        Answer<string> uuid = SnapshotFields.String(o, "uuid", path);
        Answer<string> type = SnapshotFields.String(o, "type", path);
        Answer<long> xid = SnapshotFields.Long(o, "xid", path);
        string? problem =
            after.Error ?? uuid.Error ?? type.Error ?? xid.Error
            ?? (uuid.HasValue ? null : $"{path}.uuid: required")
            ?? (type.HasValue ? null : $"{path}.type: required (xid, gpuLost, removed or recovered)")
            ?? (after is { HasValue: true, Value: < 0 } ? $"{path}.afterMs: must not be negative" : null);
        GpuEventKind kind = default;
        if (problem is null)
        {
            switch (type.Value)
            {
                case "xid": kind = GpuEventKind.Xid; break;
                case "gpuLost": kind = GpuEventKind.GpuLost; break;
                case "removed": kind = GpuEventKind.Removed; break;
                case "recovered": kind = GpuEventKind.Recovered; break;
                default: problem = $"{path}.type: must be xid, gpuLost, removed or recovered, not '{type.Value}'"; break;
            }
        }

        if (problem is null && kind == GpuEventKind.Xid && !xid.HasValue)
        {
            problem = $"{path}.xid: required for an xid event";
        }

        return problem is null
            ? new ReplayEventRecord(TimeSpan.FromMilliseconds(after.HasValue ? after.Value : 0), uuid.Value!, kind, xid.HasValue ? xid.Value : null)
            : throw new SnapshotFormatException($"the NVML snapshot {source}: {problem}");
    }
}
