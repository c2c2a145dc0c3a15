using System.Globalization;
using System.Text;

namespace DraSdk.Cel.Internal;

/// <summary>A semantic version (semver.org 2.0.0); build metadata is kept but ignored when comparing.</summary>
internal sealed class SemverValue : IComparable<SemverValue>
{
    private SemverValue(ulong major, ulong minor, ulong patch, string[] pre, string[] build)
    {
        Major = major;
        Minor = minor;
        Patch = patch;
        Pre = pre;
        Build = build;
    }

    public ulong Major { get; }

    public ulong Minor { get; }

    public ulong Patch { get; }

    public string[] Pre { get; }

    public string[] Build { get; }

    public override string ToString()
    {
        var sb = new StringBuilder().Append(Major).Append('.').Append(Minor).Append('.').Append(Patch);
        if (Pre.Length > 0)
        {
            sb.Append('-').AppendJoin('.', Pre);
        }

        if (Build.Length > 0)
        {
            sb.Append('+').AppendJoin('.', Build);
        }

        return sb.ToString();
    }

    public int CompareTo(SemverValue? other)
    {
        if (other is null)
        {
            return 1;
        }

        int c = Major.CompareTo(other.Major);
        if (c != 0)
        {
            return c;
        }

        c = Minor.CompareTo(other.Minor);
        if (c != 0)
        {
            return c;
        }

        c = Patch.CompareTo(other.Patch);
        if (c != 0)
        {
            return c;
        }

        // A version without pre-release identifiers has higher precedence.
        if (Pre.Length == 0 || other.Pre.Length == 0)
        {
            return Pre.Length == 0 ? (other.Pre.Length == 0 ? 0 : 1) : -1;
        }

        for (int i = 0; i < Math.Min(Pre.Length, other.Pre.Length); i++)
        {
            c = ComparePre(Pre[i], other.Pre[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return Pre.Length.CompareTo(other.Pre.Length);
    }

    private static int ComparePre(string a, string b)
    {
        bool an = IsNumeric(a), bn = IsNumeric(b);
        if (an && bn)
        {
            int c = a.Length.CompareTo(b.Length);
            return c != 0 ? c : string.CompareOrdinal(a, b);
        }

        if (an != bn)
        {
            return an ? -1 : 1;
        }

        return Math.Sign(string.CompareOrdinal(a, b));
    }

    private static bool IsNumeric(string s) => s.Length > 0 && s.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;

    /// <summary>Strict semver 2.0.0 parsing: MAJOR.MINOR.PATCH[-pre][+build], no leading zeros, no "v".</summary>
    public static bool TryParse(string s, out SemverValue? version, out string? error)
    {
        version = null;
        error = null;
        if (s.Length == 0)
        {
            error = "version string empty";
            return false;
        }

        string core = s;
        string[] build = [];
        string[] pre = [];
        int plus = core.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            build = core[(plus + 1)..].Split('.');
            core = core[..plus];
            foreach (string b in build)
            {
                if (b.Length == 0 || !IsIdentifier(b))
                {
                    error = $"invalid character(s) found in build meta data \"{b}\"";
                    return false;
                }
            }
        }

        int dash = core.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            pre = core[(dash + 1)..].Split('.');
            core = core[..dash];
            foreach (string p in pre)
            {
                if (p.Length == 0)
                {
                    error = "prerelease is empty";
                    return false;
                }

                if (!IsIdentifier(p))
                {
                    error = $"invalid character(s) found in prerelease \"{p}\"";
                    return false;
                }

                if (IsNumeric(p) && p.Length > 1 && p[0] == '0')
                {
                    error = $"prerelease number must not contain leading zeroes \"{p}\"";
                    return false;
                }
            }
        }

        string[] parts = core.Split('.');
        if (parts.Length != 3)
        {
            error = "no major, minor and patch version found";
            return false;
        }

        var numbers = new ulong[3];
        string[] names = ["major", "minor", "patch"];
        for (int i = 0; i < 3; i++)
        {
            string p = parts[i];
            if (!IsNumeric(p))
            {
                error = $"invalid character(s) found in {names[i]} number \"{p}\"";
                return false;
            }

            if (p.Length > 1 && p[0] == '0')
            {
                error = $"{names[i]} number must not contain leading zeroes \"{p}\"";
                return false;
            }

            if (!ulong.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                error = $"{names[i]} number is too large \"{p}\"";
                return false;
            }
        }

        version = new SemverValue(numbers[0], numbers[1], numbers[2], pre, build);
        return true;
    }

    /// <summary>
    /// Tolerant parsing (<c>semver(s, true)</c>): a leading "v" is dropped, missing minor and patch become 0 and leading
    /// zeros of the numbers are removed.
    /// </summary>
    public static bool TryParseNormalized(string s, out SemverValue? version, out string? error)
    {
        string rest = s;
        if (rest.StartsWith('v') || rest.StartsWith('V'))
        {
            rest = rest[1..];
        }

        int tail = rest.IndexOfAny(['-', '+']);
        string core = tail < 0 ? rest : rest[..tail];
        string suffix = tail < 0 ? "" : rest[tail..];
        string[] parts = core.Split('.');
        if (parts.Length is < 1 or > 3)
        {
            version = null;
            error = "no major, minor and patch version found";
            return false;
        }

        var fixedParts = new string[3];
        for (int i = 0; i < 3; i++)
        {
            string p = i < parts.Length ? parts[i] : "0";
            string trimmed = p.TrimStart('0');
            fixedParts[i] = p.Length > 0 && trimmed.Length == 0 ? "0" : trimmed;
            if (p.Length == 0)
            {
                fixedParts[i] = "";
            }
        }

        return TryParse(string.Join('.', fixedParts) + suffix, out version, out error);
    }

    private static bool IsIdentifier(string s)
    {
        foreach (char c in s)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }
}
