// Usage: KillHarness <checkpoint dir> <boot id file> <steps already applied>
// Loads the store, checks it holds exactly the state after <steps already applied>, prints "ready", then applies
// steps forever, printing "saved <n>" after each save returns. The kill test SIGKILLs it at random moments.
//
// Usage: KillHarness add <checkpoint dir> <boot id file> <prefix> <count>
// Loads the store, prints "ready", waits for a line on stdin, then adds <count> distinct claims (<prefix>-NNNN, each
// started then completed) and prints "done <n>", n being how many of its claims the store then holds. The
// multi-instance test runs two of these at once against one checkpoint.
using System.Globalization;
using DraSdk.Checkpoint;
using DraSdk.Checkpoint.KillHarness;

if (args.Length > 0 && args[0] == "add")
{
    return await AddClaims.RunAsync(args[1..]);
}

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
