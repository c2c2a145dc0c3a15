using DraSdk.Cdi.Internal;
using DraSdk.Internal;

namespace DraSdk.Cdi;

/// <summary>
/// Validates CDI specs and writes them atomically as <c>vendor-class[_id].json</c> (mode 0644) with the lowest
/// cdiVersion their content needs, refusing specs the target runtime could not read. Thread-safe; it keeps no state.
/// </summary>
public sealed class CdiSpecWriter
{
    private const UnixFileMode FileMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const UnixFileMode DirectoryMode = FileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private readonly CdiVersion _floor;
    private readonly CdiVersion? _cap;
    private readonly bool _durable;

    /// <summary>Creates a writer.</summary>
    /// <param name="options">The settings; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The directory is empty, or the floor is above the cap.</exception>
    public CdiSpecWriter(CdiSpecWriterOptions? options = null)
    {
        options ??= new CdiSpecWriterOptions();
        if (string.IsNullOrWhiteSpace(options.SpecDirectory))
        {
            throw new ArgumentException("The CDI spec directory is empty.", nameof(options));
        }

        _floor = CdiVersion.Max(options.MinimumVersion ?? CdiVersion.V0_3_0, CdiVersion.V0_3_0);
        _cap = options.MaximumVersion;
        _durable = options.Durable;
        if (_cap is { } cap && _floor > cap)
        {
            throw new ArgumentException(
                $"The CDI version floor {_floor} is above the target runtime's maximum {cap}.", nameof(options));
        }

        SpecDirectory = Path.GetFullPath(options.SpecDirectory);
    }

    /// <summary>The full path of the directory specs are written to.</summary>
    public string SpecDirectory { get; }

    /// <summary>The highest cdiVersion the target runtime reads, if capped.</summary>
    public CdiVersion? MaximumVersion => _cap;

    /// <summary>
    /// Validates <paramref name="spec"/>, picks its cdiVersion and writes it atomically (a temporary file in the same
    /// directory, fsync, mode 0644, rename), replacing any earlier file of the same name.
    /// </summary>
    /// <param name="spec">The spec; its <see cref="CdiSpec.Version"/> may be left null.</param>
    /// <param name="transientId">For a transient spec, the id that makes its file name unique (e.g. a claim UID):
    /// the file is <c>vendor-class_id.json</c>, with <c>/</c> in the id replaced by <c>_</c>.</param>
    /// <returns>The file written and the version chosen.</returns>
    /// <exception cref="CdiValidationException">The spec is invalid; every problem is listed with its field path.</exception>
    /// <exception cref="CdiVersionCapExceededException">The spec needs a newer cdiVersion than the target runtime reads.</exception>
    /// <exception cref="ArgumentException"><paramref name="transientId"/> cannot be part of a file name.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public CdiSpecFile Write(CdiSpec spec, string? transientId = null)
    {
        (byte[] json, CdiKind kind, CdiVersion version, CdiVersionRequirement requirement) = Prepare(spec);
        string path = GetSpecPath(kind, transientId);
        if (!OperatingSystem.IsWindows() && !Directory.Exists(SpecDirectory))
        {
            Directory.CreateDirectory(SpecDirectory, DirectoryMode);
        }

        AtomicFile.RemoveLeftovers(SpecDirectory, Path.GetFileName(path));
        AtomicFile.Write(path, json, FileMode, _durable);
        return new CdiSpecFile(path, version, requirement);
    }

    /// <summary>
    /// Writes the bytes <see cref="Serialize"/> returned for a spec of <paramref name="kind"/> as its file, atomically,
    /// without validating or serializing it again: for a caller that serialized the spec already (to keep it elsewhere
    /// too). The bytes are written as they are; give only what <see cref="Serialize"/> returned.
    /// </summary>
    /// <param name="serializedSpec">The spec's JSON, as <see cref="Serialize"/> returned it.</param>
    /// <param name="kind">The spec's kind.</param>
    /// <param name="transientId">The transient id, if any.</param>
    /// <returns>The path written.</returns>
    /// <exception cref="IOException">The file could not be written.</exception>
    public string WriteSerialized(ReadOnlySpan<byte> serializedSpec, CdiKind kind, string? transientId = null)
    {
        string path = GetSpecPath(kind, transientId);
        if (!OperatingSystem.IsWindows() && !Directory.Exists(SpecDirectory))
        {
            Directory.CreateDirectory(SpecDirectory, DirectoryMode);
        }

        AtomicFile.RemoveLeftovers(SpecDirectory, Path.GetFileName(path));
        AtomicFile.Write(path, serializedSpec, FileMode, _durable);
        return path;
    }

