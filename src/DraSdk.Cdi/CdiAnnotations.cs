using System.Text;

namespace DraSdk.Cdi;

/// <summary>
/// The <c>cdi.k8s.io/</c> CRI annotations that carry CDI device ids to a runtime: key
/// <c>cdi.k8s.io/&lt;plugin&gt;_&lt;deviceId&gt;</c>, value the qualified names joined with commas. The kubelet's DRA
/// path uses the CRI <c>CDI_devices</c> field instead since Kubernetes 1.31; these helpers serve device plugins and
/// older clusters.
/// </summary>
public static class CdiAnnotations
{
    /// <summary>The prefix of every CDI annotation key.</summary>
    public const string Prefix = "cdi.k8s.io/";

    /// <summary>The longest key part after <see cref="Prefix"/>.</summary>
    public const int MaxNameLength = 63;

    /// <summary>
    /// Builds the annotation key <c>cdi.k8s.io/&lt;pluginName&gt;_&lt;deviceId&gt;</c>, with <c>/</c> in
    /// <paramref name="deviceId"/> replaced by <c>_</c>.
    /// </summary>
    /// <param name="pluginName">The plugin (driver) name.</param>
    /// <param name="deviceId">The id that makes the key unique for the plugin, e.g. a claim UID.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">The part after the prefix is empty, over 63 characters, does not start and
    /// end with a letter or digit, or has characters other than letters, digits, <c>_ . -</c>.</exception>
    public static string CreateKey(string pluginName, string deviceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        string name = $"{pluginName}_{deviceId.Replace('/', '_')}";
        if (NameError(name) is { } error)
        {
            throw new ArgumentException($"Invalid CDI annotation key \"{Prefix}{name}\": {error}.", nameof(pluginName));
        }

        return Prefix + name;
    }

    /// <summary>Builds the annotation value: the qualified device names joined with commas, no spaces.</summary>
    /// <param name="devices">The device ids; at least one.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentException"><paramref name="devices"/> is empty or holds a default id.</exception>
    public static string CreateValue(IEnumerable<CdiDeviceId> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var builder = new StringBuilder();
        foreach (CdiDeviceId device in devices)
        {
            if (device.Name is null)
            {
                throw new ArgumentException("A CDI device id is empty (default).", nameof(devices));
            }

            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(device.ToString());
        }

        return builder.Length > 0 ? builder.ToString() : throw new ArgumentException("No CDI devices given.", nameof(devices));
    }

    /// <summary>Builds the key and value that pass <paramref name="devices"/> to a runtime.</summary>
    /// <param name="pluginName">The plugin (driver) name.</param>
    /// <param name="deviceId">The id that makes the key unique for the plugin, e.g. a claim UID.</param>
    /// <param name="devices">The device ids; at least one.</param>
    /// <returns>The annotation.</returns>
    /// <exception cref="ArgumentException">See <see cref="CreateKey"/> and <see cref="CreateValue"/>.</exception>
    public static KeyValuePair<string, string> Create(string pluginName, string deviceId, IEnumerable<CdiDeviceId> devices) =>
        new(CreateKey(pluginName, deviceId), CreateValue(devices));

    /// <summary>
    /// Reads the device ids from every annotation whose key starts with <see cref="Prefix"/>, in order, without
    /// duplicates; other annotations are ignored. One invalid name fails the whole set, as in the runtimes.
    /// </summary>
    /// <param name="annotations">The annotations, e.g. a pod's or a container's.</param>
    /// <returns>The device ids.</returns>
    /// <exception cref="FormatException">A CDI annotation has an invalid key or a value that is not a list of
    /// qualified names; the message names the key.</exception>
    public static IReadOnlyList<CdiDeviceId> Parse(IEnumerable<KeyValuePair<string, string>> annotations)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        var ids = new List<CdiDeviceId>();
        var seen = new HashSet<CdiDeviceId>();
        foreach ((string key, string value) in annotations)
        {
            if (key is null || !key.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (NameError(key[Prefix.Length..]) is { } keyError)
            {
                throw new FormatException($"Invalid CDI annotation key \"{key}\": {keyError}.");
            }

            foreach (string part in (value ?? string.Empty).Split(','))
            {
                if (!CdiDeviceId.TryParse(part, out CdiDeviceId id, out string? error))
                {
                    throw new FormatException($"Invalid CDI annotation \"{key}\": \"{part}\" is not a qualified device name: {error}.");
                }

                if (seen.Add(id))
                {
                    ids.Add(id);
                }
            }
        }

        return ids;
    }

    private static string? NameError(string name)
    {
        if (name.Length == 0)
        {
            return "the name after the prefix is empty";
        }

        if (name.Length > MaxNameLength)
        {
            return $"the name after the prefix is {name.Length} characters, at most {MaxNameLength}";
        }

        if (!CdiNames.IsAsciiAlnum(name[0]) || !CdiNames.IsAsciiAlnum(name[^1]))
        {
            return "the name after the prefix must start and end with a letter or digit";
        }

        foreach (char c in name)
        {
            if (!CdiNames.IsAsciiAlnum(c) && c is not ('_' or '.' or '-'))
            {
                return $"invalid character {CdiNames.Describe(c)} (allowed: letters, digits, '_', '.', '-')";
            }
        }

        return null;
    }
}
