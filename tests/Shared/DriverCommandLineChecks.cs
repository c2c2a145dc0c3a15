using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit;

namespace DraSdk.Tests.Shared;

/// <summary>
/// Checks every driver's command line the same way: the built driver run as a process with no environment but what
/// <c>dotnet</c> needs (as <c>env -i</c> runs it), its exit code and its standard output and error apart; and the
/// driver's HTTP probe and metrics endpoints.
/// </summary>
internal static partial class DriverCommandLineChecks
{
    /// <summary>Runs <paramref name="dll"/> with <c>dotnet</c>, an empty environment plus <paramref name="environment"/>, and waits for it.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string dll, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment.Clear();
        string dotnet = Path.GetDirectoryName(Environment.ProcessPath)!;
        info.Environment["PATH"] = $"{dotnet}:/usr/bin:/bin";
        info.Environment["HOME"] = Path.GetTempPath();
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { } root)
        {
            info.Environment["DOTNET_ROOT"] = root;
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        info.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(dll)} {string.Join(' ', args)} did not exit within 60 s; output:\n{await output}{await error}");
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>Started with no environment at all: one line on standard error that names NODE_NAME, exit code 1, nothing on standard output.</summary>
    public static async Task AssertRefusesToStartWithoutEnvironmentAsync(string dll, string program)
    {
        (int exit, string output, string error) = await RunAsync(dll, null);
        Assert.True(exit == 1, $"exit {exit}\nstdout:\n{output}\nstderr:\n{error}");
        Assert.Equal(string.Empty, output);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"{program}: ", line, StringComparison.Ordinal);
        Assert.Contains("NODE_NAME", line, StringComparison.Ordinal);
    }

    /// <summary><c>--help</c>: exit 0, every environment variable with its default; <c>--version</c>; an unknown option and command: exit 2 and the hint.</summary>
    public static async Task AssertCommandLineAsync(string dll, string program, IEnumerable<string> variables, IEnumerable<string> commands)
    {
        (int exit, string help, string error) = await RunAsync(dll, null, "--help");
        Assert.True(exit == 0, error);
        Assert.StartsWith($"{program}: ", help, StringComparison.Ordinal);
        foreach (string variable in variables)
        {
            Assert.Matches(new Regex($@"(?m)^  {Regex.Escape(variable)} +.+\[default: [^\]]+\]$"), help);
        }

        foreach (string command in commands)
        {
            Assert.Contains($"  {program} {command}", help, StringComparison.Ordinal);
            (int commandExit, string commandHelp, _) = await RunAsync(dll, null, command, "--help");
            Assert.Equal(0, commandExit);
            Assert.StartsWith($"Usage: {program} {command}", commandHelp, StringComparison.Ordinal);
        }

        (int runExit, string runHelp, _) = await RunAsync(dll, null, "run", "-h");
        Assert.Equal(0, runExit);
        Assert.Contains("NODE_NAME", runHelp, StringComparison.Ordinal);

        (int versionExit, string version, _) = await RunAsync(dll, null, "--version");
        Assert.Equal(0, versionExit);
        Assert.Matches(new Regex($@"^{Regex.Escape(program)} \d+\.\d+\.\d+\S*\n$"), version);

        (int flagExit, string flagOutput, string flagError) = await RunAsync(dll, null, "--frobnicate");
        Assert.Equal((2, string.Empty), (flagExit, flagOutput));
        Assert.Equal($"{program}: unknown option '--frobnicate'. See '{program} run --help'.\n", flagError);

        (int commandExit2, _, string commandError) = await RunAsync(dll, null, "frobnicate");
        Assert.Equal(2, commandExit2);
        Assert.Equal($"{program}: unknown command 'frobnicate'. See '{program} --help'.\n", commandError);
    }

    /// <summary>A TCP port that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>GETs <c>http://127.0.0.1:port/path</c>.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> GetAsync(int port, string path, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"), cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>Waits until <c>path</c> answers <paramref name="status"/> (the driver may still be starting); returns the body.</summary>
    public static async Task<string> WaitForStatusAsync(int port, string path, HttpStatusCode status, CancellationToken cancellationToken, Func<string>? diagnostics = null)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        string last = "no answer";
        while (true)
        {
            try
            {
                (HttpStatusCode got, string body) = await GetAsync(port, path, cancellationToken);
                if (got == status)
                {
                    return body;
                }

                last = $"{(int)got}: {body}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{path} did not answer {(int)status}; last: {last}\n{diagnostics?.Invoke()}");
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>
    /// Checks text in the Prometheus exposition format: every line a comment (<c># HELP</c>/<c># TYPE</c>, one TYPE per
    /// family before its samples) or a sample <c>name{labels} value</c> of a declared family; histogram buckets
    /// cumulative, ending in <c>+Inf</c> equal to <c>_count</c>. Returns the samples, keyed by name and labels.
    /// </summary>
    public static Dictionary<string, double> ParsePrometheus(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ');
                Assert.Equal(4, parts.Length);
                Assert.Matches(MetricName(), parts[2]);
                Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram", "summary", "untyped" });
                Assert.True(types.TryAdd(parts[2], parts[3]), $"TYPE twice for {parts[2]}");
                continue;
            }

            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                Assert.Matches(MetricName(), line.Split(' ')[2]);
                continue;
            }

            Match sample = Sample().Match(line);
            Assert.True(sample.Success, $"not a sample line: {line}");
            string name = sample.Groups["name"].Value;
            string family = types.ContainsKey(name) ? name : Regex.Replace(name, "_(bucket|sum|count)$", string.Empty);
            Assert.True(types.TryGetValue(family, out string? type), $"{name} has no TYPE before it");
            if (family != name)
            {
                Assert.Equal("histogram", type);
            }

            if (type == "counter")
            {
                Assert.EndsWith("_total", name, StringComparison.Ordinal);
            }

            string value = sample.Groups["value"].Value;
            double parsed = value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(value, System.Globalization.CultureInfo.InvariantCulture),
            };
            Assert.True(samples.TryAdd(name + sample.Groups["labels"].Value, parsed), $"sample twice: {line}");
        }

        // Histograms: cumulative buckets, the +Inf bucket is the count.
        foreach ((string family, _) in types.Where(t => t.Value == "histogram"))
        {
            foreach (string count in samples.Keys.Where(k => k.StartsWith(family + "_count", StringComparison.Ordinal)))
            {
                string labels = count[(family.Length + "_count".Length)..].Trim('{', '}');
                double[] buckets = [.. samples.Where(s => s.Key.StartsWith(family + "_bucket{", StringComparison.Ordinal) && StripLe(s.Key) == labels).Select(s => s.Value)];
                Assert.NotEmpty(buckets);
                Assert.Equal(buckets.Order(), buckets);
                string inf = labels.Length == 0 ? $"{family}_bucket{{le=\"+Inf\"}}" : $"{family}_bucket{{{labels},le=\"+Inf\"}}";
                Assert.Equal(samples[count], samples[inf]);
            }
        }

        return samples;
    }

    private static string StripLe(string key)
    {
        string labels = key[(key.IndexOf('{', StringComparison.Ordinal) + 1)..^1];
        int le = labels.LastIndexOf("le=\"", StringComparison.Ordinal);
        return labels[..le].TrimEnd(',');
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*")*\})? (?<value>\S+)$""")]
    private static partial Regex Sample();
}
