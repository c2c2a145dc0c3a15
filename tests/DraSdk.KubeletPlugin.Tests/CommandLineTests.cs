using DraSdk.KubeletPlugin.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DraSdk.KubeletPlugin.Tests;

/// <summary><see cref="DriverCommandLine"/>: usage, version, mistakes (exit 2), bad settings (exit 1), commands and their options.</summary>
public sealed class CommandLineTests
{
    private static readonly DriverSetting<int> Count = DriverSetting.Number("NUM_WIDGETS", 8, "How many widgets.", minimum: 1, maximum: 500);

    [Fact]
    public async Task Help_lists_the_commands_and_every_setting_with_its_default()
    {
        (int exit, string output, string error) = await RunAsync(["--help"]);

        Assert.Equal((0, string.Empty), (exit, error));
        Assert.StartsWith("widget-driver: the widget driver\n\nUsage:\n  widget-driver [run] ", output, StringComparison.Ordinal);
        Assert.Matches("\n  widget-driver echo \\[options\\] +print the words\n", output);
        foreach (DriverSetting setting in DraDriverSettings.Standard.Append(Count))
        {
            Assert.Contains($"\n  {setting.Name} ", output, StringComparison.Ordinal);
            Assert.Contains($"{setting.Description} [default: {setting.DefaultText}]\n", output, StringComparison.Ordinal);
        }

        Assert.Contains("NUM_WIDGETS                       How many widgets. [default: 8]\n", output, StringComparison.Ordinal);
        Assert.Contains("CDI_ROOT ", output, StringComparison.Ordinal);
        Assert.Contains("[default: /var/run/cdi]", output, StringComparison.Ordinal);
        Assert.DoesNotContain("DRIVER_NAME", output, StringComparison.Ordinal);
        Assert.Equal(output, (await RunAsync(["-h"])).Output);
        Assert.Equal(output, (await RunAsync(["help"])).Output);
        Assert.Equal(output, (await RunAsync(["run", "--help"])).Output);
    }

    [Fact]
    public async Task A_commands_help_lists_its_options_and_settings()
    {
        (int exit, string output, _) = await RunAsync(["echo", "--help"]);

        Assert.Equal(0, exit);
        Assert.Equal(
            "Usage: widget-driver echo [options]\n\nprint the words\n\nOptions:\n"
            + "  --loud                   shout\n"
            + "  -f, --format plain|json  how [default: plain]\n"
            + "  --word <WORD>            what to say\n\n"
            + "Environment:\n  NUM_WIDGETS  How many widgets. [default: 8]\n",
            output);
        Assert.Equal(output, (await RunAsync(["help", "echo"])).Output);
        Assert.Equal(output, (await RunAsync(["echo", "--word", "x", "-h"])).Output);
    }

    [Fact]
    public async Task Version_is_the_entry_assemblys_informational_version()
    {
        (int exit, string output, _) = await RunAsync(["--version"]);

        Assert.Equal(0, exit);
        Assert.Equal($"widget-driver {DriverCommandLine.Version}\n", output);
        Assert.NotEqual("unknown", DriverCommandLine.Version);
    }

    [Theory]
    [InlineData(new[] { "--frobnicate" }, "widget-driver: unknown option '--frobnicate'. See 'widget-driver run --help'.")]
    [InlineData(new[] { "run", "extra" }, "widget-driver: unexpected argument 'extra'. See 'widget-driver run --help'.")]
    [InlineData(new[] { "frobnicate" }, "widget-driver: unknown command 'frobnicate'. See 'widget-driver --help'.")]
    [InlineData(new[] { "help", "frobnicate" }, "widget-driver: unknown command 'frobnicate'. See 'widget-driver --help'.")]
    [InlineData(new[] { "echo", "--shout" }, "widget-driver: unknown option '--shout' for 'echo'. See 'widget-driver echo --help'.")]
    [InlineData(new[] { "echo", "word" }, "widget-driver: unexpected argument 'word' for 'echo'. See 'widget-driver echo --help'.")]
    [InlineData(new[] { "echo", "--word" }, "widget-driver: option '--word' needs a value (WORD). See 'widget-driver echo --help'.")]
    [InlineData(new[] { "echo", "-f", "xml" }, "widget-driver: option '-f' must be plain or json, not 'xml'. See 'widget-driver echo --help'.")]
    [InlineData(new[] { "echo", "--loud=yes" }, "widget-driver: option '--loud' takes no value. See 'widget-driver echo --help'.")]
    [InlineData(new[] { "--version", "now" }, "widget-driver: '--version' takes no arguments. See 'widget-driver --help'.")]
    public async Task A_command_line_mistake_is_one_line_with_the_usage_hint_and_exit_code_2(string[] args, string expected)
    {
        (int exit, string output, string error) = await RunAsync(args);

        Assert.Equal((DriverCommandLine.UsageExitCode, string.Empty, expected + "\n"), (exit, output, error));
    }

