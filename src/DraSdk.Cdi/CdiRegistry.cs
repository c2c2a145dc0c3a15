using System.Diagnostics.CodeAnalysis;
using DraSdk.Cdi.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DraSdk.Cdi;

/// <summary>
/// The CDI specs of a list of directories, read the way the container runtimes' CDI cache reads them, answering
/// "which devices exist" and "what will a container that gets these devices get". Thread-safe: <see cref="Refresh"/>
/// swaps in a new snapshot, and every other member reads the current one.
/// </summary>
/// <remarks>
/// <para>Each directory is read without recursion; only <c>*.json</c> and <c>*.yaml</c> files are loaded, in name
/// order (so a writer's temporary files, <c>.name.json.tmp-*</c>, are never read). A file that fails to read, parse
/// or validate is skipped and its problems are kept in <see cref="Errors"/>; other files still load.</para>
/// <para>A directory's priority is its index in the list: a device defined in a later directory replaces one of
/// the same qualified name in an earlier one. When two files of the <b>same</b> priority define the same device, the
/// device is dropped altogether (whatever other directories define) and an error is recorded against both files,
/// as the runtimes do.</para>
/// </remarks>
public sealed class CdiRegistry
{
    private readonly ILogger _logger;
    private volatile Snapshot _snapshot = Snapshot.Empty;

    /// <summary>Creates the registry and reads the directories.</summary>
    /// <param name="specDirectories">The directories, lowest priority first; <see langword="null"/> for
    /// <see cref="DefaultSpecDirectories"/>. Missing directories are fine (they hold no specs).</param>
    /// <param name="logger">Logs skipped files and conflicts; <see langword="null"/> for none.</param>
    /// <exception cref="ArgumentException">A directory is empty.</exception>
    public CdiRegistry(IEnumerable<string>? specDirectories = null, ILogger<CdiRegistry>? logger = null)
    {
        List<string> directories = [.. specDirectories ?? DefaultSpecDirectories];
        foreach (string directory in directories)
        {
            if (string.IsNullOrWhiteSpace(directory))
            {
                throw new ArgumentException("A CDI spec directory is empty.", nameof(specDirectories));
            }
        }

        SpecDirectories = directories.Select(Path.GetFullPath).ToArray();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        Refresh();
    }

    /// <summary>The runtimes' default directories, lowest priority first: <c>/etc/cdi</c>, then <c>/var/run/cdi</c>.</summary>
    public static IReadOnlyList<string> DefaultSpecDirectories { get; } =
        [CdiSpecWriterOptions.StaticSpecDirectory, CdiSpecWriterOptions.DefaultSpecDirectory];

    /// <summary>The directories read, lowest priority first (full paths).</summary>
    public IReadOnlyList<string> SpecDirectories { get; }

    /// <summary>The specs loaded by the last refresh, in the order read (by priority, then file name).</summary>
    public IReadOnlyList<CdiRegistrySpec> Specs => _snapshot.Specs;

    /// <summary>The devices that resolve, ordered by qualified name.</summary>
    public IReadOnlyList<CdiRegistryDevice> Devices => _snapshot.Devices;

    /// <summary>
    /// Every problem of the last refresh: files that could not be read, parsed or validated, and devices defined twice
    /// at the same priority (recorded against both files).
    /// </summary>
    public IReadOnlyList<CdiSpecError> Errors => _snapshot.Errors;

    /// <summary>Reads the directories again and replaces what the registry holds.</summary>
    public void Refresh()
    {
        var specs = new List<CdiRegistrySpec>();
        var errors = new List<CdiSpecError>();
        for (int priority = 0; priority < SpecDirectories.Count; priority++)
        {
            string directory = SpecDirectories[priority];
            string[] files;
            try
            {
                files = Directory.Exists(directory)
                    ? [.. Directory.EnumerateFiles(directory)
                        .Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".yaml", StringComparison.Ordinal))
                        .Order(StringComparer.Ordinal)]
                    : [];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add(new CdiSpecError(directory, null, $"cannot read the directory: {e.Message}"));
                RegistryLog.DirectoryUnreadable(_logger, directory, e.Message);
                continue;
            }

