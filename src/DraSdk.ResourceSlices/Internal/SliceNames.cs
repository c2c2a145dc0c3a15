using System.Text;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>Names of the slices the publisher creates.</summary>
internal static class SliceNames
{
    /// <summary>The API server appends 5 random characters to a generateName prefix of at most 58.</summary>
    internal const int MaxGenerateNameLength = 58;

    /// <summary>
    /// The <c>metadata.generateName</c> for slices of <paramref name="driverName"/> on <paramref name="nodeName"/>:
    /// <c>&lt;node&gt;-&lt;driver&gt;-</c> with every character that is not a lowercase letter or digit replaced by
    /// '-' (so dots in either name cannot produce an invalid DNS label), repeated '-' collapsed, and cut to 58 characters.
    /// </summary>
    public static string GenerateName(string nodeName, string driverName)
    {
        var sb = new StringBuilder(nodeName.Length + driverName.Length + 2);
        foreach (char c in $"{nodeName}-{driverName}")
        {
            char lower = char.ToLowerInvariant(c);
            bool valid = lower is (>= 'a' and <= 'z') or (>= '0' and <= '9');
            if (valid)
            {
                sb.Append(lower);
            }
            else if (sb.Length > 0 && sb[^1] != '-')
            {
                sb.Append('-');
            }
        }

        string prefix = sb.ToString().TrimEnd('-');
        if (prefix.Length > MaxGenerateNameLength - 1)
        {
            prefix = prefix[..(MaxGenerateNameLength - 1)].TrimEnd('-');
        }

        return prefix.Length == 0 ? "resourceslice-" : prefix + "-";
    }
}
