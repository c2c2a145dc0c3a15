using System.Diagnostics;
using BenchmarkDotNet.Running;
using DraSdk.ResourceSlices;
using DraSdk.ResourceSlices.Benchmarks;

// First the request counts, measured against the in-memory API server's request log, next to the minimum.
const int N = 10_000;
var (api, host, publisher) = await NetworkPoolBenchmarks.StartAsync();
var devices = NetworkPoolBenchmarks.Devices(N, "100G");
var clock = Stopwatch.StartNew();
await publisher.PublishAsync(NetworkPoolBenchmarks.Resources(("fabric", devices)));
TimeSpan first = clock.Elapsed;
var writes = NetworkPoolBenchmarks.Writes(api);
int creates = writes.Count(w => w.Verb == "create");
api.ClearRequests();
devices[4321] = NetworkPoolBenchmarks.Device(4321, "400G");
await publisher.PublishAsync(NetworkPoolBenchmarks.Resources(("fabric", devices)));
var change = NetworkPoolBenchmarks.Writes(api);
api.ClearRequests();
await publisher.PublishAsync(NetworkPoolBenchmarks.Resources(("fabric", NetworkPoolBenchmarks.Devices(N, null, devices))));
var unchanged = NetworkPoolBenchmarks.Writes(api);
await host.StopAsync();
host.Dispose();
await api.DisposeAsync();

Console.WriteLine();
Console.WriteLine($"| Scenario (N = {N:N0}, network-attached, allNodes) | Requests | Minimum |");
Console.WriteLine("|---|---|---|");
Console.WriteLine($"| publish new pool: creates | {creates} | ceil(N/{NetworkPoolBenchmarks.PerSliceLimit}) = {NetworkPoolBenchmarks.MinimumCreates(N)} |");
Console.WriteLine($"| publish new pool: all writes | {writes.Count} | {NetworkPoolBenchmarks.MinimumCreates(N)} |");
Console.WriteLine($"| change one attribute: updates | {change.Count(w => w.Verb == "update")} (all writes {change.Count}) | 1 |");
Console.WriteLine($"| reconcile unchanged: writes | {unchanged.Count} | 0 |");
Console.WriteLine($"(first publish, cold: {first.TotalMilliseconds:F0} ms)");
Console.WriteLine();

if (args.Contains("--counts-only"))
{
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(NetworkPoolBenchmarks).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args);