            foreach (string file in files)
            {
                if (CdiSpecReader.TryRead(file, out CdiSpec? spec, out IReadOnlyList<CdiSpecError> fileErrors))
                {
                    specs.Add(new CdiRegistrySpec(file, priority, spec));
                }
                else
                {
                    errors.AddRange(fileErrors);
                    RegistryLog.SpecSkipped(_logger, file, string.Join("; ", fileErrors.Select(e => e.Field is null ? e.Message : $"{e.Field}: {e.Message}")));
                }
            }
        }

        var devices = new Dictionary<string, CdiRegistryDevice>(StringComparer.Ordinal);
        var conflicts = new HashSet<string>(StringComparer.Ordinal);
        foreach (CdiRegistrySpec spec in specs)
        {
            CdiKind kind = CdiKind.Parse(spec.Spec.Kind);
            for (int i = 0; i < spec.Spec.Devices.Count; i++)
            {
                var device = new CdiRegistryDevice(kind.Device(spec.Spec.Devices[i].Name), spec.Spec.Devices[i], spec);
                string name = device.Id.ToString();
                if (devices.TryGetValue(name, out CdiRegistryDevice? other) && other.Spec.Priority == spec.Priority)
                {
                    conflicts.Add(name);
                    string message = $"conflicting device {name}: defined by {other.Spec.Path} and {spec.Path} at the same priority; both are ignored";
                    errors.Add(new CdiSpecError(other.Spec.Path, $"devices[{IndexOf(other)}].name", message));
                    errors.Add(new CdiSpecError(spec.Path, $"devices[{i}].name", message));
                    RegistryLog.Conflict(_logger, name, other.Spec.Path, spec.Path);
                    continue;
                }

                devices[name] = device;
            }
        }

        foreach (string conflict in conflicts)
        {
            devices.Remove(conflict);
        }

        _snapshot = new Snapshot(
            specs,
            devices,
            [.. devices.Values.OrderBy(d => d.Id.ToString(), StringComparer.Ordinal)],
            errors);
        RegistryLog.Refreshed(_logger, specs.Count, devices.Count, errors.Count);
    }

    /// <summary>Looks up a device by its qualified name.</summary>
    /// <param name="qualifiedName"><c>vendor/class=name</c>.</param>
    /// <param name="device">The device, when it resolves.</param>
    /// <returns><see langword="true"/> when the device resolves.</returns>
    public bool TryGetDevice(string qualifiedName, [NotNullWhen(true)] out CdiRegistryDevice? device)
    {
        ArgumentNullException.ThrowIfNull(qualifiedName);
        return _snapshot.ByName.TryGetValue(qualifiedName, out device);
    }

    /// <summary>
    /// The edits a container that gets <paramref name="qualifiedNames"/> receives, merged in the order the runtimes
    /// apply them (see the remarks).
    /// </summary>
    /// <remarks>
    /// For each device in the order given (repeats ignored): its spec's spec-level edits the first time a device of
    /// that spec comes up, then the device's edits. An environment variable set twice keeps the last value; a device
    /// node or mount replaces an earlier one with the same container path; hooks add up in order; additional gids add
    /// up without 0 or repeats; the last <c>intelRdt</c> wins; mounts are sorted by the depth of their container path.
    /// The runtime fills in a device node's missing type and numbers from the host node; that is not done here.
    /// </remarks>
    /// <param name="qualifiedNames">The devices, <c>vendor/class=name</c>, as the kubelet or <c>--device</c> passes them.</param>
    /// <returns>The merged edits.</returns>
    /// <exception cref="KeyNotFoundException">A device does not resolve; the message lists every one that does not,
    /// like the runtimes' <c>unresolvable CDI devices</c>.</exception>
    public ContainerEdits GetContainerEdits(IEnumerable<string> qualifiedNames) =>
        TryGetContainerEdits(qualifiedNames, out ContainerEdits? edits, out IReadOnlyList<string> unresolved)
            ? edits
            : throw new KeyNotFoundException($"unresolvable CDI devices {string.Join(", ", unresolved)}");

    /// <summary>Like <see cref="GetContainerEdits"/>, reporting the devices that do not resolve instead of throwing.</summary>
    /// <param name="qualifiedNames">The devices, <c>vendor/class=name</c>.</param>
    /// <param name="edits">The merged edits, when every device resolves.</param>
    /// <param name="unresolved">The names that do not resolve; empty on success.</param>
    /// <returns><see langword="true"/> when every device resolves.</returns>
    public bool TryGetContainerEdits(IEnumerable<string> qualifiedNames, [NotNullWhen(true)] out ContainerEdits? edits, out IReadOnlyList<string> unresolved)
    {
        ArgumentNullException.ThrowIfNull(qualifiedNames);
        Snapshot snapshot = _snapshot;
        var missing = new List<string>();
        var requested = new List<CdiRegistryDevice>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in qualifiedNames)
        {
            if (!seen.Add(name))
            {
                continue;
            }

            if (snapshot.ByName.TryGetValue(name, out CdiRegistryDevice? device))
            {
                requested.Add(device);
            }
            else
            {
                missing.Add(name);
            }
        }

        unresolved = missing;
        if (missing.Count > 0)
        {
            edits = null;
            return false;
        }

        var merger = new EditsMerger();
        var specsApplied = new HashSet<CdiRegistrySpec>(ReferenceEqualityComparer.Instance);
        foreach (CdiRegistryDevice device in requested)
        {
            if (specsApplied.Add(device.Spec))
            {
                merger.Apply(device.Spec.Spec.ContainerEdits);
            }

            merger.Apply(device.Device.ContainerEdits);
        }

        edits = merger.Build();
        return true;
    }

    private static int IndexOf(CdiRegistryDevice device)
    {
        IReadOnlyList<CdiDevice> devices = device.Spec.Spec.Devices;
        for (int i = 0; i < devices.Count; i++)
        {
            if (ReferenceEquals(devices[i], device.Device))
            {
                return i;
            }
        }

        return -1;
    }

    private sealed record Snapshot(
        IReadOnlyList<CdiRegistrySpec> Specs,
        Dictionary<string, CdiRegistryDevice> ByName,
        IReadOnlyList<CdiRegistryDevice> Devices,
        IReadOnlyList<CdiSpecError> Errors)
    {
        public static Snapshot Empty { get; } = new([], new Dictionary<string, CdiRegistryDevice>(StringComparer.Ordinal), [], []);
    }
}

/// <summary>A spec file loaded by <see cref="CdiRegistry"/>.</summary>
/// <param name="Path">The file's full path.</param>
/// <param name="Priority">Its directory's index in <see cref="CdiRegistry.SpecDirectories"/>; higher wins.</param>
/// <param name="Spec">The spec.</param>
public sealed record CdiRegistrySpec(string Path, int Priority, CdiSpec Spec);

/// <summary>A device that resolves in a <see cref="CdiRegistry"/>.</summary>
/// <param name="Id">Its qualified name.</param>
/// <param name="Device">The device as defined in the spec.</param>
/// <param name="Spec">The spec file that defines it.</param>
public sealed record CdiRegistryDevice(CdiDeviceId Id, CdiDevice Device, CdiRegistrySpec Spec);
