using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace DraSdk.Testing;

/// <summary>How to start a driver as its own process, configured as a DaemonSet configures it.</summary>
public sealed class DriverProcessOptions
{
    /// <summary>The driver's executable, or its <c>.dll</c> (then run with <c>dotnet</c>).</summary>
    public required string Command { get; init; }

    /// <summary>Arguments after the command.</summary>
    public IList<string> Arguments { get; } = [];

    /// <summary>
    /// A short directory for the kubelet's folders: the process gets <c>KUBELET_REGISTRAR_DIRECTORY_PATH=&lt;root&gt;/reg</c>,
    /// <c>KUBELET_PLUGINS_DIRECTORY_PATH=&lt;root&gt;/plugins</c> and <c>CDI_ROOT=&lt;root&gt;/cdi</c>.
    /// </summary>
    public required string RootDirectory { get; init; }

    /// <summary>The kubeconfig the driver uses (<c>KUBECONFIG</c>), e.g. from <see cref="InMemoryKubernetesApiServer.WriteKubeconfig"/>.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>The node name (<c>NODE_NAME</c>).</summary>
    public string NodeName { get; init; } = "node-a";

    /// <summary>More environment variables for the driver.</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>
/// A driver running as its own process, for the tests only a process can make: SIGKILL at any point and restart,
/// SIGTERM and a clean exit. Standard output and error are collected in <see cref="Output"/>.
/// </summary>
public sealed partial class DriverProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private DriverProcess(Process process, DriverProcessOptions options)
    {
        _process = process;
        RegistrarDirectoryPath = Path.Combine(options.RootDirectory, "reg");
        PluginsDirectoryPath = Path.Combine(options.RootDirectory, "plugins");
        CdiRoot = Path.Combine(options.RootDirectory, "cdi");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The registration directory given to the driver; point a <see cref="FakeKubelet"/> at it.</summary>
    public string RegistrarDirectoryPath { get; }

    /// <summary>The kubelet plugins directory given to the driver.</summary>
    public string PluginsDirectoryPath { get; }

    /// <summary>The CDI spec directory given to the driver.</summary>
    public string CdiRoot { get; }

    /// <summary>Everything the process wrote to standard output and error so far.</summary>
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

    /// <summary>Starts the driver.</summary>
    /// <param name="options">What to run and how.</param>
    public static DriverProcess Start(DriverProcessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        bool dll = options.Command.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo(dll ? "dotnet" : options.Command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (dll)
        {
            info.ArgumentList.Add(options.Command);
        }

        foreach (string argument in options.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (options.Kubeconfig is not null)
        {
            info.Environment["KUBECONFIG"] = options.Kubeconfig;
        }

        info.Environment["NODE_NAME"] = options.NodeName;
        info.Environment["KUBELET_REGISTRAR_DIRECTORY_PATH"] = Path.Combine(options.RootDirectory, "reg");
        info.Environment["KUBELET_PLUGINS_DIRECTORY_PATH"] = Path.Combine(options.RootDirectory, "plugins");
        info.Environment["CDI_ROOT"] = Path.Combine(options.RootDirectory, "cdi");
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach ((string name, string value) in options.Environment)
        {
            info.Environment[name] = value;
        }

        return new DriverProcess(Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {options.Command}."), options);
    }

    /// <summary>Sends SIGKILL: the process dies at once, without any cleanup, as after an OOM kill or a node crash.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>Sends SIGTERM, as the kubelet does when it stops the pod.</summary>
    public void Terminate()
    {
        if (kill(_process.Id, SIGTERM) != 0)
        {
            throw new InvalidOperationException($"Cannot send SIGTERM to {_process.Id}: errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    /// <param name="timeout">How long to wait; a <see cref="OperationCanceledException"/> after that.</param>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Kills the process if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
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

    private const int SIGTERM = 15;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
