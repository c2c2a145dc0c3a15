using Microsoft.Extensions.Hosting;
using NvidiaGpuDriver;
using NvidiaGpuDriver.Commands;
using NvidiaGpuDriver.Demo;

// `discover`: the ResourceSlice this node would get, without a cluster. `capture`: an nvml.json snapshot of this node.
// `demo`: everything in one process (in-memory API server, fake kubelet, this driver in replay mode).
// Otherwise: the driver as the DaemonSet runs it.
switch (args)
{
    case ["discover", ..]:
        return DiscoverCommand.Run(args[1..], Console.Out, Console.Error);
    case ["capture", ..]:
        return CaptureCommand.Run(args[1..], Console.Out, Console.Error);
    case ["demo", ..]:
        return await DemoRunner.RunAsync(args[1..], Console.Out);
    case ["--help" or "-h" or "help", ..]:
        Console.Out.WriteLine(CommandLine.Usage);
        return 0;
}

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.AddNvidiaGpuDriver();
try
{
    await builder.Build().RunAsync();
}
catch (Exception ex) when (ex is not OperationCanceledException)
{
    // The host has logged the details; one line that says why, and a non-zero exit so the pod restarts.
    Exception shown = ex;
    while (shown is AggregateException { InnerException: { } inner })
    {
        shown = inner;
    }

    await Console.Error.WriteLineAsync($"nvidia-gpu-driver: cannot start: {shown.Message}");
    return 1;
}

return Environment.ExitCode;