    /// <summary>
    /// Validates <paramref name="spec"/>, picks its cdiVersion and returns the exact bytes <see cref="Write"/> would
    /// write: indented JSON, properties in spec order, annotation keys sorted, empty optional fields left out.
    /// </summary>
    /// <param name="spec">The spec.</param>
    /// <returns>UTF-8 JSON.</returns>
    /// <exception cref="CdiValidationException">The spec is invalid.</exception>
    /// <exception cref="CdiVersionCapExceededException">The spec needs a newer cdiVersion than the target runtime reads.</exception>
    public byte[] Serialize(CdiSpec spec) => Prepare(spec).Json;

    /// <summary>Removes the spec file for <paramref name="kind"/> (and <paramref name="transientId"/>); a missing file is fine.</summary>
    /// <param name="kind">The spec's kind.</param>
    /// <param name="transientId">The transient id the spec was written with, if any.</param>
    /// <returns><see langword="true"/> when a file was removed, <see langword="false"/> when there was none.</returns>
    /// <exception cref="ArgumentException"><paramref name="transientId"/> cannot be part of a file name.</exception>
    public bool Remove(CdiKind kind, string? transientId = null)
    {
        string path = GetSpecPath(kind, transientId);
        AtomicFile.RemoveLeftovers(SpecDirectory, Path.GetFileName(path));
        return AtomicFile.Delete(path, _durable);
    }

    /// <summary>The full path the spec for <paramref name="kind"/> (and <paramref name="transientId"/>) is written to.</summary>
    /// <param name="kind">The spec's kind.</param>
    /// <param name="transientId">The transient id, if any.</param>
    /// <returns><c>SpecDirectory/vendor-class[_id].json</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="transientId"/> cannot be part of a file name, or the kind is default.</exception>
    public string GetSpecPath(CdiKind kind, string? transientId = null) =>
        Path.Combine(SpecDirectory, GetSpecFileName(kind, transientId));

    /// <summary>
    /// The spec file name the CDI library uses: <c>vendor-class.json</c>, or for a transient spec
    /// <c>vendor-class_id.json</c> with <c>/</c> in the id replaced by <c>_</c>.
    /// </summary>
    /// <param name="kind">The spec's kind.</param>
    /// <param name="transientId">The transient id, if any: letters, digits, <c>_ . - /</c>.</param>
    /// <returns>The file name.</returns>
    /// <exception cref="ArgumentException"><paramref name="transientId"/> is empty or has other characters, or the kind is default.</exception>
    public static string GetSpecFileName(CdiKind kind, string? transientId = null)
    {
        if (kind.Vendor is null)
        {
            throw new ArgumentException("The CDI kind is empty.", nameof(kind));
        }

        string name = $"{kind.Vendor}-{kind.Class}";
        if (transientId is not null)
        {
            if (transientId.Length == 0 || !transientId.All(c => CdiNames.IsAsciiAlnum(c) || c is '_' or '.' or '-' or '/'))
            {
                throw new ArgumentException(
                    $"The transient spec id \"{transientId}\" must be non-empty and use only letters, digits, '_', '.', '-' and '/'.",
                    nameof(transientId));
            }

            name += "_" + transientId.Replace('/', '_');
        }

        return name + ".json";
    }

    private (byte[] Json, CdiKind Kind, CdiVersion Version, CdiVersionRequirement Requirement) Prepare(CdiSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        IReadOnlyList<CdiValidationError> errors = spec.Validate();
        if (errors.Count > 0)
        {
            throw new CdiValidationException(errors);
        }

        CdiKind kind = CdiKind.Parse(spec.Kind);
        CdiVersionRequirement requirement = spec.GetMinimumVersion();
        CdiVersion version = CdiVersion.Max(requirement.Version, _floor);
        if (spec.Version is { } requested)
        {
            version = CdiVersion.Max(version, requested);
        }

        if (_cap is { } cap && version > cap)
        {
            CdiVersionRequirement cause = requirement.Version > cap
                ? requirement
                : new CdiVersionRequirement(version, "cdiVersion", "the cdiVersion set in the spec");
            throw new CdiVersionCapExceededException(spec.Kind, cause, cap);
        }

        byte[] json = CdiJson.Serialize(spec with { Version = version });
        return (json, kind, version, requirement);
    }
}
