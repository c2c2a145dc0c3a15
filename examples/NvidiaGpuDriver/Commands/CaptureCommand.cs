using DraSdk.KubeletPlugin;
using NvidiaGpuDriver.Nvml;

namespace NvidiaGpuDriver.Commands;

/// <summary><c>capture</c>: NVML's answers on this node as an nvml.json snapshot, for <c>DEVICE_SOURCE=replay:&lt;file&gt;</c>.</summary>
internal static class CaptureCommand
{
    public static int Run(DriverCommandArguments args)
    {
        TextWriter output = args.Output;
        TextWriter error = args.Error;
        try
        {
            NvidiaDriverOptions options = CommandLine.Options(args);
            using IGpuDeviceSource source = CommandLine.Source(options);
            string json = source.Read().ToJson() + "\n";
            if (args.Get("--output") is { } path && path != "-")
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
