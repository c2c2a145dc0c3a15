using DraSdk.KubeletPlugin;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using NvidiaGpuDriver.Demo;
using NvidiaGpuDriver.Nvml;

namespace NvidiaGpuDriver.Commands;

internal static class CommandLine
{
    private static readonly DriverOption SourceOption = new("--source", "nvml or replay:<file> (overrides DEVICE_SOURCE)") { ValueName = "SOURCE" };

    /// <summary>The driver's commands and settings: <c>run</c> (the kubelet plugin), <c>discover</c>, <c>capture</c>, <c>demo</c>.</summary>
    public static DriverCommandLine Create() => new DriverCommandLine("nvidia-gpu-driver", $"the {NvidiaDriverOptions.DriverName} DRA driver (DraSdk reference driver)")
        .AddSetting(NvidiaDriverOptions.Settings)
        .AddCommand(new DriverCommand("discover", "print the ResourceSlice this node would publish; no cluster needed", (a, _) => Task.FromResult(DiscoverCommand.Run(a)))
            .AddOption(new DriverOption("--output", "the format") { ShortName = "-o", ValueName = "FORMAT", AllowedValues = ["yaml", "json", "nvidia-smi"], DefaultValue = "yaml" })
            .AddOption(SourceOption)
            .AddOption(new DriverOption("--node", "the node name in the slice") { ValueName = "NAME", DefaultValue = "NODE_NAME, else this machine's host name" })
            .AddSetting(NvidiaDriverOptions.Settings)
            .AddSetting(DraDriverSettings.NodeName))
        .AddCommand(new DriverCommand("capture", "write NVML's answers as an nvml.json snapshot (for DEVICE_SOURCE=replay:<file>)", (a, _) => Task.FromResult(CaptureCommand.Run(a)))
            .AddOption(new DriverOption("--output", "the file to write; - for standard output") { ShortName = "-o", ValueName = "FILE", DefaultValue = "-" })
            .AddOption(SourceOption)
            .AddSetting(NvidiaDriverOptions.Settings))
        .AddCommand(new DriverCommand("demo", "in-process demo: API server, fake kubelet, the driver in replay mode",
                (a, _) => DemoRunner.RunAsync(a.Has("--verbose"), a.Get("--snapshot") is { } file ? Path.GetFullPath(file) : DemoRunner.DefaultSnapshot, a.Output))
            .AddFlag("--verbose", "show the driver's log")
            .AddOption(new DriverOption("--snapshot", "the nvml.json snapshot to replay") { ValueName = "FILE", DefaultValue = "the kind node's snapshot" }));

    /// <summary>The driver's settings from the environment, with <c>--source</c> and <c>--node</c> on top.</summary>
    public static NvidiaDriverOptions Options(DriverCommandArguments args)
    {
        var options = new NvidiaDriverOptions();
        options.Bind(args.Configuration);
        if (args.Get("--source") is { } source)
        {
            options.DeviceSource = source;
        }

        options.NodeName = args.Get("--node") ?? (options.NodeName.Length > 0 ? options.NodeName : Environment.MachineName.ToLowerInvariant());
        return options.Validate() is { } problem ? throw new DriverConfigurationException(null, problem) : options;
    }

    public static IGpuDeviceSource Source(NvidiaDriverOptions options) => NvidiaDriverHosting.CreateSource(options, NullLoggerFactory.Instance);
}
