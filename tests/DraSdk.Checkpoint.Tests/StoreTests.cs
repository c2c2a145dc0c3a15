using System.Text.Json;

namespace DraSdk.Checkpoint.Tests;

public class StoreTests
{
    [Fact]
    public async Task Missing_checkpoint_loads_empty_and_creates_nothing()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore store = await f.OpenAsync();

        Assert.Equal(CheckpointLoadStatus.NotFound, store.LoadResult!.Status);
        Assert.Equal("boot-1", store.LoadResult.CurrentBootId);
        Assert.Equal(0, store.Count);
        Assert.False(store.BootChanged);
        Assert.False(File.Exists(f.CheckpointPath));
    }

    [Fact]
    public async Task Claims_round_trip_through_the_file()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore store = await f.OpenAsync();
        PreparedClaimRecord a = store.MarkPrepareStarted(CheckpointFixture.Claim("a", devices: 2, driverDataJson: """{"sharing":{"strategy":"TimeSlicing","interval":"Long"},"n":[1,2.5,null,true]}"""));
        f.Time.Now = f.Time.Now.AddSeconds(1);
        a = store.MarkPrepareCompleted(a);
        PreparedClaimRecord b = store.MarkPrepareStarted(CheckpointFixture.Claim("b", devices: 0));
        PreparedClaimRecord c = store.MarkPrepareCompleted(CheckpointFixture.Claim("c", devices: 3));

        Assert.Equal(PreparedClaimState.PrepareCompleted, a.State);
        Assert.Equal("boot-1", a.BootId);
        Assert.Equal(f.Time.Now, a.UpdatedAt);

        PreparedClaimStore reopened = await f.OpenAsync();

        Assert.Equal(CheckpointLoadStatus.Loaded, reopened.LoadResult!.Status);
        Assert.Equal(3, reopened.LoadResult.ClaimCount);
        Assert.Equal("checkpoint.drasdk.io/v1", reopened.LoadResult.ApiVersion);
        Assert.Equal(["a", "b", "c"], reopened.Claims.Keys.Order(StringComparer.Ordinal));
        Assert.True(reopened.TryGet("a", out PreparedClaimRecord? a2));
        Assert.Equal(a, a2);
        Assert.Equal(2, a2.Devices.Count);
        Assert.Equal("share-1", a2.Devices[1].ShareId);
        Assert.Null(a2.Devices[0].ShareId);
        Assert.Equal(["req-1", "other"], a2.Devices[1].Requests);
        Assert.Equal(["k8s.gpu.example.com/claim=a-gpu-1"], a2.Devices[1].CdiDeviceIds);
        Assert.Equal("TimeSlicing", a2.DriverData!.Value.GetProperty("sharing").GetProperty("strategy").GetString());
        Assert.Equal(b, reopened.Claims["b"]);
        Assert.Null(reopened.Claims["b"].DriverData);
        Assert.Empty(reopened.Claims["b"].Devices);
        Assert.Equal(c, reopened.Claims["c"]);
        Assert.False(reopened.TryGet("zzz", out _));
    }

    [Fact]
    public async Task Remove_deletes_the_claim_from_the_file()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore store = await f.OpenAsync();
        store.MarkPrepareCompleted(CheckpointFixture.Claim("a"));
        store.MarkPrepareCompleted(CheckpointFixture.Claim("b"));

        Assert.True(store.Remove("a"));
        Assert.False(store.Remove("a"));
        Assert.False(store.Remove("never"));

        PreparedClaimStore reopened = await f.OpenAsync();
        Assert.Equal(["b"], reopened.Claims.Keys);
    }

    [Fact]
    public async Task Stored_records_are_isolated_from_the_callers_lists()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore store = await f.OpenAsync();
        var ids = new List<string> { "cdi/a=1" };
        var devices = new List<PreparedDeviceRecord> { new() { PoolName = "p", DeviceName = "d", CdiDeviceIds = ids } };
        store.MarkPrepareCompleted(new PreparedClaimRecord { ClaimUid = "a", Namespace = "n", Name = "x", Devices = devices });

        ids.Add("cdi/a=2");
        devices.Add(new PreparedDeviceRecord { PoolName = "p", DeviceName = "e" });

        Assert.True(store.TryGet("a", out PreparedClaimRecord? stored));
        Assert.Single(stored.Devices);
        Assert.Equal(["cdi/a=1"], stored.Devices[0].CdiDeviceIds);
    }

    [Fact]
    public async Task Store_refuses_mutations_before_load_and_a_second_load()
    {
        using var f = new CheckpointFixture();
        var store = new PreparedClaimStore(f.Options, f.Logger);

        Assert.False(store.IsLoaded);
        Assert.Null(store.LoadResult);
        Assert.Throws<InvalidOperationException>(() => store.MarkPrepareStarted(CheckpointFixture.Claim("a")));
        Assert.Throws<InvalidOperationException>(() => store.Remove("a"));

        await store.LoadAsync(TestContext.Current.CancellationToken);
        Assert.True(store.IsLoaded);
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.LoadAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Invalid_records_and_options_are_rejected()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore store = await f.OpenAsync();

        Assert.Throws<ArgumentException>(() => store.MarkPrepareStarted(CheckpointFixture.Claim("")));
        Assert.Throws<ArgumentException>(() => store.MarkPrepareStarted(CheckpointFixture.Claim("a") with { Devices = [null!] }));
        Assert.Throws<ArgumentException>(() => new PreparedClaimStore(new PreparedClaimStoreOptions()));
        Assert.Throws<ArgumentException>(() => new PreparedClaimStore(new PreparedClaimStoreOptions { CheckpointDirectory = "/x", FileName = "a/b" }));
        Assert.False(File.Exists(f.CheckpointPath));
    }

    [Fact]
    public async Task Failed_save_leaves_the_store_unchanged()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore store = await f.OpenAsync();
        store.MarkPrepareCompleted(CheckpointFixture.Claim("a"));

        // A directory where the checkpoint should be makes the final rename fail.
        File.Delete(f.CheckpointPath);
        Directory.CreateDirectory(f.CheckpointPath);
        Assert.ThrowsAny<IOException>(() => store.MarkPrepareStarted(CheckpointFixture.Claim("b")));
        Assert.ThrowsAny<IOException>(() => store.Remove("a"));

        Assert.Equal(["a"], store.Claims.Keys);
        Assert.Empty(f.TempFiles());

        Directory.Delete(f.CheckpointPath);
        store.MarkPrepareStarted(CheckpointFixture.Claim("b"));
        PreparedClaimStore reopened = await f.OpenAsync();
        Assert.Equal(["a", "b"], reopened.Claims.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Checkpoint_is_written_owner_only()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using var f = new CheckpointFixture();
        PreparedClaimStore store = await f.OpenAsync();
        store.MarkPrepareStarted(CheckpointFixture.Claim("a"));

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f.CheckpointPath));
        }
    }

    [Fact]
    public async Task Two_phase_states_survive_reload()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore store = await f.OpenAsync();
        store.MarkPrepareStarted(CheckpointFixture.Claim("started", devices: 2));
        store.MarkPrepareStarted(CheckpointFixture.Claim("done", devices: 1));
        store.MarkPrepareCompleted(CheckpointFixture.Claim("done", devices: 2)); // the final device list wins
        store.MarkPrepareStarted(CheckpointFixture.Claim("also-started"));

        PreparedClaimStore reopened = await f.OpenAsync();

        Assert.Equal(CheckpointLoadStatus.Loaded, reopened.LoadResult!.Status);
        Assert.Equal(PreparedClaimState.PrepareStarted, reopened.Claims["started"].State);
        Assert.Equal(PreparedClaimState.PrepareCompleted, reopened.Claims["done"].State);
        Assert.Equal(2, reopened.Claims["done"].Devices.Count);
        Assert.Equal(["also-started", "started"], reopened.LoadResult.IncompleteClaims.Select(c => c.ClaimUid));
        Assert.Equal(["also-started", "started"], reopened.IncompleteClaims.Select(c => c.ClaimUid));
        Assert.Empty(reopened.RecordsNeedingRecreation);
        Assert.Contains(f.Logger.Entries, e => e.EventId.Id == 4 && e.Message.Contains("also-started, started", StringComparison.Ordinal));

        // The driver cleans up the partial work, then drops or re-prepares the claims.
        reopened.Remove("started");
        reopened.MarkPrepareCompleted(reopened.Claims["also-started"]);
        Assert.Empty(reopened.IncompleteClaims);

        PreparedClaimStore third = await f.OpenAsync();
        Assert.Empty(third.LoadResult!.IncompleteClaims);
        Assert.Equal(["also-started", "done"], third.Claims.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Concurrent_mutations_lose_nothing()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore store = await f.OpenAsync();
        const int Tasks = 16;
        const int PerTask = 20;
        using var start = new Barrier(Tasks);

        // Dedicated threads: a barrier across thread-pool threads would wait for pool growth.
        await Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            for (int i = 0; i < PerTask; i++)
            {
                string uid = $"t{t:D2}-c{i:D2}";
                PreparedClaimRecord started = store.MarkPrepareStarted(CheckpointFixture.Claim(uid));
                Assert.True(store.TryGet(uid, out _));
                store.MarkPrepareCompleted(started);
                if (i % 4 == 3)
                {
                    Assert.True(store.Remove(uid));
                }
            }
        }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

        string[] expected = [.. Enumerable.Range(0, Tasks).SelectMany(t => Enumerable.Range(0, PerTask).Where(i => i % 4 != 3).Select(i => $"t{t:D2}-c{i:D2}")).Order(StringComparer.Ordinal)];
        Assert.Equal(expected, store.Claims.Keys.Order(StringComparer.Ordinal));

        PreparedClaimStore reopened = await f.OpenAsync();
        Assert.Equal(expected, reopened.Claims.Keys.Order(StringComparer.Ordinal));
        Assert.All(reopened.Claims.Values, c => Assert.Equal(PreparedClaimState.PrepareCompleted, c.State));
        Assert.Empty(f.TempFiles());
    }

    [Fact]
    public async Task Leftover_temporary_files_are_removed_at_open()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore store = await f.OpenAsync();
        store.MarkPrepareCompleted(CheckpointFixture.Claim("a"));
        string leftover1 = Path.Combine(f.CheckpointDirectory, ".checkpoint.json.tmp-0123456789abcdef");
        string leftover2 = Path.Combine(f.CheckpointDirectory, ".checkpoint.json.tmp-half-written");
        string unrelated = Path.Combine(f.CheckpointDirectory, "other.json");
        File.WriteAllText(leftover1, "{\"apiVersion\":\"checkpoint.dra");
        File.WriteAllText(leftover2, "");
        File.WriteAllText(unrelated, "{}");
        f.AgeTempFiles();

        PreparedClaimStore reopened = await f.OpenAsync();

        Assert.Equal(CheckpointLoadStatus.Loaded, reopened.LoadResult!.Status);
        Assert.Equal(["a"], reopened.Claims.Keys);
        Assert.Empty(f.TempFiles());
        Assert.True(File.Exists(unrelated));
    }

    [Fact]
    public async Task Driver_data_is_kept_verbatim_and_detached_from_its_document()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore store = await f.OpenAsync();
        using (JsonDocument doc = JsonDocument.Parse("""{"config":{"mps":{"defaultActiveThreadPercentage":50}},"tags":["x","y"]}"""))
        {
            store.MarkPrepareCompleted(CheckpointFixture.Claim("a") with { DriverData = doc.RootElement });
        }

        // The caller's document is disposed; the stored copy must still be usable.
        Assert.Equal(50, store.Claims["a"].DriverData!.Value.GetProperty("config").GetProperty("mps").GetProperty("defaultActiveThreadPercentage").GetInt32());
        PreparedClaimStore reopened = await f.OpenAsync();
        Assert.True(JsonElement.DeepEquals(
            JsonDocument.Parse("""{"config":{"mps":{"defaultActiveThreadPercentage":50}},"tags":["x","y"]}""").RootElement,
            reopened.Claims["a"].DriverData!.Value));
    }
}
