using System.Diagnostics;
using System.Globalization;
using System.Text;
using DraSdk.Checkpoint.KillHarness;

namespace DraSdk.Checkpoint.Tests;

/// <summary>
/// A child process mutates the store in a tight loop and is SIGKILLed at random moments. After every kill the
/// checkpoint must load cleanly (never set aside) and hold exactly a state the child saved: the last one it
/// reported, or the one it was writing when it died.
/// </summary>
public class KillTests
{
    private const int Rounds = 20;

    [Fact]
    public async Task Checkpoint_survives_sigkill_at_random_moments()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "SIGKILL semantics");
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var f = new CheckpointFixture();
        var random = new Random();
        int applied = 0;
        int killedMidWrite = 0;
        int leftoverRounds = 0;

        for (int round = 0; round < Rounds; round++)
        {
            (int lastReported, string output) = await RunAndKillAsync(f, applied, random.Next(0, 120), ct);

            leftoverRounds += f.TempFiles().Length > 0 ? 1 : 0;

            // The child is dead: let its temporary file age past the grace period that protects a save in progress.
            f.AgeTempFiles();
            var verifier = new PreparedClaimStore(f.Options, f.Logger);
            CheckpointLoadResult result = await verifier.LoadAsync(ct);

            Assert.True(result.Status == CheckpointLoadStatus.Loaded, $"round {round}: {result} (child output tail: {output})");
            Assert.Empty(f.SetAsideFiles());
            Assert.Empty(f.TempFiles());

            if (Matches(verifier, lastReported))
            {
                applied = lastReported;
            }
            else if (Matches(verifier, lastReported + 1))
            {
                applied = lastReported + 1;
                killedMidWrite++;
            }
            else
            {
                Assert.Fail($"round {round}: the checkpoint holds neither the state after step {lastReported} nor after {lastReported + 1}");
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Rounds} kills, {applied} steps saved, {killedMidWrite} kills after a save the child had not reported, {leftoverRounds} kills left a temp file");
        Assert.True(applied >= Rounds, $"the child made too little progress ({applied} steps)");
    }

    private static async Task<(int LastReported, string Output)> RunAndKillAsync(CheckpointFixture f, int applied, int delayMs, CancellationToken ct)
    {
        string harness = Path.Combine(AppContext.BaseDirectory, "DraSdk.Checkpoint.KillHarness");
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (File.Exists(harness))
        {
            start.FileName = harness;
        }
        else
        {
            start.FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
            start.ArgumentList.Add(harness + ".dll");
        }

        start.ArgumentList.Add(f.CheckpointDirectory);
        start.ArgumentList.Add(f.BootIdPath);
        start.ArgumentList.Add(applied.ToString(CultureInfo.InvariantCulture));

        using var process = Process.Start(start)!;
        var stdout = new StringBuilder();
        var firstSave = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<string> stderr = process.StandardError.ReadToEndAsync(ct);
        Task reader = Task.Run(async () =>
        {
            char[] buffer = new char[8192];
            int read;
            while ((read = await process.StandardOutput.ReadAsync(buffer, ct)) > 0)
            {
                lock (stdout)
                {
                    stdout.Append(buffer, 0, read);
                    if (!firstSave.Task.IsCompleted && stdout.ToString().Contains("saved ", StringComparison.Ordinal))
                    {
                        firstSave.TrySetResult();
                    }
                }
            }
        }, ct);

        // Let the child load and save at least once, then kill it at a random moment of its loop.
        Task exited = process.WaitForExitAsync(ct);
        Task first = await Task.WhenAny(firstSave.Task, exited, Task.Delay(TimeSpan.FromSeconds(60), ct));
        if (first != firstSave.Task)
        {
            Assert.Fail($"the child did not start saving (exited: {process.HasExited}): {await ReadIfDone(stderr)}");
        }

        await Task.Delay(delayMs, ct);
        if (process.HasExited)
        {
            Assert.Fail($"the child stopped on its own: {await ReadIfDone(stderr)}");
        }
        process.Kill(entireProcessTree: false); // SIGKILL on Unix
        await process.WaitForExitAsync(ct);
        await reader;
        Assert.Equal(137, process.ExitCode);

        // Only newline-terminated lines were surely written in full.
        string text;
        lock (stdout)
        {
            text = stdout.ToString();
        }

        string complete = text[..(text.LastIndexOf('\n') + 1)];
        string? last = complete.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith("saved ", StringComparison.Ordinal));
        int lastReported = last is null ? applied : int.Parse(last["saved ".Length..], CultureInfo.InvariantCulture);
        return (lastReported, complete.Length > 200 ? complete[^200..] : complete);
    }

    private static async Task<string> ReadIfDone(Task<string> stderr) =>
        await Task.WhenAny(stderr, Task.Delay(2000)) == stderr ? await stderr : "<stderr still open>";

    private static bool Matches(PreparedClaimStore store, int steps)
    {
        Dictionary<string, (PreparedClaimState State, int Step)> model = KillScript.Simulate(steps);
        if (model.Count != store.Count)
        {
            return false;
        }

        foreach ((string uid, (PreparedClaimState state, int step)) in model)
        {
            if (!store.TryGet(uid, out PreparedClaimRecord? actual))
            {
                return false;
            }

            int slot = int.Parse(uid["claim-".Length..], CultureInfo.InvariantCulture);
            PreparedClaimRecord expected = KillScript.Record(slot, step) with
            {
                State = state,
                BootId = actual.BootId,
                UpdatedAt = actual.UpdatedAt,
            };
            if (!expected.Equals(actual) || actual.BootId != "boot-1")
            {
                return false;
            }
        }

        return true;
    }
}
