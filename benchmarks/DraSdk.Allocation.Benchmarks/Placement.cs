using System.Diagnostics;
using DraSdk.Allocation;

namespace DraSdk.Allocation.Benchmarks;

/// <summary>
/// Places single-GPU claims one after the other across a 1,000-node × 8-GPU cluster, the way the
/// scheduler would: each claim tries nodes round-robin from the last node that fit, and its
/// result is added to the allocated state.
/// </summary>
internal static class Placement
{
    public static void Run(int nodes, int gpusPerNode, int claims, TextWriter output)
    {
        var slices = Cluster.Slices(nodes, gpusPerNode);
        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var allocator = new Allocator([Cluster.GpuClass()], slices);
        var state = new AllocatedState();
        var nodeNames = Enumerable.Range(0, nodes).Select(n => new AllocationNode($"node-{n}")).ToArray();
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var placed = 0;
        var attempts = 0L;
        var next = 0;
        var placedTime = TimeSpan.Zero;
        var failedTime = TimeSpan.Zero;
        var total = Stopwatch.StartNew();
        for (var c = 0; c < claims; c++)
        {
            var claim = Cluster.GpuClaim($"claim-{c}", 1);
            var watch = Stopwatch.StartNew();
            var fitted = false;
            for (var tried = 0; tried < nodes; tried++)
            {
                var node = nodeNames[(next + tried) % nodes];
                attempts++;
                var result = allocator.Allocate(node, [claim], state);
                if (result is not null)
                {
                    state.Add(result[0]);
                    next = (next + tried) % nodes;
                    fitted = true;
                    break;
                }
            }
            watch.Stop();
            if (fitted)
            {
                placed++;
                placedTime += watch.Elapsed;
            }
            else
            {
                failedTime += watch.Elapsed;
            }
        }
        total.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var retained = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        GC.KeepAlive(allocator);
        GC.KeepAlive(state);
        output.WriteLine($"| Cluster | Claims | Placed | Allocate calls | Total | Per placed claim | Per unplaceable claim (tries all nodes) | Allocated bytes / claim | Retained (allocator + state) |");
        output.WriteLine($"|---|---|---|---|---|---|---|---|---|");
        output.WriteLine($"| {nodes} nodes × {gpusPerNode} GPUs | {claims:N0} | {placed:N0} | {attempts:N0} | {total.Elapsed.TotalSeconds:F2} s | {Micro(placedTime, placed)} | {Micro(failedTime, claims - placed)} | {allocated / claims:N0} B | {retained / 1024.0 / 1024.0:F1} MiB |");
    }

    private static string Micro(TimeSpan time, int count) => count == 0 ? "–" : $"{time.TotalMicroseconds / count:F1} µs";
}
