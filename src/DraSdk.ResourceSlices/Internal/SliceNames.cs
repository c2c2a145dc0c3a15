using System.Globalization;
using System.Text;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>
/// Names of the slices the publisher creates: <c>metadata.generateName</c> is
/// <c>&lt;index as hex, at least 5 digits&gt;-&lt;driver&gt;-&lt;owner&gt;-</c>, so that sorting a pool's slices by
/// name gives their index order (the allocator takes the first fit in name order) and the index can be read back.
/// </summary>
internal static class SliceNames
{
    /// <summary>The API server appends 5 random characters to a generateName prefix of at most 58.</summary>
    internal const int MaxGenerateNameLength = 58;

    /// <summary>
    /// The generateName for slice <paramref name="index"/>: every character of the driver and owner names that is not
    /// a lowercase letter or digit becomes '-' (so dots cannot make an invalid DNS subdomain), repeated '-' are
    /// collapsed, and the whole is cut to 58 characters, still ending with '-'.
    /// </summary>
    public static string GenerateName(int index, string driverName, string? ownerName)
    {
        string prefix = index.ToString("x5", CultureInfo.InvariantCulture) + "-";
        var sb = new StringBuilder(prefix, prefix.Length + driverName.Length + (ownerName?.Length ?? 0) + 2);
        foreach (char c in string.IsNullOrEmpty(ownerName) ? driverName : $"{driverName}-{ownerName}")
        {
            char lower = char.ToLowerInvariant(c);
            if (lower is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
            {
                sb.Append(lower);
            }
            else if (sb[^1] != '-')
            {
                sb.Append('-');
            }
        }

        string name = sb.ToString().TrimEnd('-');
        if (name.Length > MaxGenerateNameLength - 1)
        {
            name = name[..(MaxGenerateNameLength - 1)].TrimEnd('-');
        }

        return name + "-";
    }

    /// <summary>The index a slice name starts with (hex digits, at least 5, then '-'), or null when it has none.</summary>
    public static int? IndexOf(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        int dash = name.IndexOf('-', StringComparison.Ordinal);
        if (dash < 5 || dash > 8)
        {
            return null;
        }

        for (int i = 0; i < dash; i++)
        {
            if (name[i] is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return null;
            }
        }

        return int.TryParse(name.AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int index) && index >= 0 ? index : null;
    }
}
