using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace DraSdk.KubeletPlugin;

/// <summary>
/// One setting a driver reads from its environment: the variable's name, its default and what it does. The same
/// declaration reads the value (<see cref="DriverSetting{T}.Read"/>, one clear <see cref="DriverConfigurationException"/>
/// for a bad value) and describes it in the driver's <c>--help</c> (<see cref="DriverCommandLine"/>).
/// </summary>
public abstract class DriverSetting
{
    private protected DriverSetting(string name, string description, string defaultText)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        Name = name;
        Description = description;
        DefaultText = defaultText;
    }

    /// <summary>The environment variable (and configuration key), e.g. <c>NUM_DEVICES</c>.</summary>
    public string Name { get; }

    /// <summary>What the setting does, one sentence, for the usage text.</summary>
    public string Description { get; }

    /// <summary>The default as the usage text shows it, e.g. <c>8</c>, <c>/var/run/cdi</c>, <c>unset</c>.</summary>
    public string DefaultText { get; }

    /// <summary>The raw value in <paramref name="configuration"/>, or null when it is unset or empty.</summary>
    /// <param name="configuration">The host's configuration (environment variables are keys without a prefix).</param>
    public string? RawValue(IConfiguration? configuration) =>
        configuration?[Name] is { Length: > 0 } value ? value : null;

    /// <summary>A text setting; <paramref name="check"/> returns why a value is bad (e.g. <c>must be an absolute path</c>), or null.</summary>
    /// <param name="name">The environment variable.</param>
    /// <param name="defaultValue">The value when unset; null for none.</param>
    /// <param name="description">What it does.</param>
    /// <param name="check">Checks a value that is set; returns the problem, or null.</param>
    public static DriverSetting<string?> Text(string name, string? defaultValue, string description, Func<string, string?>? check = null) =>
        new(name, description, defaultValue ?? "unset", defaultValue, value => check?.Invoke(value) is { } problem ? throw new FormatException(problem) : value);

    /// <summary>An absolute path.</summary>
    /// <param name="name">The environment variable.</param>
    /// <param name="defaultValue">The value when unset; null for none.</param>
    /// <param name="description">What it does.</param>
    public static DriverSetting<string?> Path(string name, string? defaultValue, string description) =>
        Text(name, defaultValue, description, value => System.IO.Path.IsPathRooted(value) ? null : "must be an absolute path");

    /// <summary>A whole number from <paramref name="minimum"/> to <paramref name="maximum"/>.</summary>
    /// <param name="name">The environment variable.</param>
    /// <param name="defaultValue">The value when unset.</param>
    /// <param name="description">What it does.</param>
    /// <param name="minimum">The smallest value allowed.</param>
    /// <param name="maximum">The largest value allowed.</param>
    public static DriverSetting<int> Number(string name, int defaultValue, string description, int minimum = 0, int maximum = int.MaxValue) =>
        new(name, description, defaultValue.ToString(CultureInfo.InvariantCulture), defaultValue, value => ParseInt32(value, minimum, maximum));

    /// <summary>A TCP port (1 to 65535), unset by default: the feature it enables is off until it is set.</summary>
    /// <param name="name">The environment variable.</param>
    /// <param name="description">What it does.</param>
    public static DriverSetting<int?> Port(string name, string description) =>
        new(name, description, "unset (off)", null, value => ParseInt32(value, 0, 65535));

    /// <summary><c>true</c> or <c>false</c> (also <c>1</c>/<c>0</c>, <c>yes</c>/<c>no</c>).</summary>
    /// <param name="name">The environment variable.</param>
    /// <param name="defaultValue">The value when unset.</param>
    /// <param name="description">What it does.</param>
    public static DriverSetting<bool> Flag(string name, bool defaultValue, string description) =>
        new(name, description, defaultValue ? "true" : "false", defaultValue, value => value.ToUpperInvariant() switch
        {
            "TRUE" or "1" or "YES" => true,
            "FALSE" or "0" or "NO" => false,
            _ => throw new FormatException("must be true or false"),
        });

    /// <summary>A setting of any type; <paramref name="parse"/> throws <see cref="FormatException"/> whose message says what a value must be (<c>must be ...</c>).</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="name">The environment variable.</param>
    /// <param name="defaultValue">The value when unset.</param>
    /// <param name="defaultText">The default as the usage text shows it.</param>
    /// <param name="description">What it does.</param>
    /// <param name="parse">Reads a value that is set.</param>
    public static DriverSetting<T> Create<T>(string name, T defaultValue, string defaultText, string description, Func<string, T> parse) =>
        new(name, description, defaultText, defaultValue, parse);

    private static int ParseInt32(string value, int minimum, int maximum)
    {
        string range = maximum == int.MaxValue ? $"a whole number from {minimum} up" : $"a whole number from {minimum} to {maximum}";
        return int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) && n >= minimum && n <= maximum
            ? n
            : throw new FormatException($"must be {range}");
    }
}

/// <summary>A setting with a value of type <typeparamref name="T"/>.</summary>
/// <typeparam name="T">The value's type.</typeparam>
public sealed class DriverSetting<T> : DriverSetting
{
    private readonly Func<string, T> _parse;

    internal DriverSetting(string name, string description, string defaultText, T defaultValue, Func<string, T> parse)
        : base(name, description, defaultText)
    {
        ArgumentNullException.ThrowIfNull(parse);
        DefaultValue = defaultValue;
        _parse = parse;
    }

    /// <summary>The value when the setting is unset or empty.</summary>
    public T DefaultValue { get; }

    /// <summary>The value in <paramref name="configuration"/>, or <see cref="DefaultValue"/> when unset or empty.</summary>
    /// <param name="configuration">The host's configuration; null reads the default.</param>
    /// <exception cref="DriverConfigurationException">The value is set but not valid; the message names the setting, the value and what it must be.</exception>
    public T Read(IConfiguration? configuration)
    {
        if (RawValue(configuration) is not { } raw)
        {
            return DefaultValue;
        }

        try
        {
            return _parse(raw);
        }
        catch (FormatException ex)
        {
            throw new DriverConfigurationException(Name, $"{Name} {ex.Message}, not '{raw}'.");
        }
    }
}

/// <summary>
/// A setting of the driver that is missing or not valid; the message is one line that names the setting, says what is
/// wrong and what to do. <see cref="DriverCommandLine"/> prints it and exits with code 1.
/// </summary>
public sealed class DriverConfigurationException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="setting">The setting at fault (its environment variable), or null when none applies.</param>
    /// <param name="message">One line: what is wrong and what to do.</param>
    /// <param name="innerException">The cause, if any.</param>
    public DriverConfigurationException(string? setting, string message, Exception? innerException = null)
        : base(message, innerException) => Setting = setting;

    /// <summary>The setting at fault (its environment variable), or null.</summary>
    public string? Setting { get; }
}
