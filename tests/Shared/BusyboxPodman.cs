using System.Diagnostics;

namespace DraSdk.Tests.Shared;

/// <summary>What a podman run printed and how it ended.</summary>
internal sealed record PodmanResult(int ExitCode, string Stdout, string Stderr, string CommandLine, TimeSpan Elapsed);

/// <summary>
/// A real CDI consumer for tests (linked into the test projects that need one): rootful podman 4.3 with runc, running
/// <c>sh -c</c> in a busybox root filesystem made in a temporary directory, with <c>--device</c> CDI ids resolved
/// from <c>/etc/cdi</c> and <c>/var/run/cdi</c> (podman 4.3 has no <c>--cdi-spec-dir</c>). Fails, never skips, when
/// podman, runc or busybox is missing or not run as root: install <c>podman runc busybox-static</c> (CI's
/// <c>.ci/run</c> does).
/// </summary>
internal sealed class BusyboxPodman
{
    public const string Podman = "/usr/bin/podman";
    public const string Runc = "/usr/sbin/runc";
    public const string Busybox = "/bin/busybox";

    /// <summary>Where rootful podman 4.3 reads the specs the tests write.</summary>
    public const string SpecDirectory = "/var/run/cdi";

    private BusyboxPodman(string rootfs) => RootFilesystem = rootfs;

    /// <summary>The container's root filesystem.</summary>
    public string RootFilesystem { get; }

    /// <summary>Checks the prerequisites and builds the busybox root filesystem under <paramref name="directory"/>.</summary>
    public static BusyboxPodman Create(string directory)
    {
        string[] missing = [.. new[] { Podman, Runc, Busybox }.Where(p => !File.Exists(p))];
        if (missing.Length > 0)
        {
            throw new InvalidOperationException(
                $"Missing {string.Join(", ", missing)}: these tests need a real container runtime. " +
                "Install it with: apt-get update && apt-get install -y podman runc busybox-static (the CI's .ci/run does).");
        }

        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root")
        {
            throw new InvalidOperationException("These tests run rootful podman and write to /var/run/cdi: run them as root (CI does).");
        }

        string rootfs = Path.Combine(directory, "rootfs");
        foreach (string dir in new[] { "bin", "dev", "proc", "sys", "etc", "tmp" })
        {
            Directory.CreateDirectory(Path.Combine(rootfs, dir));
        }

        File.Copy(Busybox, Path.Combine(rootfs, "bin", "busybox"));
        foreach (string applet in new[] { "sh", "env", "ls", "cat", "stat" })
        {
            File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
        }

        Directory.CreateDirectory(SpecDirectory);
        return new BusyboxPodman(rootfs);
    }

    /// <summary>Runs <paramref name="script"/> in a new container with the given CDI devices.</summary>
    public PodmanResult Run(IEnumerable<string> devices, string script, bool debug = false, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(Podman) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (debug)
        {
            start.ArgumentList.Add("--log-level=debug");
        }

        foreach (string arg in new[]
        {
            "--runtime", Runc, "--cgroup-manager=cgroupfs", "run", "--rm",
            "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
        })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (string device in devices)
        {
            start.ArgumentList.Add("--device");
            start.ArgumentList.Add(device);
        }

        foreach (string arg in new[] { "--rootfs", RootFilesystem, "sh", "-c", script })
        {
            start.ArgumentList.Add(arg);
        }

        string commandLine = $"podman {string.Join(' ', start.ArgumentList.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a))}";
        var stopwatch = Stopwatch.StartNew();
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{commandLine} did not finish in time");
        }

        return new PodmanResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult(), commandLine, stopwatch.Elapsed);
    }
}
