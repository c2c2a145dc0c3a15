using System.Diagnostics.CodeAnalysis;

namespace DraSdk.Cdi;

/// <summary>A CDI device kind, <c>vendor/class</c>, e.g. <c>k8s.gpu.example.com/gpu</c>.</summary>
public readonly record struct CdiKind : ISpanParsable<CdiKind>
{
    /// <summary>Creates a kind from a valid vendor and class.</summary>
    /// <param name="vendor">The vendor, e.g. <c>k8s.gpu.example.com</c>.</param>
    /// <param name="deviceClass">The class, e.g. <c>gpu</c>.</param>
    /// <exception cref="ArgumentException">The vendor or class is invalid (see <see cref="CdiNames"/>).</exception>
    public CdiKind(string vendor, string deviceClass)
    {
        if (CdiNames.VendorError(vendor) is { } vendorError)
        {
            throw new ArgumentException($"Invalid CDI vendor: {vendorError}.", nameof(vendor));
        }

        if (CdiNames.ClassError(deviceClass) is { } classError)
        {
            throw new ArgumentException($"Invalid CDI class: {classError}.", nameof(deviceClass));
        }

        Vendor = vendor;
        Class = deviceClass;
    }

    /// <summary>The vendor, the part before <c>/</c>.</summary>
    public string Vendor { get; }

    /// <summary>The class, the part after the first <c>/</c>.</summary>
    public string Class { get; }

    /// <summary>The device id of the device <paramref name="deviceName"/> of this kind.</summary>
    /// <param name="deviceName">A valid device name.</param>
    /// <returns>The qualified id <c>vendor/class=deviceName</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="deviceName"/> is invalid.</exception>
    public CdiDeviceId Device(string deviceName) => new(this, deviceName);

    /// <summary>The kind as written in a spec, <c>vendor/class</c>.</summary>
    /// <returns>The kind text, or an empty string for <see langword="default"/>.</returns>
    public override string ToString() => Vendor is null ? string.Empty : $"{Vendor}/{Class}";

    /// <summary>Parses <c>vendor/class</c>, splitting at the first <c>/</c>.</summary>
    /// <param name="s">The text.</param>
    /// <param name="result">The kind.</param>
    /// <returns><see langword="true"/> when <paramref name="s"/> is a valid kind.</returns>
    public static bool TryParse([NotNullWhen(true)] string? s, out CdiKind result) => TryParse(s, out result, out _);

    /// <summary>Parses <c>vendor/class</c>, splitting at the first <c>/</c>.</summary>
    /// <param name="s">The text.</param>
    /// <returns>The kind.</returns>
    /// <exception cref="FormatException">The text is not a valid kind; the message says why.</exception>
    public static CdiKind Parse(string s) =>
        TryParse(s, out CdiKind kind, out string? error)
            ? kind
            : throw new FormatException($"\"{s}\" is not a valid CDI kind (vendor/class): {error}.");

    internal static bool TryParse([NotNullWhen(true)] string? s, out CdiKind result, [NotNullWhen(false)] out string? error)
    {
        result = default;
        if (string.IsNullOrEmpty(s))
        {
            error = "it is empty";
            return false;
        }

        int slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            error = "missing '/' between vendor and class";
            return false;
        }

        string vendor = s[..slash];
        string deviceClass = s[(slash + 1)..];
        error = slash == 0 ? "vendor is empty" : CdiNames.VendorError(vendor) ?? CdiNames.ClassError(deviceClass);
        if (error is not null)
        {
            return false;
        }

        result = new CdiKind(vendor, deviceClass, trusted: true);
        return true;
    }

    // Skips validation; callers have validated.
    private CdiKind(string vendor, string deviceClass, bool trusted)
    {
        _ = trusted;
        Vendor = vendor;
        Class = deviceClass;
    }

    /// <inheritdoc/>
    static CdiKind IParsable<CdiKind>.Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc/>
    static bool IParsable<CdiKind>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out CdiKind result) =>
        TryParse(s, out result);

    /// <inheritdoc/>
    static CdiKind ISpanParsable<CdiKind>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s.ToString());

    /// <inheritdoc/>
    static bool ISpanParsable<CdiKind>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out CdiKind result) =>
        TryParse(s.ToString(), out result);
}
