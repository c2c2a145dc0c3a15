using System.Text.Json.Serialization;

namespace DraSdk.Cdi;

/// <summary>Changes the container runtime applies to a container's OCI spec for a device (or a whole spec).</summary>
public sealed record ContainerEdits
{
    /// <summary>Environment variables as <c>KEY=VALUE</c> (<c>KEY=</c> is allowed). Later values win per key.</summary>
    [JsonPropertyName("env")]
    [JsonPropertyOrder(0)]
    public IReadOnlyList<string>? Env { get; init; }

    /// <summary>Device nodes to create in the container.</summary>
    [JsonPropertyName("deviceNodes")]
    [JsonPropertyOrder(1)]
    public IReadOnlyList<DeviceNode>? DeviceNodes { get; init; }

    /// <summary>Hooks to add to the container's OCI spec.</summary>
    [JsonPropertyName("hooks")]
    [JsonPropertyOrder(2)]
    public IReadOnlyList<Hook>? Hooks { get; init; }

    /// <summary>Mounts to add to the container.</summary>
    [JsonPropertyName("mounts")]
    [JsonPropertyOrder(3)]
    public IReadOnlyList<Mount>? Mounts { get; init; }

    /// <summary>Intel RDT settings (needs cdiVersion 0.7.0 whenever set, even when empty).</summary>
    [JsonPropertyName("intelRdt")]
    [JsonPropertyOrder(4)]
    public IntelRdt? IntelRdt { get; init; }

    /// <summary>Extra group ids for the container's process (needs cdiVersion 0.7.0 when non-empty; 0 is ignored).</summary>
    [JsonPropertyName("additionalGids")]
    [JsonPropertyOrder(5)]
    public IReadOnlyList<uint>? AdditionalGids { get; init; }

    /// <summary>Host network interfaces to move into the container (needs cdiVersion 1.1.0 when non-empty).</summary>
    [JsonPropertyName("netDevices")]
    [JsonPropertyOrder(6)]
    public IReadOnlyList<LinuxNetDevice>? NetDevices { get; init; }

    /// <summary>
    /// <see langword="true"/> when these edits change nothing: every list is null or empty and <see cref="IntelRdt"/> is
    /// null. A device's edits must not be empty.
    /// </summary>
    [JsonIgnore]
    public bool IsEmpty =>
        IsNullOrEmpty(Env) && IsNullOrEmpty(DeviceNodes) && IsNullOrEmpty(Hooks) && IsNullOrEmpty(Mounts) &&
        IntelRdt is null && IsNullOrEmpty(AdditionalGids) && IsNullOrEmpty(NetDevices);

    private static bool IsNullOrEmpty<T>(IReadOnlyList<T>? list) => list is null || list.Count == 0;
}

/// <summary>A device node to create in the container.</summary>
public sealed record DeviceNode
{
    /// <summary>The absolute path of the node inside the container, e.g. <c>/dev/nvidia0</c>.</summary>
    [JsonPropertyName("path")]
    [JsonPropertyOrder(0)]
    public required string Path { get; init; }

    /// <summary>
    /// The path of the node on the host when it differs from <see cref="Path"/> (needs cdiVersion 0.5.0). This is the
    /// host's view, not the driver container's.
    /// </summary>
    [JsonPropertyName("hostPath")]
    [JsonPropertyOrder(1)]
    public string? HostPath { get; init; }

    /// <summary>
    /// The node type: <c>b</c> (block), <c>c</c> or <c>u</c> (character), <c>p</c> (FIFO). When it and the numbers are
    /// omitted the runtime reads them from the host node.
    /// </summary>
    [JsonPropertyName("type")]
    [JsonPropertyOrder(2)]
    public string? Type { get; init; }

    /// <summary>The device's major number.</summary>
    [JsonPropertyName("major")]
    [JsonPropertyOrder(3)]
    public long? Major { get; init; }

    /// <summary>The device's minor number.</summary>
    [JsonPropertyName("minor")]
    [JsonPropertyOrder(4)]
    public long? Minor { get; init; }

    /// <summary>The node's permission bits, e.g. <c>0o666</c> (written as the decimal number 438).</summary>
    [JsonPropertyName("fileMode")]
    [JsonPropertyOrder(5)]
    public uint? FileMode { get; init; }

    /// <summary>Cgroup device access: letters from <c>rwm</c> (read, write, mknod).</summary>
    [JsonPropertyName("permissions")]
    [JsonPropertyOrder(6)]
    public string? Permissions { get; init; }

    /// <summary>The node's owner inside the container (0 is a real value).</summary>
    [JsonPropertyName("uid")]
    [JsonPropertyOrder(7)]
    public uint? Uid { get; init; }

    /// <summary>The node's group inside the container (0 is a real value).</summary>
    [JsonPropertyName("gid")]
    [JsonPropertyOrder(8)]
    public uint? Gid { get; init; }
}

/// <summary>A mount to add to the container.</summary>
public sealed record Mount
{
    /// <summary>The source on the host (for a bind mount, the host path).</summary>
    [JsonPropertyName("hostPath")]
    [JsonPropertyOrder(0)]
    public required string HostPath { get; init; }

