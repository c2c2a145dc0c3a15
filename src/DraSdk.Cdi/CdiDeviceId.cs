using System.Diagnostics.CodeAnalysis;

namespace DraSdk.Cdi;

/// <summary>
/// A fully qualified CDI device name, <c>vendor/class=name</c>, as the kubelet passes it to the container runtime
/// (<c>cdi_device_ids</c>) and as <c>podman --device</c> takes it.
/// </summary>
public readonly record struct CdiDeviceId : ISpanParsable<CdiDeviceId>
{
    /// <summary>Creates a device id from its parts.</summary>
    /// <param name="vendor">The vendor, e.g. <c>k8s.gpu.example.com</c>.</param>
    /// <param name="deviceClass">The class, e.g. <c>gpu</c>.</param>
    /// <param name="name">The device name, e.g. <c>gpu-0</c>.</param>
    /// <exception cref="ArgumentException">A part is invalid (see <see cref="CdiNames"/>).</exception>
    public CdiDeviceId(string vendor, string deviceClass, string name)
        : this(new CdiKind(vendor, deviceClass), name)
    {
    }

    /// <summary>Creates a device id from a kind and a device name.</summary>
    /// <param name="kind">The kind.</param>
    /// <param name="name">The device name.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is invalid or <paramref name="kind"/> is default.</exception>
    public CdiDeviceId(CdiKind kind, string name)
    {
        if (kind.Vendor is null)
        {
            throw new ArgumentException("The CDI kind is empty.", nameof(kind));
        }

        if (CdiNames.DeviceNameError(name) is { } error)
        {
            throw new ArgumentException($"Invalid CDI device name: {error}.", nameof(name));
        }

        Kind = kind;
        Name = name;
    }

    private CdiDeviceId(CdiKind kind, string name, bool trusted)
    {
        _ = trusted;
        Kind = kind;
        Name = name;
    }

    /// <summary>The kind, <c>vendor/class</c>.</summary>
    public CdiKind Kind { get; }

    /// <summary>The vendor.</summary>
    public string Vendor => Kind.Vendor;

    /// <summary>The class.</summary>
    public string Class => Kind.Class;

    /// <summary>The device name, the part after <c>=</c>.</summary>
    public string Name { get; }

    /// <summary>The qualified name <c>vendor/class=name</c>.</summary>
    /// <returns>The qualified name, or an empty string for <see langword="default"/>.</returns>
    public override string ToString() => Name is null ? string.Empty : $"{Kind}={Name}";

    /// <summary>
    /// Parses <c>vendor/class=name</c>: splits at the first <c>=</c>, then the left part at the first <c>/</c>, and
    /// checks each part.
    /// </summary>
    /// <param name="s">The text.</param>
    /// <param name="result">The device id.</param>
    /// <returns><see langword="true"/> when <paramref name="s"/> is a valid qualified device name.</returns>
    public static bool TryParse([NotNullWhen(true)] string? s, out CdiDeviceId result) => TryParse(s, out result, out _);

    /// <summary>Parses <c>vendor/class=name</c>.</summary>
    /// <param name="s">The text.</param>
    /// <returns>The device id.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="s"/> is null.</exception>
    /// <exception cref="FormatException">The text is not a valid qualified name; the message names the part and the rule.</exception>
    public static CdiDeviceId Parse(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return TryParse(s, out CdiDeviceId id, out string? error)
            ? id
            : throw new FormatException($"\"{s}\" is not a qualified CDI device name (vendor/class=name): {error}.");
    }

    /// <summary>Whether <paramref name="s"/> is a qualified name (it has a non-empty kind part), valid or not.</summary>
    /// <param name="s">The text.</param>
    /// <returns><see langword="false"/> for a bare device name such as <c>gpu0</c>.</returns>
    public static bool IsQualified(string? s) =>
        !string.IsNullOrEmpty(s) && s[0] != '/' && s.Contains('=', StringComparison.Ordinal) &&
        s[..s.IndexOf('=', StringComparison.Ordinal)].Contains('/', StringComparison.Ordinal);

    internal static bool TryParse([NotNullWhen(true)] string? s, out CdiDeviceId result, [NotNullWhen(false)] out string? error)
    {
        result = default;
        if (string.IsNullOrEmpty(s))
        {
            error = "it is empty";
            return false;
        }

        if (s[0] == '/')
        {
            error = "it starts with '/', so it has no vendor";
            return false;
        }

        int equals = s.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            error = "missing '=' between kind and device name";
            return false;
        }

        string kindText = s[..equals];
        string name = s[(equals + 1)..];
        if (!kindText.Contains('/', StringComparison.Ordinal))
        {
            error = "missing '/' between vendor and class";
            return false;
        }

        if (!CdiKind.TryParse(kindText, out CdiKind kind, out error))
        {
            return false;
        }

        error = CdiNames.DeviceNameError(name);
        if (error is not null)
        {
            return false;
        }

        result = new CdiDeviceId(kind, name, trusted: true);
        return true;
    }

    /// <inheritdoc/>
    static CdiDeviceId IParsable<CdiDeviceId>.Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc/>
    static bool IParsable<CdiDeviceId>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out CdiDeviceId result) =>
        TryParse(s, out result);

    /// <inheritdoc/>
    static CdiDeviceId ISpanParsable<CdiDeviceId>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s.ToString());

    /// <inheritdoc/>
    static bool ISpanParsable<CdiDeviceId>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out CdiDeviceId result) =>
        TryParse(s.ToString(), out result);
}