    [Fact]
    public async Task A_command_gets_its_options_and_the_environment()
    {
        Environment.SetEnvironmentVariable("NUM_WIDGETS", "3");
        try
        {
            (int exit, string output, string error) = await RunAsync(["echo", "--loud", "--format=json", "--word", "hi"]);
            Assert.Equal((7, "loud json hi 3\n", string.Empty), (exit, output, error));
            Assert.Equal("quiet plain  3\n", (await RunAsync(["echo"])).Output);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NUM_WIDGETS", null);
        }
    }

    [Fact]
    public async Task A_bad_setting_read_by_a_command_is_one_line_and_exit_code_1()
    {
        Environment.SetEnvironmentVariable("NUM_WIDGETS", "0");
        try
        {
            (int exit, string output, string error) = await RunAsync(["echo"]);
            Assert.Equal((1, string.Empty, "widget-driver echo: NUM_WIDGETS must be a whole number from 1 to 500, not '0'.\n"), (exit, output, error));
        }
        finally
        {
            Environment.SetEnvironmentVariable("NUM_WIDGETS", null);
        }
    }

    [Fact]
    public async Task A_bad_setting_of_the_plugin_is_one_line_and_exit_code_1_before_the_host_starts()
    {
        (int exit, string output, string error) = await RunAsync([], builder =>
        {
            builder.Configuration["NUM_WIDGETS"] = "many";
            _ = Count.Read(builder.Configuration);
        });

        Assert.Equal((1, string.Empty, "widget-driver: NUM_WIDGETS must be a whole number from 1 to 500, not 'many'.\n"), (exit, output, error));
    }

