namespace DraSdk.Cdi;

/// <summary>
/// Transient per-claim CDI specs, the way DRA drivers write them: one file per claim,
/// <c>vendor-class_&lt;claimUID&gt;.json</c>, whose device names are <c>&lt;claimUID&gt;-&lt;device&gt;</c> so that specs
/// of different claims never define the same qualified device (the runtimes drop both copies when two files in one
/// directory do). Write the spec in <c>NodePrepareResources</c> before answering with the ids, remove it in
/// <c>NodeUnprepareResources</c>.
/// </summary>
public sealed class CdiClaimSpecs
{
    private readonly CdiSpecWriter _writer;

    /// <summary>Creates the helper for one kind, e.g. <c>k8s.gpu.example.com/claim</c>.</summary>
    /// <param name="writer">The writer (directory, version floor and cap).</param>
    /// <param name="kind">The kind of every claim spec.</param>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is default.</exception>
    public CdiClaimSpecs(CdiSpecWriter writer, CdiKind kind)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (kind.Vendor is null)
        {
            throw new ArgumentException("The CDI kind is empty.", nameof(kind));
        }

        _writer = writer;
        Kind = kind;
    }

    /// <summary>The kind of every claim spec.</summary>
    public CdiKind Kind { get; }

    /// <summary>The CDI device name of <paramref name="deviceName"/> in the claim's spec: <c>&lt;claimUID&gt;-&lt;deviceName&gt;</c>.</summary>
    /// <param name="claimUid">The claim's <c>metadata.uid</c>.</param>
    /// <param name="deviceName">The device's name, e.g. <c>gpu-0</c>.</param>
    /// <returns>The device name used in the spec.</returns>
    /// <exception cref="ArgumentException">The claim UID or the resulting device name is invalid.</exception>
    public static string GetDeviceName(string claimUid, string deviceName)
    {
        CheckClaimUid(claimUid);
        ArgumentException.ThrowIfNullOrEmpty(deviceName);
        string name = $"{claimUid}-{deviceName}";
        return CdiNames.DeviceNameError(name) is { } error
            ? throw new ArgumentException($"Invalid CDI device name for device \"{deviceName}\": {error}.", nameof(deviceName))
            : name;
    }

    /// <summary>
    /// The qualified id of <paramref name="deviceName"/> in the claim's spec, without writing anything (e.g. to answer
    /// the kubelet again for a claim restored from a checkpoint).
    /// </summary>
    /// <param name="claimUid">The claim's <c>metadata.uid</c>.</param>
    /// <param name="deviceName">The device's name.</param>
    /// <returns><c>vendor/class=&lt;claimUID&gt;-&lt;deviceName&gt;</c>.</returns>
    /// <exception cref="ArgumentException">The claim UID or the resulting device name is invalid.</exception>
    public CdiDeviceId GetDeviceId(string claimUid, string deviceName) => Kind.Device(GetDeviceName(claimUid, deviceName));

    /// <summary>The full path of the claim's spec file: <c>SpecDirectory/vendor-class_&lt;claimUID&gt;.json</c>.</summary>
    /// <param name="claimUid">The claim's <c>metadata.uid</c>.</param>
    /// <returns>The path.</returns>
    /// <exception cref="ArgumentException">The claim UID is invalid.</exception>
    public string GetSpecPath(string claimUid)
    {
        CheckClaimUid(claimUid);
        return _writer.GetSpecPath(Kind, claimUid);
    }

    /// <summary>
    /// Builds the claim's spec without writing it: each device renamed to <c>&lt;claimUID&gt;-&lt;name&gt;</c>, and
    /// <paramref name="claimEdits"/> as the spec-level edits (applied once to a container that gets any device).
    /// </summary>
    /// <param name="claimUid">The claim's <c>metadata.uid</c>.</param>
    /// <param name="devices">The claim's devices, named as the driver names them (e.g. <c>gpu-0</c>), unique.</param>
    /// <param name="claimEdits">Edits for the whole claim, if any.</param>
    /// <returns>The spec; its version is left for the writer to pick.</returns>
    /// <exception cref="ArgumentException">The claim UID or a device name is invalid, or there are no devices.</exception>
    public CdiSpec Build(string claimUid, IEnumerable<CdiDevice> devices, ContainerEdits? claimEdits = null)
    {
        CheckClaimUid(claimUid);
        ArgumentNullException.ThrowIfNull(devices);
        var renamed = new List<CdiDevice>();
        foreach (CdiDevice device in devices)
        {
            ArgumentNullException.ThrowIfNull(device, nameof(devices));
            renamed.Add(device with { Name = GetDeviceName(claimUid, device.Name) });
        }

        if (renamed.Count == 0)
        {
            throw new ArgumentException($"Claim {claimUid} has no devices.", nameof(devices));
        }

        return new CdiSpec
        {
            Kind = Kind.ToString(),
            Devices = renamed,
            ContainerEdits = claimEdits,
        };
    }

    /// <summary>
    /// Builds and writes the claim's spec (replacing an earlier one) and returns the qualified ids to answer the
    /// kubelet with.
    /// </summary>
    /// <param name="claimUid">The claim's <c>metadata.uid</c>.</param>
    /// <param name="devices">The claim's devices, named as the driver names them (e.g. <c>gpu-0</c>), unique.</param>
    /// <param name="claimEdits">Edits for the whole claim, if any.</param>
    /// <returns>The file, its version and each device's id keyed by the name given.</returns>
    /// <exception cref="ArgumentException">The claim UID or a device name is invalid, or there are no devices.</exception>
    /// <exception cref="CdiValidationException">The spec is invalid; the paths name the renamed devices.</exception>
    /// <exception cref="CdiVersionCapExceededException">The spec needs a newer cdiVersion than the target runtime reads.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public CdiClaimSpecFile Write(string claimUid, IEnumerable<CdiDevice> devices, ContainerEdits? claimEdits = null)
    {
        List<CdiDevice> given = devices?.ToList() ?? throw new ArgumentNullException(nameof(devices));
        CdiSpec spec = Build(claimUid, given, claimEdits);
        CdiSpecFile file = _writer.Write(spec, claimUid);
        var ids = new OrderedDictionary<string, CdiDeviceId>(StringComparer.Ordinal);
        for (int i = 0; i < given.Count; i++)
        {
            ids.Add(given[i].Name, Kind.Device(spec.Devices[i].Name));
        }

        return new CdiClaimSpecFile(file.Path, file.Version, ids);
    }

    /// <summary>Removes the claim's spec file; a missing file is fine (unprepare may be repeated).</summary>
    /// <param name="claimUid">The claim's <c>metadata.uid</c>.</param>
    /// <returns><see langword="true"/> when a file was removed.</returns>
    /// <exception cref="ArgumentException">The claim UID is invalid.</exception>
    public bool Remove(string claimUid)
    {
        CheckClaimUid(claimUid);
        return _writer.Remove(Kind, claimUid);
    }

    private static void CheckClaimUid(string claimUid)
    {
        ArgumentException.ThrowIfNullOrEmpty(claimUid);
        if (!CdiNames.IsAsciiAlnum(claimUid[0]) || !claimUid.All(c => CdiNames.IsAsciiAlnum(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException(
                $"The claim UID \"{claimUid}\" must start with a letter or digit and use only letters, digits, '-', '_' and '.'.",
                nameof(claimUid));
        }
    }
}
