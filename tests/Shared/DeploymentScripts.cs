using System.Diagnostics;

namespace DraSdk.Tests.Shared;

/// <summary>What a deployment script did: its exit code, its output, and the commands it ran of the fake tools.</summary>
internal sealed record ScriptRun(int ExitCode, string Stdout, string Stderr, IReadOnlyList<string> Commands);

/// <summary>
/// Runs a deployment script (deployments/scripts/*.sh) with bash and a PATH of our making: only bash and the few
/// utilities the scripts use, plus fakes of the tools named (docker, podman, kind, kubectl, helm) that record each
/// command line (and, for kind, the provider it was told to use) and succeed. So a test can take tools away and see
/// what the script says, or give them all and see what it runs, without a container engine or a cluster.
/// </summary>
internal static class DeploymentScripts
{
    public static readonly string[] AllTools = ["docker", "podman", "kind", "kubectl", "helm"];

    private static readonly string[] Utilities = ["bash", "dirname"];

    /// <summary>
    /// Runs <paramref name="script"/> with only <paramref name="tools"/> (space-separated) on PATH and asserts that it
    /// names <paramref name="missing"/> in one line, exits 1 and runs nothing, not even the tools that are there.
    /// </summary>
    public static void AssertRefusedForMissingTools(string script, string tools, string containerTool, string missing)
    {
        var environment = new Dictionary<string, string>();
        if (containerTool.Length > 0)
        {
            environment["CONTAINER_TOOL"] = containerTool;
        }

        ScriptRun run = Run(script, tools.Split(' ', StringSplitOptions.RemoveEmptyEntries), environment);

        Xunit.Assert.Equal(1, run.ExitCode);
        Xunit.Assert.Equal($"{Path.GetFileName(script)}: missing prerequisites: {missing}. Install them (or put them on PATH) and run it again; nothing was done.\n", run.Stderr);
        Xunit.Assert.Empty(run.Commands);
    }

    public static ScriptRun Run(string script, IEnumerable<string> fakeTools, IReadOnlyDictionary<string, string>? environment = null)
    {
        string bin = Path.Combine(Path.GetTempPath(), "scripts-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(bin);
        try
        {
            foreach (string utility in Utilities)
            {
                string real = new[] { "/usr/bin", "/bin" }.Select(d => Path.Combine(d, utility)).First(File.Exists);
                File.CreateSymbolicLink(Path.Combine(bin, utility), real);
            }

            string log = Path.Combine(bin, "commands.log");
            foreach (string tool in fakeTools)
            {
                string fake = Path.Combine(bin, tool);
                File.WriteAllText(fake, $"#!{Path.Combine(bin, "bash")}\necho \"{tool} $*${{KIND_EXPERIMENTAL_PROVIDER:+ [provider $KIND_EXPERIMENTAL_PROVIDER]}}\" >> \"{log}\"\n");
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }

            var info = new ProcessStartInfo(Path.Combine(bin, "bash")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(script);
            info.Environment.Clear();
            info.Environment["PATH"] = bin;
            info.Environment["HOME"] = bin;
            info.Environment["TMPDIR"] = bin;
            foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
            {
                info.Environment[key] = value;
            }

            using Process process = Process.Start(info)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(30_000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{script} did not finish in 30 s");
            }

            return new ScriptRun(process.ExitCode, stdout.Result, stderr.Result, File.Exists(log) ? File.ReadAllLines(log) : []);
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }
}