    [Fact]
    public async Task Invalid_plugin_options_are_one_line_and_exit_code_1_not_a_stack_trace()
    {
        using var root = new TempDirectory();
        bool started = false;
        (int exit, string output, string error) = await RunAsync([], builder =>
        {
            builder.Services.AddDraDriver<RecordingDriver>(o =>
            {
                o.DriverName = "Not_A_Name";
                o.RegistrarDirectoryPath = "relative/reg";
                o.KubeletPluginsDirectoryPath = root.Path;
            });
            builder.Services.AddHostedService(_ => new StartProbe(() => started = true));
        });

        Assert.Equal((1, string.Empty), (exit, output));
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("widget-driver: ", line, StringComparison.Ordinal);
        Assert.Contains("DriverName 'Not_A_Name' is not a DNS subdomain", line, StringComparison.Ordinal);
        Assert.Contains("RegistrarDirectoryPath 'relative/reg' must be an absolute path.", line, StringComparison.Ordinal);
        Assert.False(started);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public async Task An_unreadable_kubeconfig_is_one_line_that_names_KUBECONFIG()
    {
        using var root = new TempDirectory();
        string kubeconfig = Path.Combine(root.Path, "missing.yaml");
        (int exit, _, string error) = await RunAsync([], builder =>
        {
            builder.Configuration["KUBECONFIG"] = kubeconfig;
            builder.Configuration["NODE_NAME"] = "node-a";
            builder.Services.AddDraDriver<RecordingDriver>(o =>
            {
                o.DriverName = "gpu.example.com";
                o.RegistrarDirectoryPath = Path.Combine(root.Path, "reg");
                o.KubeletPluginsDirectoryPath = Path.Combine(root.Path, "plugins");
            });
        });

        Assert.Equal(1, exit);
        Assert.Matches($"^widget-driver: KUBECONFIG '{System.Text.RegularExpressions.Regex.Escape(kubeconfig)}' cannot be used: .+\\. Point KUBECONFIG at a readable kubeconfig file, or unset it to use the pod's service account\\.\n$", error);
    }

    [Fact]
    public async Task A_failure_to_start_is_one_line_on_stderr_and_exit_code_1()
    {
        (int exit, _, string error) = await RunAsync([], builder => builder.Services.AddHostedService(_ => new StartProbe(() => throw new IOException("disk on fire"))));

        Assert.Equal((1, "widget-driver: cannot start: disk on fire\n"), (exit, error));
    }

    [Theory]
    [InlineData("HEALTH_PORT", "70000", "HEALTH_PORT must be a whole number from 0 to 65535, not '70000'.")]
    [InlineData("HTTP_BIND_ADDRESS", "localhost", "HTTP_BIND_ADDRESS must be an IP address such as 0.0.0.0, :: or 127.0.0.1, not 'localhost'.")]
    [InlineData("CDI_ROOT", "cdi", "CDI_ROOT must be an absolute path, not 'cdi'.")]
    public async Task The_SDKs_own_settings_are_checked_the_same_way(string name, string value, string expected)
    {
        (int exit, _, string error) = await RunAsync([], builder =>
        {
            builder.Configuration[name] = value;
            builder.Services.AddDraDriver<RecordingDriver>(o => o.DriverName = "gpu.example.com");
        });

        Assert.Equal((1, $"widget-driver: {expected}\n"), (exit, error));
    }

    [Fact]
    public void Settings_read_their_defaults_and_values()
    {
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["NUM_WIDGETS"] = "500",
            ["FLAG_ON"] = "Yes",
            ["EMPTY"] = string.Empty,
            ["PORT"] = "8080",
        }).Build();

        Assert.Equal(500, Count.Read(config));
        Assert.Equal(8, Count.Read(null));
        Assert.True(DriverSetting.Flag("FLAG_ON", false, "x").Read(config));
        Assert.True(DriverSetting.Flag("EMPTY", true, "x").Read(config));
        Assert.Equal("fallback", DriverSetting.Text("EMPTY", "fallback", "x").Read(config));
        Assert.Equal(8080, DriverSetting.Port("PORT", "x").Read(config));
        Assert.Null(DriverSetting.Port("UNSET", "x").Read(config));
        Assert.Equal("unset (off)", DriverSetting.Port("UNSET", "x").DefaultText);
        DriverConfigurationException bad = Assert.Throws<DriverConfigurationException>(() => DriverSetting.Flag("NUM_WIDGETS", false, "x").Read(config));
        Assert.Equal(("NUM_WIDGETS", "NUM_WIDGETS must be true or false, not '500'."), (bad.Setting, bad.Message));
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(string[] args, Action<HostApplicationBuilder>? plugin = null)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        DriverCommandLine commandLine = new DriverCommandLine("widget-driver", "the widget driver")
            .AddSetting(Count)
            .AddCommand(new DriverCommand("echo", "print the words", async (a, _) =>
                {
                    int count = Count.Read(a.Configuration);
                    await a.Output.WriteLineAsync($"{(a.Has("--loud") ? "loud" : "quiet")} {a.Get("--format", "plain")} {a.Get("--word")} {count}");
                    return a.Has("--loud") ? 7 : 0;
                })
                .AddFlag("--loud", "shout")
                .AddOption(new DriverOption("--format", "how") { ShortName = "-f", ValueName = "FORMAT", AllowedValues = ["plain", "json"], DefaultValue = "plain" })
                .AddOption(new DriverOption("--word", "what to say") { ValueName = "WORD" })
                .AddSetting(Count));
        commandLine.Output = output;
        commandLine.Error = error;
        int exit = await commandLine.RunAsync(args, plugin ?? (_ => throw new InvalidOperationException("the plugin was not to run")));
        return (exit, output.ToString(), error.ToString());
    }

    private sealed class StartProbe(Action onStart) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            onStart();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
