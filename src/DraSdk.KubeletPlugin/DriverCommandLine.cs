using System.Reflection;
using System.Text;
using DraSdk.KubeletPlugin.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DraSdk.KubeletPlugin;

/// <summary>
/// A driver's command line, declared once: its commands, their options and the settings it reads from the environment.
/// <see cref="RunAsync"/> gives every driver the same behaviour: <c>--help</c>/<c>-h</c> (also after a command) prints
/// the usage with every environment variable and its default; <c>--version</c> prints the entry assembly's
/// informational version; an unknown command or option is one line on standard error with the usage hint and exit
/// code <see cref="UsageExitCode"/>; with no command (or <c>run</c>) the kubelet plugin runs on the generic host, and
/// a missing or bad setting, or any other failure to start, is one line on standard error and exit code
/// <see cref="ConfigurationExitCode"/>.
/// </summary>
/// <example>
/// <code>
/// return await new DriverCommandLine("example-driver", "the gpu.example.com DRA driver")
///     .AddSetting(NumDevices)
///     .AddCommand(new DriverCommand("demo", "run the demo in this process", (args, ct) =&gt; Demo.RunAsync(args.Has("--verbose"), ct))
///         .AddFlag("--verbose", "log what the driver does"))
///     .RunAsync(args, builder =&gt; builder.AddExampleDriver());
/// </code>
/// </example>
public sealed class DriverCommandLine
{
    /// <summary>The exit code of a command-line mistake (unknown command or option, a missing value).</summary>
    public const int UsageExitCode = 2;

    /// <summary>The exit code of a missing or bad setting, or of a driver that cannot start.</summary>
    public const int ConfigurationExitCode = 1;

    /// <summary>The name of the default command, the kubelet plugin.</summary>
    public const string RunCommandName = "run";

    private readonly List<DriverSetting> _settings = [.. DraDriverSettings.Standard];
    private readonly List<DriverCommand> _commands = [];

    /// <summary>Creates the command line of a driver.</summary>
    /// <param name="name">The program's name as users type it, e.g. <c>example-driver</c>.</param>
    /// <param name="description">One line: what the driver is.</param>
    public DriverCommandLine(string name, string description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        Name = name;
        Description = description;
    }

    /// <summary>The program's name.</summary>
    public string Name { get; }

    /// <summary>What the driver is.</summary>
    public string Description { get; }

    /// <summary>The settings the kubelet plugin reads: <see cref="DraDriverSettings.Standard"/>, then the driver's own.</summary>
    public IReadOnlyList<DriverSetting> Settings => _settings;

    /// <summary>The driver's commands besides <c>run</c>.</summary>
    public IReadOnlyList<DriverCommand> Commands => _commands;

    /// <summary>Where usage and version go; standard output by default.</summary>
    public TextWriter Output { get; set; } = Console.Out;

    /// <summary>Where errors go; standard error by default.</summary>
    public TextWriter Error { get; set; } = Console.Error;

    /// <summary>Adds settings that the kubelet plugin reads (listed in <c>run --help</c>).</summary>
    /// <param name="settings">The settings.</param>
    /// <returns>This command line.</returns>
    public DriverCommandLine AddSetting(params DriverSetting[] settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (DriverSetting setting in settings)
        {
            ArgumentNullException.ThrowIfNull(setting);
            if (!_settings.Any(s => s.Name == setting.Name))
            {
                _settings.Add(setting);
            }
        }

        return this;
    }

    /// <summary>Adds a command.</summary>
    /// <param name="command">The command; its name must not be <c>run</c>, <c>help</c> or another command's.</param>
    /// <returns>This command line.</returns>
    public DriverCommandLine AddCommand(DriverCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Name is RunCommandName or "help" || _commands.Any(c => c.Name == command.Name))
        {
            throw new ArgumentException($"A command named '{command.Name}' exists already.", nameof(command));
        }

