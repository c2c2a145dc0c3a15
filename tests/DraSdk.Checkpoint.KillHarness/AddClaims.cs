using System.Globalization;

namespace DraSdk.Checkpoint.KillHarness;

/// <summary>The "add" mode: one of several processes adding distinct claims to one checkpoint at the same time.</summary>
internal static class AddClaims
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = new PreparedClaimStoreOptions { CheckpointDirectory = args[0], BootIdPath = args[1] };
        string prefix = args[2];
        int count = int.Parse(args[3], CultureInfo.InvariantCulture);

        PreparedClaimStore store = await PreparedClaimStore.OpenAsync(options);
        if (store.LoadResult!.WasSetAside)
        {
            await Console.Error.WriteLineAsync($"unexpected load result: {store.LoadResult}");
            return 2;
        }

        Console.Out.Write("ready\n");
        Console.Out.Flush();
        _ = await Console.In.ReadLineAsync();

        for (int i = 0; i < count; i++)
        {
            PreparedClaimRecord started = store.MarkPrepareStarted(KillScript.Added(prefix, i));
            store.MarkPrepareCompleted(started);
        }

        int mine = Enumerable.Range(0, count).Count(i => store.TryGet(KillScript.AddedUid(prefix, i), out _));
        Console.Out.Write($"done {mine}\n");
        return 0;
    }
}
