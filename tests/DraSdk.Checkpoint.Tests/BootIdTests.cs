namespace DraSdk.Checkpoint.Tests;

public class BootIdTests
{
    [Fact]
    public async Task Boot_change_is_flagged_and_cleared_by_the_next_save()
    {
        using var f = new CheckpointFixture("boot-1");
        PreparedClaimStore first = await f.OpenAsync();
        first.MarkPrepareCompleted(CheckpointFixture.Claim("a"));
        first.MarkPrepareCompleted(CheckpointFixture.Claim("b"));
        first.MarkPrepareStarted(CheckpointFixture.Claim("partial"));

        f.SetBootId("boot-2");
        PreparedClaimStore store = await f.OpenAsync();

        CheckpointLoadResult result = store.LoadResult!;
        Assert.Equal(CheckpointLoadStatus.BootChanged, result.Status);
        Assert.Equal("boot-1", result.CheckpointBootId);
        Assert.Equal("boot-2", result.CurrentBootId);
        Assert.Equal(3, result.ClaimCount);
        Assert.True(store.BootChanged);
        Assert.Equal(["a", "b"], result.RecordsNeedingRecreation.Select(c => c.ClaimUid));
        Assert.Equal(["partial"], result.IncompleteClaims.Select(c => c.ClaimUid));
        Assert.All(store.Claims.Values, c => Assert.Equal("boot-1", c.BootId));
        Assert.Contains(f.Logger.Entries, e => e.EventId.Id == 3 && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);

        // The driver re-creates the CDI spec for "a" and confirms it: that save records the new boot.
        Assert.True(store.MarkRecreated("a"));
        Assert.False(store.MarkRecreated("missing"));
        Assert.False(store.BootChanged);
        Assert.Equal("boot-2", store.Claims["a"].BootId);
        Assert.Equal(["b"], store.RecordsNeedingRecreation.Select(c => c.ClaimUid));

        PreparedClaimStore reopened = await f.OpenAsync();
        Assert.Equal(CheckpointLoadStatus.Loaded, reopened.LoadResult!.Status);
        Assert.Equal("boot-2", reopened.LoadResult.CheckpointBootId);
        Assert.False(reopened.BootChanged);

        // "b" was not re-created before this restart, so it is still reported: the per-record boot id makes
        // the answer survive a crash between the first save and finishing the re-creation.
        Assert.Equal(["b"], reopened.RecordsNeedingRecreation.Select(c => c.ClaimUid));
        Assert.True(reopened.MarkRecreated("b"));
        Assert.Empty(reopened.RecordsNeedingRecreation);
    }

    [Fact]
    public async Task Any_save_clears_the_flag_and_records_the_new_boot()
    {
        using var f = new CheckpointFixture("boot-1");
        (await f.OpenAsync()).MarkPrepareCompleted(CheckpointFixture.Claim("a"));
        f.SetBootId("boot-2");

        PreparedClaimStore store = await f.OpenAsync();
        Assert.True(store.BootChanged);
        store.MarkPrepareStarted(CheckpointFixture.Claim("new"));

        Assert.False(store.BootChanged);
        PreparedClaimStore reopened = await f.OpenAsync();
        Assert.Equal(CheckpointLoadStatus.Loaded, reopened.LoadResult!.Status);
        Assert.Equal("boot-2", reopened.LoadResult.CheckpointBootId);
        Assert.Equal(["a"], reopened.RecordsNeedingRecreation.Select(c => c.ClaimUid));
    }

    [Fact]
    public async Task Missing_boot_id_file_disables_detection_without_failing()
    {
        using var f = new CheckpointFixture("boot-1");
        (await f.OpenAsync()).MarkPrepareCompleted(CheckpointFixture.Claim("a"));
        File.Delete(f.BootIdPath);

        PreparedClaimStore store = await f.OpenAsync();

        Assert.Equal(CheckpointLoadStatus.Loaded, store.LoadResult!.Status);
        Assert.Null(store.CurrentBootId);
        Assert.False(store.BootChanged);
        Assert.Empty(store.RecordsNeedingRecreation);
        Assert.Contains(f.Logger.Entries, e => e.EventId.Id == 8);
        Assert.Equal(["a"], store.Claims.Keys);
    }

    [Fact]
    public async Task Real_boot_id_is_read_from_proc()
    {
        Assert.SkipUnless(File.Exists(PreparedClaimStoreOptions.DefaultBootIdPath), "needs Linux /proc");
        using var f = new CheckpointFixture();
        PreparedClaimStoreOptions options = f.Options;
        options.BootIdPath = PreparedClaimStoreOptions.DefaultBootIdPath;

        PreparedClaimStore store = await PreparedClaimStore.OpenAsync(options, f.Logger, TestContext.Current.CancellationToken);

        Assert.Matches("^[0-9a-f-]{36}$", store.CurrentBootId);
    }
}