        _commands.Add(command);
        return this;
    }

    /// <summary>The version <c>--version</c> prints: the entry assembly's informational version.</summary>
    public static string Version =>
        Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? Assembly.GetEntryAssembly()?.GetName().Version?.ToString()
        ?? "unknown";

    /// <summary>The usage text: of the whole program, or of one command (<c>run</c> for the kubelet plugin).</summary>
    /// <param name="command">A command's name; null for the program's.</param>
    public string Usage(string? command = null)
    {
        var text = new StringBuilder();
        DriverCommand? one = command is null or RunCommandName ? null : _commands.FirstOrDefault(c => c.Name == command);
        if (one is not null)
        {
            text.Append("Usage: ").Append(Name).Append(' ').Append(one.Name).Append(one.Options.Count > 0 ? " [options]" : string.Empty).Append("\n\n");
            text.Append(one.Description).Append('\n');
            AppendOptions(text, one.Options);
            AppendSettings(text, one.Settings, "Environment");
            return text.ToString();
        }

        text.Append(Name).Append(": ").Append(Description).Append("\n\nUsage:\n");
        var rows = new List<(string, string)> { ($"{Name} [{RunCommandName}]", "run the kubelet plugin, configured by the environment below (the default)") };
        rows.AddRange(_commands.Select(c => ($"{Name} {c.Name}{(c.Options.Count > 0 ? " [options]" : string.Empty)}", c.Description)));
        rows.Add(($"{Name} <command> --help", "the command's options and settings"));
        rows.Add(($"{Name} --version", "print the version"));
        AppendRows(text, rows);
        AppendSettings(text, _settings, $"Environment ({RunCommandName})");
        text.Append("\nExit codes: 0 done, ").Append(ConfigurationExitCode).Append(" a missing or bad setting or a failure to start, ")
            .Append(UsageExitCode).Append(" a command-line mistake.\n");
        return text.ToString();
    }

    /// <summary>
    /// Runs the command <paramref name="args"/> name; with none (or <c>run</c>) builds the generic host with
    /// <paramref name="configurePlugin"/>, checks its options (and the API server's configuration) before it starts,
    /// and runs it until it stops.
    /// </summary>
    /// <param name="args">The program's arguments.</param>
    /// <param name="configurePlugin">Composes the kubelet plugin on the host builder (e.g. <c>builder.AddExampleDriver()</c>).</param>
    /// <returns>The exit code: 0, <see cref="ConfigurationExitCode"/>, <see cref="UsageExitCode"/>, or the command's own.</returns>
    public async Task<int> RunAsync(string[] args, Action<HostApplicationBuilder> configurePlugin)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(configurePlugin);
        switch (args)
        {
            case ["--help" or "-h" or "help"]:
                await Output.WriteAsync(Usage()).ConfigureAwait(false);
                return 0;
            case ["help", string name]:
                return name == RunCommandName || _commands.Any(c => c.Name == name)
                    ? await WriteUsageAsync(name).ConfigureAwait(false)
                    : await UsageErrorAsync($"unknown command '{name}'", null).ConfigureAwait(false);
            case ["--version"]:
                await Output.WriteLineAsync($"{Name} {Version}").ConfigureAwait(false);
                return 0;
            case ["--version" or "--help" or "-h", _, ..]:
                return await UsageErrorAsync($"'{args[0]}' takes no arguments", null).ConfigureAwait(false);
        }

        string commandName = args is [{ } first, ..] && !first.StartsWith('-') ? first : RunCommandName;
        string[] rest = args is [{ } head, ..] && !head.StartsWith('-') ? args[1..] : args;
        DriverCommand? command = null;
        if (commandName != RunCommandName && (command = _commands.FirstOrDefault(c => c.Name == commandName)) is null)
        {
            return await UsageErrorAsync($"unknown command '{commandName}'", null).ConfigureAwait(false);
        }

        if (rest.Any(a => a is "--help" or "-h"))
        {
            return await WriteUsageAsync(commandName).ConfigureAwait(false);
        }

        if (command is null)
        {
            return rest.Length > 0
                ? await UsageErrorAsync(rest[0].StartsWith('-') ? $"unknown option '{rest[0]}'" : $"unexpected argument '{rest[0]}'", RunCommandName).ConfigureAwait(false)
                : await RunPluginAsync(configurePlugin).ConfigureAwait(false);
        }

        if (DriverCommandArguments.Parse(command, rest, Output, Error, out string? problem) is not { } parsed)
        {
            return await UsageErrorAsync(problem!, command.Name).ConfigureAwait(false);
        }

        try
        {
            return await command.Run(parsed, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DriverConfigurationException or OptionsValidationException)
        {
            await Error.WriteLineAsync($"{Name} {command.Name}: {OneLine(ex.Message)}").ConfigureAwait(false);
            return ConfigurationExitCode;
        }
    }

    private async Task<int> RunPluginAsync(Action<HostApplicationBuilder> configurePlugin)
    {
        IHost? host = null;
        try
        {
            // The environment configures the driver; the arguments have been checked above, none reach the host.
            HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });

            // A DaemonSet's log is read line by line (kubectl logs, log collectors): one line per entry, unless the
            // configuration picks a format (Logging__Console__FormatterName=json, ...FormatterOptions__SingleLine=false).
            if (builder.Configuration["Logging:Console:FormatterName"] is null && builder.Configuration["Logging:Console:FormatterOptions:SingleLine"] is null)
            {
                builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            }

            configurePlugin(builder);
            host = builder.Build();

            // What ValidateOnStart would find once the host starts, found before it logs anything: one line, not a trace.
            host.Services.GetService<IStartupValidator>()?.Validate();
            _ = host.Services.GetService<k8s.IKubernetes>();
        }
        catch (Exception ex)
        {
            host?.Dispose();
            await Error.WriteLineAsync($"{Name}: {Describe(ex)}").ConfigureAwait(false);
            return ConfigurationExitCode;
        }

        try
        {
            await host.RunAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The host has logged the details; one line that says why, and a non-zero exit so the pod restarts.
            await Error.WriteLineAsync($"{Name}: cannot start: {Describe(ex)}").ConfigureAwait(false);
            return ConfigurationExitCode;
        }
        finally
        {
            host.Dispose();
        }

        return Environment.ExitCode;
    }

    private static string Describe(Exception ex)
    {
        Exception shown = ex;
        while (shown is AggregateException { InnerExceptions.Count: 1 } or TargetInvocationException && shown.InnerException is { } inner)
        {
            shown = inner;
        }

        return shown is AggregateException many
            ? string.Join("; ", many.InnerExceptions.Select(e => OneLine(e.Message)))
            : OneLine(shown.Message);
    }

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private async Task<int> WriteUsageAsync(string command)
    {
        await Output.WriteAsync(Usage(command)).ConfigureAwait(false);
        return 0;
    }

    private async Task<int> UsageErrorAsync(string problem, string? command)
    {
        string help = command is null ? $"{Name} --help" : $"{Name} {command} --help";
        await Error.WriteLineAsync($"{Name}: {problem}. See '{help}'.").ConfigureAwait(false);
        return UsageExitCode;
    }

    private static void AppendOptions(StringBuilder text, IReadOnlyList<DriverOption> options)
    {
        if (options.Count == 0)
        {
            return;
        }

        text.Append("\nOptions:\n");
        AppendRows(text, options.Select(o => (o.Synopsis, o.DefaultValue is null ? o.Description : $"{o.Description} [default: {o.DefaultValue}]")));
    }

    private static void AppendSettings(StringBuilder text, IReadOnlyList<DriverSetting> settings, string title)
    {
        if (settings.Count == 0)
        {
            return;
        }

        text.Append('\n').Append(title).Append(":\n");
        AppendRows(text, settings.Select(s => (s.Name, $"{s.Description} [default: {s.DefaultText}]")));
    }

    private static void AppendRows(StringBuilder text, IEnumerable<(string Left, string Right)> rows)
    {
        (string Left, string Right)[] all = [.. rows];
        int width = Math.Min(40, all.Max(r => r.Left.Length)) + 2;
        foreach ((string left, string right) in all)
        {
            text.Append("  ").Append(left);
            if (left.Length + 2 > width)
            {
                text.Append('\n').Append(' ', width + 2);
            }
            else
            {
                text.Append(' ', width - left.Length);
            }

            text.Append(right).Append('\n');
        }
    }
}
