using System.Diagnostics;
using System.Globalization;
using System.Text;
using DraSdk.Checkpoint.Internal;
using DraSdk.Checkpoint.KillHarness;

namespace DraSdk.Checkpoint.Tests;

/// <summary>
/// Two stores on one checkpoint, as during a rolling update of the driver's DaemonSet: each sees the other's
/// changes and neither loses the other's records.
/// </summary>
public class MultiInstanceTests
{
    [Fact]
    public async Task Interleaved_mutations_of_two_stores_lose_nothing()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore a = await f.OpenAsync();
        PreparedClaimStore b = await f.OpenAsync();

        for (int i = 0; i < 10; i++)
        {
            PreparedClaimRecord fromA = a.MarkPrepareStarted(CheckpointFixture.Claim($"a{i}"));
            Assert.True(b.TryGet($"a{i}", out PreparedClaimRecord? seenByB));
            Assert.Equal(PreparedClaimState.PrepareStarted, seenByB.State);

            PreparedClaimRecord fromB = b.MarkPrepareStarted(CheckpointFixture.Claim($"b{i}"));
            a.MarkPrepareCompleted(fromA);
            b.MarkPrepareCompleted(fromB);
            Assert.Equal(PreparedClaimState.PrepareCompleted, b.Claims[$"a{i}"].State);
            Assert.Equal(PreparedClaimState.PrepareCompleted, a.Claims[$"b{i}"].State);
        }

