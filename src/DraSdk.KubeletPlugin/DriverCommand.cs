using Microsoft.Extensions.Configuration;

namespace DraSdk.KubeletPlugin;

/// <summary>A command of a driver's <see cref="DriverCommandLine"/> besides the kubelet plugin, e.g. <c>demo</c>.</summary>
public sealed class DriverCommand
{
    private readonly List<DriverOption> _options = [];
    private readonly List<DriverSetting> _settings = [];

    /// <summary>Declares a command.</summary>
    /// <param name="name">What users type, lower case, e.g. <c>demo</c>.</param>
    /// <param name="description">One line: what it does.</param>
    /// <param name="run">Runs it; returns the exit code.</param>
    public DriverCommand(string name, string description, Func<DriverCommandArguments, CancellationToken, Task<int>> run)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        ArgumentNullException.ThrowIfNull(run);
        if (name.StartsWith('-'))
        {
            throw new ArgumentException("A command name does not start with '-'.", nameof(name));
        }

        Name = name;
        Description = description;
        Run = run;
    }

    /// <summary>The name.</summary>
    public string Name { get; }

    /// <summary>What it does.</summary>
    public string Description { get; }

    /// <summary>Runs the command.</summary>
    public Func<DriverCommandArguments, CancellationToken, Task<int>> Run { get; }

    /// <summary>Its options.</summary>
    public IReadOnlyList<DriverOption> Options => _options;

    /// <summary>The environment variables it reads (listed in its <c>--help</c>).</summary>
    public IReadOnlyList<DriverSetting> Settings => _settings;

    /// <summary>Adds an option.</summary>
    /// <param name="option">The option.</param>
    /// <returns>This command.</returns>
    public DriverCommand AddOption(DriverOption option)
    {
        ArgumentNullException.ThrowIfNull(option);
        if (_options.Any(o => o.Name == option.Name || (option.ShortName is not null && o.ShortName == option.ShortName)))
        {
            throw new ArgumentException($"Command '{Name}' has an option '{option.Name}' already.", nameof(option));
        }

        _options.Add(option);
        return this;
    }

    /// <summary>Adds an option without a value, e.g. <c>--verbose</c>.</summary>
    /// <param name="name">The option, starting with <c>--</c>.</param>
    /// <param name="description">What it does.</param>
    /// <returns>This command.</returns>
    public DriverCommand AddFlag(string name, string description) => AddOption(new DriverOption(name, description));

    /// <summary>Adds the environment variables the command reads, for its <c>--help</c>.</summary>
    /// <param name="settings">The settings.</param>
    /// <returns>This command.</returns>
    public DriverCommand AddSetting(params DriverSetting[] settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings.AddRange(settings);
        return this;
    }
}

/// <summary>An option of a <see cref="DriverCommand"/>: a flag (<c>--verbose</c>) or an option with a value (<c>-o json</c>, <c>--output=json</c>).</summary>
public sealed class DriverOption
{
    /// <summary>Declares an option.</summary>
    /// <param name="name">The long name, starting with <c>--</c>.</param>
    /// <param name="description">What it does.</param>
    public DriverOption(string name, string description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length < 3)
        {
            throw new ArgumentException("An option's name starts with '--'.", nameof(name));
        }

        Name = name;
        Description = description;
    }

    /// <summary>The long name, e.g. <c>--output</c>.</summary>
    public string Name { get; }

    /// <summary>A one-letter alias, e.g. <c>-o</c>.</summary>
    public string? ShortName { get; init; }

    /// <summary>What the value is, e.g. <c>FORMAT</c>; null for a flag that takes no value.</summary>
    public string? ValueName { get; init; }

    /// <summary>The values allowed; null for any.</summary>
    public IReadOnlyList<string>? AllowedValues { get; init; }

    /// <summary>The default value, as the usage text shows it.</summary>
    public string? DefaultValue { get; init; }

    /// <summary>What it does.</summary>
    public string Description { get; }

    internal string Synopsis =>
        (ShortName is null ? Name : $"{ShortName}, {Name}")
        + (ValueName is null ? string.Empty : AllowedValues is { Count: > 0 } values ? $" {string.Join('|', values)}" : $" <{ValueName}>");
}

/// <summary>The arguments a <see cref="DriverCommand"/> was given, checked against its options.</summary>
public sealed class DriverCommandArguments
{
    private readonly Dictionary<string, string?> _values;

    private DriverCommandArguments(Dictionary<string, string?> values, TextWriter output, TextWriter error, IConfiguration configuration)
    {
        _values = values;
        Output = output;
        Error = error;
        Configuration = configuration;
    }

    /// <summary>Where the command writes its results.</summary>
    public TextWriter Output { get; }

    /// <summary>Where the command writes its problems.</summary>
    public TextWriter Error { get; }

    /// <summary>The environment variables, for <see cref="DriverSetting{T}.Read"/>.</summary>
    public IConfiguration Configuration { get; }

    /// <summary>Whether the option (its long name) was given.</summary>
    /// <param name="option">The long name, e.g. <c>--verbose</c>.</param>
    public bool Has(string option) => _values.ContainsKey(option);

    /// <summary>The option's value, or <paramref name="defaultValue"/> when it was not given.</summary>
    /// <param name="option">The long name, e.g. <c>--output</c>.</param>
    /// <param name="defaultValue">The value when not given.</param>
    public string? Get(string option, string? defaultValue = null) => _values.TryGetValue(option, out string? value) ? value : defaultValue;

    internal static DriverCommandArguments? Parse(DriverCommand command, string[] args, TextWriter output, TextWriter error, out string? problem)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? inline = null;
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=', StringComparison.Ordinal) is > 2 and int eq)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            DriverOption? option = command.Options.FirstOrDefault(o => o.Name == arg || o.ShortName == arg);
            if (option is null)
            {
                problem = arg.StartsWith('-') ? $"unknown option '{arg}' for '{command.Name}'" : $"unexpected argument '{arg}' for '{command.Name}'";
                return null;
            }

            string? value = null;
            if (option.ValueName is not null)
            {
                if (inline is null && i + 1 >= args.Length)
                {
                    problem = $"option '{arg}' needs a value ({option.ValueName})";
                    return null;
                }

                value = inline ?? args[++i];
                if (option.AllowedValues is { Count: > 0 } allowed && !allowed.Contains(value))
                {
                    string choices = allowed.Count == 1 ? allowed[0] : $"{string.Join(", ", allowed.SkipLast(1))} or {allowed[^1]}";
                    problem = $"option '{arg}' must be {choices}, not '{value}'";
                    return null;
                }
            }
            else if (inline is not null)
            {
                problem = $"option '{arg}' takes no value";
                return null;
            }

            values[option.Name] = value;
        }

        problem = null;
        return new DriverCommandArguments(values, output, error, new ConfigurationBuilder().AddEnvironmentVariables().Build());
    }
}
