namespace DraSdk.Cdi;

/// <summary>Settings for <see cref="CdiSpecWriter"/>.</summary>
public sealed class CdiSpecWriterOptions
{
    /// <summary>The directory for dynamic specs, which the runtimes give the highest priority: <c>/var/run/cdi</c>.</summary>
    public const string DefaultSpecDirectory = "/var/run/cdi";

    /// <summary>The directory for static specs: <c>/etc/cdi</c>.</summary>
    public const string StaticSpecDirectory = "/etc/cdi";

    /// <summary>
    /// Where spec files go; default <see cref="DefaultSpecDirectory"/>. It must be one of the runtime's
    /// <c>cdi_spec_dirs</c>, seen from the host.
    /// </summary>
    public string SpecDirectory { get; set; } = DefaultSpecDirectory;

    /// <summary>
    /// The lowest cdiVersion to write (a floor); <see langword="null"/> writes the lowest version the content needs.
    /// </summary>
    public CdiVersion? MinimumVersion { get; set; }

    /// <summary>
    /// The highest cdiVersion the target runtime reads; a spec that needs more is refused with
    /// <see cref="CdiVersionCapExceededException"/> instead of written. For example 0.5.0 for containerd
    /// 1.7.0–1.7.11, podman 4.3–4.6 (Debian 12) and CRI-O 1.25–1.27; <see langword="null"/> for no cap.
    /// </summary>
    public CdiVersion? MaximumVersion { get; set; }

    /// <summary>
    /// Whether each write and removal is flushed to disk (fsync of the file and its directory). Default: true. A spec is
    /// always replaced atomically, so a kill never leaves a torn file; turn this off for transient specs whose owner
    /// writes them again after a reboot (as the DRA preparation pipeline does from its checkpoint): on the usual tmpfs
    /// <c>/var/run/cdi</c> a flush buys nothing.
    /// </summary>
    public bool Durable { get; set; } = true;
}