        string[] expected = [.. Enumerable.Range(0, 10).SelectMany(i => new[] { $"a{i}", $"b{i}" }).Order(StringComparer.Ordinal)];
        Assert.Equal(expected, a.Claims.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(expected, b.Claims.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(20, a.Count);
        Assert.Empty(a.IncompleteClaims);

        PreparedClaimStore reopened = await f.OpenAsync();
        Assert.Equal(expected, reopened.Claims.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(f.SetAsideFiles());
    }

    [Fact]
    public async Task A_store_sees_a_claim_the_other_removed()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore a = await f.OpenAsync();
        a.MarkPrepareCompleted(CheckpointFixture.Claim("x"));
        a.MarkPrepareCompleted(CheckpointFixture.Claim("y"));
        PreparedClaimStore b = await f.OpenAsync();

        Assert.True(b.Remove("x"));

        Assert.False(a.TryGet("x", out _));
        Assert.Equal(["y"], a.Claims.Keys);
        Assert.Equal(1, a.Count);
        Assert.False(a.Remove("x"));

        // And a's next change does not bring "x" back.
        a.MarkPrepareStarted(CheckpointFixture.Claim("z"));
        PreparedClaimStore reopened = await f.OpenAsync();
        Assert.Equal(["y", "z"], reopened.Claims.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["z"], b.IncompleteClaims.Select(c => c.ClaimUid));
    }

    [Fact]
    public async Task Concurrent_mutations_through_two_stores_lose_nothing()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore[] stores = [await f.OpenAsync(), await f.OpenAsync()];
        const int ThreadsPerStore = 4;
        const int PerThread = 15;
        using var start = new Barrier(stores.Length * ThreadsPerStore);

        await Task.WhenAll(Enumerable.Range(0, stores.Length * ThreadsPerStore).Select(t => Task.Factory.StartNew(() =>
        {
            PreparedClaimStore store = stores[t % stores.Length];
            start.SignalAndWait(TestContext.Current.CancellationToken);
            for (int i = 0; i < PerThread; i++)
            {
                string uid = $"t{t:D2}-c{i:D2}";
                store.MarkPrepareCompleted(store.MarkPrepareStarted(CheckpointFixture.Claim(uid)));
                if (i % 5 == 4)
                {
                    Assert.True(store.Remove(uid));
                }
            }
        }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

        string[] expected = [.. Enumerable.Range(0, stores.Length * ThreadsPerStore)
            .SelectMany(t => Enumerable.Range(0, PerThread).Where(i => i % 5 != 4).Select(i => $"t{t:D2}-c{i:D2}"))
            .Order(StringComparer.Ordinal)];
        Assert.All(stores, s => Assert.Equal(expected, s.Claims.Keys.Order(StringComparer.Ordinal)));
        PreparedClaimStore reopened = await f.OpenAsync();
        Assert.Equal(expected, reopened.Claims.Keys.Order(StringComparer.Ordinal));
        Assert.All(reopened.Claims.Values, c => Assert.Equal(PreparedClaimState.PrepareCompleted, c.State));
        Assert.Empty(f.TempFiles());
    }

    [Fact]
    public async Task An_unchanged_file_is_not_reloaded_and_a_changed_one_is_reloaded_once()
    {
        using var f = new CheckpointFixture();
        var loggerA = new ListLogger();
        PreparedClaimStore a = await PreparedClaimStore.OpenAsync(f.Options, loggerA, TestContext.Current.CancellationToken);
        PreparedClaimStore b = await f.OpenAsync();
        for (int i = 0; i < 5; i++)
        {
            a.MarkPrepareCompleted(CheckpointFixture.Claim($"a{i}"));
            Assert.True(a.TryGet($"a{i}", out _));
            Assert.Equal(i + 1, a.Count);
        }

        Assert.DoesNotContain(loggerA.Entries, e => e.EventId.Id == 10);

        b.MarkPrepareCompleted(CheckpointFixture.Claim("b"));
        Assert.Equal(6, a.Count);
        Assert.True(a.TryGet("b", out _));
        _ = a.Claims;
        LogEntry reload = Assert.Single(loggerA.Entries, e => e.EventId.Id == 10);
        Assert.Contains("6 prepared claims", reload.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_file_written_by_the_other_instance_is_set_aside_on_the_next_read()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore a = await f.OpenAsync();
        a.MarkPrepareCompleted(CheckpointFixture.Claim("kept"));
        PreparedClaimStore b = await f.OpenAsync();
        Assert.True(b.TryGet("kept", out _));

        byte[] garbage = "{\"apiVersion\":\"checkpoint.drasdk.io/v1\",\"kind\":\"Prepa"u8.ToArray();
        f.ReplaceCheckpoint(garbage);

        // No exception: the bad file is moved aside and replaced by the records b last read.
        Assert.True(b.TryGet("kept", out _));
        Assert.Equal(1, b.Count);
        string aside = Assert.Single(f.SetAsideFiles());
        Assert.Equal(garbage, File.ReadAllBytes(aside));
        Assert.Contains(f.Logger.Entries, e => e.EventId.Id == 13 && e.Level == Microsoft.Extensions.Logging.LogLevel.Error
            && e.Message.Contains(nameof(CheckpointSetAsideReason.Truncated), StringComparison.Ordinal));

        // The checkpoint is valid again, for the other store and for a restart.
        a.MarkPrepareStarted(CheckpointFixture.Claim("next"));
        PreparedClaimStore reopened = await f.OpenAsync();
        Assert.Equal(CheckpointLoadStatus.Loaded, reopened.LoadResult!.Status);
        Assert.Equal(["kept", "next"], reopened.Claims.Keys.Order(StringComparer.Ordinal));
        Assert.Single(f.SetAsideFiles());
    }

    [Fact]
    public async Task A_deleted_checkpoint_does_not_erase_the_records()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore store = await f.OpenAsync();
        store.MarkPrepareCompleted(CheckpointFixture.Claim("a"));

        File.Delete(f.CheckpointPath);

        Assert.Equal(["a"], store.Claims.Keys);
        store.MarkPrepareStarted(CheckpointFixture.Claim("b"));
        PreparedClaimStore reopened = await f.OpenAsync();
        Assert.Equal(["a", "b"], reopened.Claims.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_fresh_temporary_file_may_be_another_writers_save_and_is_kept()
    {
        using var f = new CheckpointFixture();
        (await f.OpenAsync()).MarkPrepareCompleted(CheckpointFixture.Claim("a"));
        string inFlight = Path.Combine(f.CheckpointDirectory, ".checkpoint.json.tmp-inflight");
        File.WriteAllText(inFlight, "{\"apiVersion\":");

        PreparedClaimStore store = await f.OpenAsync();
        store.MarkPrepareCompleted(CheckpointFixture.Claim("b"));

        Assert.True(File.Exists(inFlight));
        f.AgeTempFiles();
        await f.OpenAsync();
        Assert.False(File.Exists(inFlight));
    }

    [Fact]
    public async Task A_mutation_waits_for_the_lock_held_by_another_process()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "flock");
        using var f = new CheckpointFixture();
        PreparedClaimStore store = await f.OpenAsync();
        store.MarkPrepareCompleted(CheckpointFixture.Claim("a"));

        CheckpointLock held = CheckpointIo.AcquireLock(f.CheckpointPath + ".lock", UnixFileMode.UserRead | UnixFileMode.UserWrite, TimeSpan.FromSeconds(5));
        Assert.True(held.IsHeld);
        Task<PreparedClaimRecord> blocked = Task.Factory.StartNew(
            () => store.MarkPrepareStarted(CheckpointFixture.Claim("b")),
            TestContext.Current.CancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        // While the lock is held the save cannot happen (this can only pass spuriously, never fail spuriously).
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.False(blocked.IsCompleted);
        Assert.False(store.TryGet("b", out _));

        held.Dispose();
        await blocked;
        Assert.True(store.TryGet("b", out _));
    }

    [Fact]
    public async Task Loading_while_another_process_holds_the_lock_can_be_cancelled()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "flock");
        using var f = new CheckpointFixture();
        (await f.OpenAsync()).MarkPrepareCompleted(CheckpointFixture.Claim("a"));
        var store = new PreparedClaimStore(f.Options, f.Logger);

        using (CheckpointIo.AcquireLock(f.CheckpointPath + ".lock", UnixFileMode.UserRead | UnixFileMode.UserWrite, TimeSpan.FromSeconds(5)))
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            cts.CancelAfter(TimeSpan.FromMilliseconds(100));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.LoadAsync(cts.Token));
            Assert.False(store.IsLoaded);
        }

        CheckpointLoadResult result = await store.LoadAsync(TestContext.Current.CancellationToken);
        Assert.Equal(CheckpointLoadStatus.Loaded, result.Status);
        Assert.Equal(["a"], store.Claims.Keys);
    }

