using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace NvidiaGpuDriver.Driver;

/// <summary>A sharing setting could not be applied to a GPU.</summary>
internal sealed class GpuControlException : Exception
{
    public GpuControlException()
    {
    }

    public GpuControlException(string message)
        : base(message)
    {
    }

    public GpuControlException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>What a claim's MPS control daemon needs: its GPUs and where its pipe and log directories are.</summary>
internal sealed record MpsDaemonSpec(string ClaimUid, IReadOnlyList<string> GpuUuids, string PipeDirectory, string LogDirectory, int? ActiveThreadPercentage, string? PinnedMemoryLimit);

/// <summary>Applies sharing settings to GPUs: the time slice, and a per-claim MPS control daemon.</summary>
internal interface IGpuControl
{
    /// <summary>Sets the time slice of a GPU (0 Default, 1 Short, 2 Medium, 3 Long).</summary>
    void SetTimeSlice(string gpuUuid, int interval);

    /// <summary>Starts the claim's MPS control daemon (idempotent).</summary>
    void StartMps(MpsDaemonSpec spec);

    /// <summary>Stops the claim's MPS control daemon, if running (idempotent).</summary>
    void StopMps(MpsDaemonSpec spec);
}

/// <summary>Replay mode: no GPU to change; the settings are recorded and logged, so tests and demos can see them.</summary>
internal sealed partial class RecordingGpuControl(ILogger<RecordingGpuControl> logger) : IGpuControl
{
    private readonly List<string> _actions = [];

    public IReadOnlyList<string> Actions
    {
        get
        {
            lock (_actions)
            {
                return [.. _actions];
            }
        }
    }

    public void SetTimeSlice(string gpuUuid, int interval) => Record($"timeslice {gpuUuid} {interval}");

    public void StartMps(MpsDaemonSpec spec) => Record($"mps start {spec.ClaimUid} {string.Join(',', spec.GpuUuids)} {spec.PipeDirectory}");

    public void StopMps(MpsDaemonSpec spec) => Record($"mps stop {spec.ClaimUid}");

    private void Record(string action)
    {
        lock (_actions)
        {
            _actions.Add(action);
        }

        LogAction(logger, action);
    }

    [LoggerMessage(1, LogLevel.Information, "Replay mode, not applied to hardware: {Action}")]
    private static partial void LogAction(ILogger logger, string action);
}

/// <summary>
/// On real GPUs: <c>nvidia-smi compute-policy --set-timeslice</c>, and <c>nvidia-cuda-mps-control -d</c> per claim
/// (stopped with <c>quit</c>), both from the driver root.
/// </summary>
internal sealed partial class NvidiaSmiGpuControl(string containerDriverRoot, ILogger<NvidiaSmiGpuControl> logger) : IGpuControl
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    public void SetTimeSlice(string gpuUuid, int interval) =>
        Run("nvidia-smi", ["compute-policy", "-i", gpuUuid, "--set-timeslice", interval.ToString(CultureInfo.InvariantCulture)], null, null);

    public void StartMps(MpsDaemonSpec spec) => Run("nvidia-cuda-mps-control", ["-d"], Environment(spec), null);

    public void StopMps(MpsDaemonSpec spec)
    {
        if (Directory.Exists(spec.PipeDirectory))
        {
            Run("nvidia-cuda-mps-control", [], Environment(spec), "quit\n");
        }
    }

    private static Dictionary<string, string> Environment(MpsDaemonSpec spec)
    {
        var env = new Dictionary<string, string>
        {
            ["CUDA_VISIBLE_DEVICES"] = string.Join(',', spec.GpuUuids),
            ["CUDA_MPS_PIPE_DIRECTORY"] = spec.PipeDirectory,
            ["CUDA_MPS_LOG_DIRECTORY"] = spec.LogDirectory,
        };
        if (spec.ActiveThreadPercentage is { } percentage)
        {
            env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"] = percentage.ToString(CultureInfo.InvariantCulture);
        }

        if (spec.PinnedMemoryLimit is { } limit)
        {
            env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"] = limit;
        }

        return env;
    }

    private void Run(string binary, string[] arguments, Dictionary<string, string>? env, string? input)
    {
        string? path = ContainerEditsBuilder.BinaryDirectories.Select(d => Path.Combine(containerDriverRoot, d, binary)).FirstOrDefault(File.Exists);
        if (path is null)
        {
            throw new GpuControlException($"{binary} was not found under the driver root {containerDriverRoot}");
        }

        var info = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in env ?? [])
        {
            info.Environment[key] = value;
        }

        using Process process = Process.Start(info) ?? throw new GpuControlException($"{path} could not be started");
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new GpuControlException($"{path} {string.Join(' ', arguments)} did not finish within {CommandTimeout.TotalSeconds} s");
        }

        string output = (stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult()).Trim();
        if (process.ExitCode != 0)
        {
            throw new GpuControlException($"{path} {string.Join(' ', arguments)} failed (exit code {process.ExitCode}): {output}");
        }

        LogRan(logger, path, string.Join(' ', arguments), output);
    }

    [LoggerMessage(1, LogLevel.Information, "Ran {Path} {Arguments}: {Output}")]
    private static partial void LogRan(ILogger logger, string path, string arguments, string output);
}
