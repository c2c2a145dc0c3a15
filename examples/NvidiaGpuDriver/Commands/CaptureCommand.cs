using NvidiaGpuDriver.Nvml;

namespace NvidiaGpuDriver.Commands;

/// <summary><c>capture</c>: NVML's answers on this node as an nvml.json snapshot, for <c>DEVICE_SOURCE=replay:&lt;file&gt;</c>.</summary>
internal static class CaptureCommand
{
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["-o"] = "--output", ["--output"] = "--output", ["--source"] = "--source",
    };

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (CommandLine.Parse(args, Aliases, error) is not { } parsed)
        {
            return 2;
        }

        try
        {
            NvidiaDriverOptions options = CommandLine.Options(parsed);
            using IGpuDeviceSource source = CommandLine.Source(options);
            string json = source.Read().ToJson() + "\n";
            if (parsed.TryGetValue("--output", out string? path) && path != "-")
            {
                File.WriteAllText(path, json);
                error.WriteLine($"capture: wrote {path} from {source.Description}");
            }
            else
            {
                output.Write(json);
            }

            return 0;
        }
        catch (Exception ex) when (ex is NvmlException or SnapshotFormatException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"capture: {ex.Message}");
            return 1;
        }
    }
}