    /// <summary>The absolute destination inside the container.</summary>
    [JsonPropertyName("containerPath")]
    [JsonPropertyOrder(1)]
    public required string ContainerPath { get; init; }

    /// <summary>Mount options; include <c>bind</c> or <c>rbind</c> for bind mounts.</summary>
    [JsonPropertyName("options")]
    [JsonPropertyOrder(2)]
    public IReadOnlyList<string>? Options { get; init; }

    /// <summary>The mount type, e.g. <c>bind</c> or <c>tmpfs</c> (needs cdiVersion 0.4.0 when set).</summary>
    [JsonPropertyName("type")]
    [JsonPropertyOrder(3)]
    public string? Type { get; init; }
}

/// <summary>An OCI hook to add to the container.</summary>
public sealed record Hook
{
    /// <summary>When the hook runs; one of <see cref="CdiHookNames"/>.</summary>
    [JsonPropertyName("hookName")]
    [JsonPropertyOrder(0)]
    public required string HookName { get; init; }

    /// <summary>The absolute path of the hook binary on the host.</summary>
    [JsonPropertyName("path")]
    [JsonPropertyOrder(1)]
    public required string Path { get; init; }

    /// <summary>The hook's arguments, including <c>argv[0]</c>.</summary>
    [JsonPropertyName("args")]
    [JsonPropertyOrder(2)]
    public IReadOnlyList<string>? Args { get; init; }

    /// <summary>The hook's environment as <c>KEY=VALUE</c>.</summary>
    [JsonPropertyName("env")]
    [JsonPropertyOrder(3)]
    public IReadOnlyList<string>? Env { get; init; }

    /// <summary>The hook's timeout in seconds; greater than 0 when set.</summary>
    [JsonPropertyName("timeout")]
    [JsonPropertyOrder(4)]
    public int? Timeout { get; init; }
}

/// <summary>Intel Resource Director Technology settings for the container (cdiVersion 0.7.0 and later).</summary>
public sealed record IntelRdt
{
    /// <summary>The class of service: <c>/</c> or a file name (no <c>/</c> or newline, not <c>.</c> or <c>..</c>).</summary>
    [JsonPropertyName("closID")]
    [JsonPropertyOrder(0)]
    public string? ClosId { get; init; }

    /// <summary>The L3 cache schema.</summary>
    [JsonPropertyName("l3CacheSchema")]
    [JsonPropertyOrder(1)]
    public string? L3CacheSchema { get; init; }

    /// <summary>The memory bandwidth schema.</summary>
    [JsonPropertyName("memBwSchema")]
    [JsonPropertyOrder(2)]
    public string? MemBwSchema { get; init; }

    /// <summary>Schemata lines (needs cdiVersion 1.1.0 whenever set, even when empty).</summary>
    [JsonPropertyName("schemata")]
    [JsonPropertyOrder(3)]
    public IReadOnlyList<string>? Schemata { get; init; }

    /// <summary>Enables resctrl monitoring (needs cdiVersion 1.1.0 when <see langword="true"/>).</summary>
    [JsonPropertyName("enableMonitoring")]
    [JsonPropertyOrder(4)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool EnableMonitoring { get; init; }
}

/// <summary>A host network interface moved into the container's network namespace (cdiVersion 1.1.0 and later).</summary>
public sealed record LinuxNetDevice
{
    /// <summary>The interface's name on the host.</summary>
    [JsonPropertyName("hostInterfaceName")]
    [JsonPropertyOrder(0)]
    public required string HostInterfaceName { get; init; }

    /// <summary>The interface's name inside the container.</summary>
    [JsonPropertyName("name")]
    [JsonPropertyOrder(1)]
    public required string Name { get; init; }
}

/// <summary>The hook names a CDI <see cref="Hook"/> may use.</summary>
public static class CdiHookNames
{
    /// <summary>Deprecated by OCI; prefer <see cref="CreateRuntime"/>.</summary>
    public const string Prestart = "prestart";

    /// <summary>Runs in the runtime namespace after the container is created, before pivot_root.</summary>
    public const string CreateRuntime = "createRuntime";

    /// <summary>Runs in the container namespace after the container is created, before pivot_root.</summary>
    public const string CreateContainer = "createContainer";

    /// <summary>Runs in the container namespace just before the user process starts.</summary>
    public const string StartContainer = "startContainer";

    /// <summary>Runs in the runtime namespace after the user process starts.</summary>
    public const string Poststart = "poststart";

    /// <summary>Runs in the runtime namespace after the container is deleted.</summary>
    public const string Poststop = "poststop";

    /// <summary>Whether <paramref name="name"/> is one of the hook names above (case-sensitive).</summary>
    /// <param name="name">The hook name to check.</param>
    /// <returns><see langword="true"/> for a valid hook name.</returns>
    public static bool IsValid(string? name) => name is Prestart or CreateRuntime or CreateContainer or StartContainer or Poststart or Poststop;
}
