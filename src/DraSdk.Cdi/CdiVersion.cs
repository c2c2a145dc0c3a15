using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Serialization;
using DraSdk.Cdi.Internal;

namespace DraSdk.Cdi;

/// <summary>
/// A released CDI spec version (<c>cdiVersion</c>), 0.1.0 to 1.1.0. Only released versions can be parsed, because a
/// runtime rejects any other with <c>invalid version</c>.
/// </summary>
[JsonConverter(typeof(CdiVersionJsonConverter))]
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "The constants spell the spec versions.")]
public readonly record struct CdiVersion : IComparable<CdiVersion>, IComparable, ISpanParsable<CdiVersion>
{
    private readonly int _ordinal;

    private CdiVersion(int ordinal) => _ordinal = ordinal;

    /// <summary>cdiVersion 0.1.0 (below the minimum of any spec; kept so old files parse to a clear error).</summary>
    public static CdiVersion V0_1_0 => new(1);

    /// <summary>cdiVersion 0.2.0 (below the minimum of any spec).</summary>
    public static CdiVersion V0_2_0 => new(2);

    /// <summary>cdiVersion 0.3.0: the floor; what a spec with no newer content needs.</summary>
    public static CdiVersion V0_3_0 => new(3);

    /// <summary>cdiVersion 0.4.0: mount <c>type</c>.</summary>
    public static CdiVersion V0_4_0 => new(4);

    /// <summary>cdiVersion 0.5.0: device node <c>hostPath</c>, device names starting with a digit.</summary>
    public static CdiVersion V0_5_0 => new(5);

    /// <summary>cdiVersion 0.6.0: annotations, <c>.</c> in the class name.</summary>
    public static CdiVersion V0_6_0 => new(6);

    /// <summary>cdiVersion 0.7.0: <c>intelRdt</c>, <c>additionalGids</c>.</summary>
    public static CdiVersion V0_7_0 => new(7);

    /// <summary>cdiVersion 0.8.0 (no spec content needs it).</summary>
    public static CdiVersion V0_8_0 => new(8);

    /// <summary>cdiVersion 1.0.0 (no spec content needs it).</summary>
    public static CdiVersion V1_0_0 => new(9);

    /// <summary>cdiVersion 1.1.0: <c>netDevices</c>, <c>intelRdt.schemata</c>, <c>intelRdt.enableMonitoring</c>.</summary>
    public static CdiVersion V1_1_0 => new(10);

    /// <summary>The newest spec version this library knows.</summary>
    public static CdiVersion Latest => V1_1_0;

    /// <summary>Every released version, oldest first.</summary>
    public static IReadOnlyList<CdiVersion> All { get; } =
        [V0_1_0, V0_2_0, V0_3_0, V0_4_0, V0_5_0, V0_6_0, V0_7_0, V0_8_0, V1_0_0, V1_1_0];

    private static readonly string[] Texts =
        ["0.0.0", "0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0", "1.0.0", "1.1.0"];

    /// <summary>The version as written in a spec, e.g. <c>0.5.0</c> (no <c>v</c>).</summary>
    /// <returns>The version text.</returns>
    public override string ToString() => Texts[_ordinal];

    /// <summary>Parses a released version; a leading <c>v</c> is accepted, as by the reference library.</summary>
    /// <param name="s">The text, e.g. <c>0.5.0</c> or <c>v0.5.0</c>.</param>
    /// <param name="result">The version.</param>
    /// <returns><see langword="true"/> when <paramref name="s"/> is a released version.</returns>
    public static bool TryParse(ReadOnlySpan<char> s, out CdiVersion result)
    {
        if (s.StartsWith("v", StringComparison.Ordinal))
        {
            s = s[1..];
        }

        for (int i = 1; i < Texts.Length; i++)
        {
            if (s.SequenceEqual(Texts[i]))
            {
                result = new CdiVersion(i);
                return true;
            }
        }

        result = default;
        return false;
    }

    /// <summary>Parses a released version; a leading <c>v</c> is accepted.</summary>
    /// <param name="s">The text, e.g. <c>0.5.0</c>.</param>
    /// <param name="result">The version.</param>
    /// <returns><see langword="true"/> when <paramref name="s"/> is a released version.</returns>
    public static bool TryParse([NotNullWhen(true)] string? s, out CdiVersion result)
    {
        if (s is null)
        {
            result = default;
            return false;
        }

        return TryParse(s.AsSpan(), out result);
    }

    /// <summary>Parses a released version; a leading <c>v</c> is accepted.</summary>
    /// <param name="s">The text, e.g. <c>0.5.0</c>.</param>
    /// <returns>The version.</returns>
    /// <exception cref="FormatException"><paramref name="s"/> is not a released CDI version.</exception>
    public static CdiVersion Parse(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return Parse(s.AsSpan());
    }

    /// <summary>Parses a released version; a leading <c>v</c> is accepted.</summary>
    /// <param name="s">The text.</param>
    /// <returns>The version.</returns>
    /// <exception cref="FormatException"><paramref name="s"/> is not a released CDI version.</exception>
    public static CdiVersion Parse(ReadOnlySpan<char> s) =>
        TryParse(s, out CdiVersion version)
            ? version
            : throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                $"\"{s}\" is not a released CDI spec version (expected one of {string.Join(", ", Texts[1..])})."));

    /// <inheritdoc/>
    static CdiVersion IParsable<CdiVersion>.Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc/>
    static bool IParsable<CdiVersion>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out CdiVersion result) =>
        TryParse(s, out result);

    /// <inheritdoc/>
    static CdiVersion ISpanParsable<CdiVersion>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc/>
    static bool ISpanParsable<CdiVersion>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out CdiVersion result) =>
        TryParse(s, out result);

    /// <summary>Compares release order.</summary>
    /// <param name="other">The other version.</param>
    /// <returns>Negative, zero or positive as this version is older, equal or newer.</returns>
    public int CompareTo(CdiVersion other) => _ordinal.CompareTo(other._ordinal);

    /// <inheritdoc/>
    int IComparable.CompareTo(object? obj) => obj switch
    {
        null => 1,
        CdiVersion other => CompareTo(other),
        _ => throw new ArgumentException("Object is not a CdiVersion.", nameof(obj)),
    };

    /// <summary>The newer of two versions.</summary>
    /// <param name="a">One version.</param>
    /// <param name="b">The other version.</param>
    /// <returns>The newer version.</returns>
    public static CdiVersion Max(CdiVersion a, CdiVersion b) => a._ordinal >= b._ordinal ? a : b;

    /// <summary>Whether <paramref name="left"/> is older than <paramref name="right"/>.</summary>
    /// <param name="left">The left version.</param>
    /// <param name="right">The right version.</param>
    /// <returns>The comparison result.</returns>
    public static bool operator <(CdiVersion left, CdiVersion right) => left._ordinal < right._ordinal;

    /// <summary>Whether <paramref name="left"/> is newer than <paramref name="right"/>.</summary>
    /// <param name="left">The left version.</param>
    /// <param name="right">The right version.</param>
    /// <returns>The comparison result.</returns>
    public static bool operator >(CdiVersion left, CdiVersion right) => left._ordinal > right._ordinal;

    /// <summary>Whether <paramref name="left"/> is older than or equal to <paramref name="right"/>.</summary>
    /// <param name="left">The left version.</param>
    /// <param name="right">The right version.</param>
    /// <returns>The comparison result.</returns>
    public static bool operator <=(CdiVersion left, CdiVersion right) => left._ordinal <= right._ordinal;

    /// <summary>Whether <paramref name="left"/> is newer than or equal to <paramref name="right"/>.</summary>
    /// <param name="left">The left version.</param>
    /// <param name="right">The right version.</param>
    /// <returns>The comparison result.</returns>
    public static bool operator >=(CdiVersion left, CdiVersion right) => left._ordinal >= right._ordinal;
}
