using DraSdk.Testing;

namespace ExampleDriver.Tests;

/// <summary>The example driver as a separate process, configured as a DaemonSet would configure it.</summary>
internal static class DriverProcesses
{
    public static DriverProcess Start(string root, string kubeconfig, string nodeName = "node-a")
    {
        var options = new DriverProcessOptions
        {
            Command = Path.Combine(AppContext.BaseDirectory, "ExampleDriver.dll"),
            RootDirectory = root,
            Kubeconfig = kubeconfig,
            NodeName = nodeName,
        };
        options.Environment["NUM_DEVICES"] = "4";
        options.Environment["Logging__Console__FormatterName"] = "simple";
        return DriverProcess.Start(options);
    }
}
