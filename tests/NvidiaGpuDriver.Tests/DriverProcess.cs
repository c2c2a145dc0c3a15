using System.Diagnostics;
using System.Text;

namespace NvidiaGpuDriver.Tests;

/// <summary>The NVIDIA driver as a separate process, configured as a DaemonSet would configure it.</summary>
internal sealed class DriverProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private DriverProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static DriverProcess Start(string root, string kubeconfig, string deviceSource, string nodeName = "node-a")
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "nvidia-gpu-driver.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.Environment["KUBECONFIG"] = kubeconfig;
        info.Environment["NODE_NAME"] = nodeName;
        info.Environment["DEVICE_SOURCE"] = deviceSource;
        info.Environment["NVIDIA_DRIVER_ROOT"] = Path.Combine(root, "driver-root");
        info.Environment["DEV_ROOT"] = Path.Combine(root, "host");
        info.Environment["KUBELET_REGISTRAR_DIRECTORY_PATH"] = Path.Combine(root, "reg");
        info.Environment["KUBELET_PLUGINS_DIRECTORY_PATH"] = Path.Combine(root, "plugins");
        info.Environment["CDI_ROOT"] = Path.Combine(root, "cdi");
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        return new DriverProcess(Process.Start(info)!);
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>Sends SIGTERM, as the kubelet does when it stops the pod.</summary>
    public void Terminate() => Process.Start("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
