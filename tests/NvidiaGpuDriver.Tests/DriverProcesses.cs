using DraSdk.Testing;

namespace NvidiaGpuDriver.Tests;

/// <summary>The NVIDIA driver as a separate process, configured as a DaemonSet would configure it.</summary>
internal static class DriverProcesses
{
    public static DriverProcess Start(string root, string kubeconfig, string deviceSource, string nodeName = "node-a")
    {
        var options = new DriverProcessOptions
        {
            Command = Path.Combine(AppContext.BaseDirectory, "nvidia-gpu-driver.dll"),
            RootDirectory = root,
            Kubeconfig = kubeconfig,
            NodeName = nodeName,
        };
        options.Environment["DEVICE_SOURCE"] = deviceSource;
        options.Environment["NVIDIA_DRIVER_ROOT"] = Path.Combine(root, "driver-root");
        options.Environment["DEV_ROOT"] = Path.Combine(root, "host");
        options.Environment["Logging__Console__FormatterName"] = "simple";
        return DriverProcess.Start(options);
    }
}
