using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using NvidiaGpuDriver.Nvml;

namespace NvidiaGpuDriver.Commands;

internal static class CommandLine
{
    public const string Usage = """
        nvidia-gpu-driver: the gpu.nvidia.com DRA driver (DraSdk reference driver)

        usage:
          nvidia-gpu-driver                       run the kubelet plugin (settings from the environment)
          nvidia-gpu-driver discover [-o yaml|json|nvidia-smi] [--source nvml|replay:<file>] [--node <name>]
                                                  print the ResourceSlice this node would publish; no cluster needed
          nvidia-gpu-driver capture [-o <file>] [--source nvml|replay:<file>]
                                                  write NVML's answers as an nvml.json snapshot (for DEVICE_SOURCE=replay:<file>)
          nvidia-gpu-driver demo [--verbose] [--snapshot <file>]
                                                  in-process demo: API server, fake kubelet, the driver in replay mode

        environment: DEVICE_SOURCE (nvml | replay:<file>), NVIDIA_DRIVER_ROOT (/), CONTAINER_DRIVER_ROOT, DEV_ROOT (/),
          SYSFS_ROOT (/sys), PROC_ROOT (/proc), NODE_NAME, KUBECONFIG, KUBELET_REGISTRAR_DIRECTORY_PATH,
          KUBELET_PLUGINS_DIRECTORY_PATH, CDI_ROOT, MPS_ROOT, ADDITIONAL_XIDS_TO_IGNORE, Logging__LogLevel__Default
        """;

    /// <summary>Parses <c>--name value</c> / <c>-n value</c> pairs; returns null (and writes why) on anything else.</summary>
    public static Dictionary<string, string>? Parse(string[] args, IReadOnlyDictionary<string, string> aliases, TextWriter error)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            string name = aliases.TryGetValue(args[i], out string? canonical) ? canonical : args[i];
            if (!aliases.Values.Contains(name) || i + 1 >= args.Length)
            {
                error.WriteLine($"unknown or incomplete argument '{args[i]}'\n\n{Usage}");
                return null;
            }

            result[name] = args[++i];
        }

        return result;
    }

    /// <summary>The driver's settings from the environment, with <c>--source</c> and <c>--node</c> on top.</summary>
    public static NvidiaDriverOptions Options(Dictionary<string, string> parsed)
    {
        IConfiguration config = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var options = new NvidiaDriverOptions();
        options.Bind(config);
        if (parsed.TryGetValue("--source", out string? source))
        {
            options.DeviceSource = source;
        }

        if (parsed.TryGetValue("--node", out string? node))
        {
            options.NodeName = node;
        }

        return options.Validate() is { } problem ? throw new InvalidOperationException(problem) : options;
    }

    public static IGpuDeviceSource Source(NvidiaDriverOptions options) => NvidiaDriverHosting.CreateSource(options, NullLoggerFactory.Instance);
}
