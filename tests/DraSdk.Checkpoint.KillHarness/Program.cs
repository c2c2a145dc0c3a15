// Usage: KillHarness <checkpoint dir> <boot id file> <steps already applied>
// Loads the store, checks it holds exactly the state after <steps already applied>, prints "ready", then applies
// steps forever, printing "saved <n>" after each save returns. The kill test SIGKILLs it at random moments.
using System.Globalization;
using DraSdk.Checkpoint;
using DraSdk.Checkpoint.KillHarness;

var options = new PreparedClaimStoreOptions { CheckpointDirectory = args[0], BootIdPath = args[1] };
int start = int.Parse(args[2], CultureInfo.InvariantCulture);

PreparedClaimStore store = await PreparedClaimStore.OpenAsync(options);
if (store.LoadResult!.WasSetAside)
{
    Console.Error.WriteLine($"unexpected load result: {store.LoadResult}");
    return 2;
}

var expected = KillScript.Simulate(start);
if (store.Count != expected.Count
    || expected.Any(e => !store.TryGet(e.Key, out PreparedClaimRecord? r) || r.State != e.Value.State))
{
    Console.Error.WriteLine($"store does not hold the state after step {start}");
    return 3;
}

Console.Out.Write("ready\n");
for (int step = start + 1; ; step++)
{
    KillScript.Apply(store, step);
    Console.Out.Write($"saved {step}\n");
}
