using System.Diagnostics;

namespace DraSdk.Packaging.Tests.Infrastructure;

/// <summary>What a command printed and how it ended.</summary>
public sealed record CommandResult(string CommandLine, int ExitCode, string Output, TimeSpan Elapsed)
{
    public CommandResult EnsureSuccess() => ExitCode == 0
        ? this
        : throw new InvalidOperationException($"`{CommandLine}` exited with {ExitCode}:\n{Output}");
}

/// <summary>
/// Runs the dotnet CLI as a user would, isolated from the test run that hosts it: no MSBuild or test-platform variables
/// inherited, no build servers left behind, output to a file (a lingering child would hold a pipe open).
/// </summary>
internal static class DotnetCli
{
    public static Task<CommandResult> RunAsync(string workingDirectory, params string[] arguments) =>
        RunAsync(workingDirectory, TimeSpan.FromMinutes(5), new Dictionary<string, string>(), arguments);

    public static Task<CommandResult> RunAsync(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        StartAsync(workingDirectory, timeout, environment, "exec dotnet \"$@\" >\"$DRASDK_TEST_LOG\" 2>&1 </dev/null", arguments, "dotnet " + string.Join(' ', arguments));

    /// <summary>Runs a bash script (<c>set -e</c>: it stops at the first command that fails) as a user's shell would.</summary>
    public static Task<CommandResult> RunScriptAsync(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, string script) =>
        StartAsync(workingDirectory, timeout, environment, "exec bash -e -c \"$1\" >\"$DRASDK_TEST_LOG\" 2>&1 </dev/null", [script], "bash -e -c <script>");

    private static async Task<CommandResult> StartAsync(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, string shell, string[] arguments, string commandLine)
    {
        string log = Path.Combine(Path.GetTempPath(), $"dotnet-{Guid.NewGuid():N}.log");
        var info = new ProcessStartInfo("/bin/bash") { WorkingDirectory = workingDirectory, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(shell);
        info.ArgumentList.Add("dotnet");
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (string key in info.Environment.Keys.ToList())
        {
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) || key.StartsWith("DOTNET_TEST", StringComparison.OrdinalIgnoreCase))
            {
                info.Environment.Remove(key);
            }
        }

        info.Environment["DRASDK_TEST_LOG"] = log;
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER"] = "1";
        info.Environment["UseSharedCompilation"] = "false";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach ((string key, string value) in environment)
        {
            info.Environment[key] = value;
        }

        var clock = Stopwatch.StartNew();
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {commandLine}.");
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException($"`{commandLine}` did not finish within {timeout}:\n{ReadAndDelete(log)}");
        }

        return new CommandResult(commandLine, process.ExitCode, ReadAndDelete(log), clock.Elapsed);
    }

    private static string ReadAndDelete(string path)
    {
        if (!File.Exists(path))
        {
            return string.Empty;
        }

        string text = File.ReadAllText(path);
        File.Delete(path);
        return text;
    }
}
