using System.Diagnostics;
using System.Globalization;
using DraSdk.Kubelet.Api.PluginRegistration.V1;
using DraSdk.Testing;
using Grpc.Net.Client;

namespace NvidiaGpuDriver.Benchmarks;

/// <summary>Starts the published driver and the minimal gRPC server as processes, and waits until they answer.</summary>
internal static class DriverProcesses
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string DriverBinary => Environment.GetEnvironmentVariable("NVIDIA_DRIVER_BIN") ?? Path.Combine(RepositoryRoot, "out", "nvidia", "nvidia-gpu-driver");

    public static string MinimalBinary => Environment.GetEnvironmentVariable("MINIMAL_GRPC_BIN") ?? Path.Combine(RepositoryRoot, "out", "minimal-grpc", "MinimalGrpcServer");

    public static string Snapshot => Path.Combine(RepositoryRoot, "tests", "NvidiaGpuDriver.Tests", "Fixtures", "nvidia", "h100-80gb-hbm3", "nvml.json");

    public static Process StartDriver(string root, string kubeconfig)
    {
        var info = new ProcessStartInfo(DriverBinary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["KUBECONFIG"] = kubeconfig;
        info.Environment["NODE_NAME"] = "bench-node";
        info.Environment["DEVICE_SOURCE"] = "replay:" + Snapshot;
        info.Environment["KUBELET_REGISTRAR_DIRECTORY_PATH"] = Path.Combine(root, "reg");
        info.Environment["KUBELET_PLUGINS_DIRECTORY_PATH"] = Path.Combine(root, "plugins");
        info.Environment["CDI_ROOT"] = Path.Combine(root, "cdi");
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        return Drain(Process.Start(info)!);
    }

    public static Process StartMinimal(string socket)
    {
        var info = new ProcessStartInfo(MinimalBinary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(socket);
        return Drain(Process.Start(info)!);
    }

    /// <summary>Polls until a GetInfo on the socket succeeds.</summary>
    public static async Task WaitForGetInfoAsync(string socket, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (File.Exists(socket))
            {
                using GrpcChannel channel = UnixSocketChannel.Create(socket);
                try
                {
                    await new Registration.RegistrationClient(channel).GetInfoAsync(new InfoRequest(), cancellationToken: cancellationToken);
                    return;
                }
                catch (Grpc.Core.RpcException)
                {
                }
            }

            await Task.Delay(2, cancellationToken);
        }
    }

    public static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit();
        process.Dispose();
    }

    /// <summary>Resident memory of a process, from /proc.</summary>
    public static long ResidentBytes(Process process)
    {
        foreach (string line in File.ReadLines($"/proc/{process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    private static Process Drain(Process process)
    {
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "DraSdk.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("Run from inside the repository.");
    }
}