    [Fact]
    public async Task Two_processes_adding_claims_at_once_lose_nothing()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "flock");
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var f = new CheckpointFixture();
        const int PerProcess = 150;
        string[] prefixes = ["one", "two"];

        var children = prefixes.Select(p => StartAdder(f, p, PerProcess)).ToArray();
        try
        {
            // Both have loaded before either starts, so each begins with a stale view of the other's claims.
            foreach (Child child in children)
            {
                await child.WaitForAsync("ready", ct);
            }

            foreach (Child child in children)
            {
                await child.Process.StandardInput.WriteLineAsync("go");
                await child.Process.StandardInput.FlushAsync(ct);
            }

            foreach (Child child in children)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromMinutes(3));
                await child.Process.WaitForExitAsync(timeout.Token);
                string stderr = await child.Process.StandardError.ReadToEndAsync(ct);
                Assert.True(child.Process.ExitCode == 0, $"child exited with {child.Process.ExitCode}: {stderr}");
                await child.WaitForAsync($"done {PerProcess}", ct);
            }
        }
        finally
        {
            foreach (Child child in children)
            {
                if (!child.Process.HasExited)
                {
                    child.Process.Kill();
                }

                child.Process.Dispose();
            }
        }

        PreparedClaimStore verifier = await f.OpenAsync();
        Assert.Equal(CheckpointLoadStatus.Loaded, verifier.LoadResult!.Status);
        string[] expected = [.. prefixes.SelectMany(p => Enumerable.Range(0, PerProcess).Select(i => KillScript.AddedUid(p, i))).Order(StringComparer.Ordinal)];
        Assert.Equal(expected, verifier.Claims.Keys.Order(StringComparer.Ordinal));
        Assert.All(verifier.Claims.Values, c => Assert.Equal(PreparedClaimState.PrepareCompleted, c.State));
        Assert.Empty(f.SetAsideFiles());
        Assert.Empty(f.TempFiles());
    }

    private static Child StartAdder(CheckpointFixture f, string prefix, int count)
    {
        string harness = Path.Combine(AppContext.BaseDirectory, "DraSdk.Checkpoint.KillHarness");
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
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

        foreach (string arg in (string[])["add", f.CheckpointDirectory, f.BootIdPath, prefix, count.ToString(CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(arg);
        }

        return new Child(Process.Start(start)!);
    }

    private sealed class Child
    {
        private readonly StringBuilder _stdout = new();
        private readonly Task _reader;

        public Child(Process process)
        {
            Process = process;
            _reader = Task.Run(async () =>
            {
                string? line;
                while ((line = await process.StandardOutput.ReadLineAsync()) is not null)
                {
                    lock (_stdout)
                    {
                        _stdout.Append(line).Append('\n');
                    }
                }
            });
        }

        public Process Process { get; }

        public async Task WaitForAsync(string line, CancellationToken ct)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromMinutes(1));
            while (true)
            {
                bool finished = _reader.IsCompleted;
                lock (_stdout)
                {
                    if (_stdout.ToString().Split('\n').Contains(line))
                    {
                        return;
                    }

                    if (finished)
                    {
                        Assert.Fail($"the child closed its output without printing '{line}'; it printed: {_stdout}");
                    }
                }

                await Task.Delay(20, timeout.Token);
            }
        }
    }
}
