namespace DraSdk.Cdi;

/// <summary>
/// The CDI naming rules for vendors, classes and device names (ASCII only), as the container runtimes' CDI library
/// checks them, plus the length limits of the CDI spec.
/// </summary>
public static class CdiNames
{
    /// <summary>The longest vendor name: a DNS subdomain.</summary>
    public const int MaxVendorLength = 253;

    /// <summary>The longest class name.</summary>
    public const int MaxClassLength = 63;

    /// <summary>
    /// Whether <paramref name="vendor"/> is a valid vendor: 2 to 253 characters, letters, digits, <c>_ . -</c>, starting
    /// with a letter and ending with a letter or digit.
    /// </summary>
    /// <param name="vendor">The vendor, e.g. <c>k8s.gpu.example.com</c>.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValidVendor(string? vendor) => VendorError(vendor) is null;

    /// <summary>
    /// Whether <paramref name="deviceClass"/> is a valid class: 2 to 63 characters, letters, digits, <c>_ . -</c>,
    /// starting with a letter and ending with a letter or digit. A <c>.</c> needs cdiVersion 0.6.0.
    /// </summary>
    /// <param name="deviceClass">The class, e.g. <c>gpu</c>.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValidClass(string? deviceClass) => ClassError(deviceClass) is null;

    /// <summary>
    /// Whether <paramref name="name"/> is a valid device name: letters, digits, <c>_ . : -</c>, starting and ending
    /// with a letter or digit. A leading digit needs cdiVersion 0.5.0.
    /// </summary>
    /// <param name="name">The device name, e.g. <c>gpu-0</c>.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValidDeviceName(string? name) => DeviceNameError(name) is null;

    internal static string? VendorError(string? vendor) => KindPartError("vendor", vendor, MaxVendorLength);

    internal static string? ClassError(string? deviceClass) => KindPartError("class", deviceClass, MaxClassLength);

    // Stricter than the runtimes, for what this library writes: the vendor is a lowercase DNS subdomain (RFC 1123).
    internal static string? StrictVendorError(string vendor)
    {
        if (VendorError(vendor) is { } error)
        {
            return error;
        }

        foreach (string label in vendor.Split('.'))
        {
            if (label.Length == 0 || label.Length > 63 || !IsLowerAlnum(label[0]) || !IsLowerAlnum(label[^1]) ||
                !label.All(c => IsLowerAlnum(c) || c == '-'))
            {
                return $"vendor \"{vendor}\" must be a lowercase DNS subdomain: dot-separated labels of at most 63 " +
                    "characters from a-z, 0-9 and '-', each starting and ending with a letter or digit";
            }
        }

        return null;
    }

    internal static string? DeviceNameError(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "device name is empty";
        }

        if (!IsAsciiAlnum(name[0]))
        {
            return $"device name \"{name}\" must start with a letter or digit";
        }

        if (!IsAsciiAlnum(name[^1]))
        {
            return $"device name \"{name}\" must end with a letter or digit";
        }

        for (int i = 1; i < name.Length - 1; i++)
        {
            char c = name[i];
            if (!IsAsciiAlnum(c) && c is not ('_' or '.' or ':' or '-'))
            {
                return $"device name \"{name}\" has invalid character {Describe(c)} at index {i} " +
                    "(allowed: letters, digits, '_', '.', ':', '-')";
            }
        }

        return null;
    }

    private static string? KindPartError(string what, string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{what} is empty";
        }

        if (value.Length < 2)
        {
            return $"{what} \"{value}\" is too short: at least 2 characters";
        }

        if (value.Length > maxLength)
        {
            return $"{what} \"{Shorten(value)}\" is too long: {value.Length} characters, at most {maxLength}";
        }

        if (!char.IsAsciiLetter(value[0]))
        {
            return $"{what} \"{value}\" must start with a letter";
        }

        if (!IsAsciiAlnum(value[^1]))
        {
            return $"{what} \"{value}\" must end with a letter or digit";
        }

        for (int i = 1; i < value.Length - 1; i++)
        {
            char c = value[i];
            if (!IsAsciiAlnum(c) && c is not ('_' or '.' or '-'))
            {
                return $"{what} \"{value}\" has invalid character {Describe(c)} at index {i} " +
                    "(allowed: letters, digits, '_', '.', '-')";
            }
        }

        return null;
    }

    internal static bool IsAsciiAlnum(char c) => char.IsAsciiLetterOrDigit(c);

    private static bool IsLowerAlnum(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);

    internal static string Describe(char c) =>
        c is >= ' ' and < (char)0x7f ? $"'{c}'" : $"U+{(int)c:X4}";

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..37] + "...";
}
