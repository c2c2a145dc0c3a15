using BenchmarkDotNet.Running;
using DraSdk.Allocation.Benchmarks;

// `placement` places 10,000 single-GPU claims across 1,000 nodes × 8 GPUs and prints a table;
// anything else goes to BenchmarkDotNet (for example: --filter '*EightGpuPod*').
if (args.Length > 0 && args[0] == "placement")
{
    var nodes = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000;
    var gpus = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 8;
    var claims = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 10_000;
    Placement.Run(nodes, gpus, claims, Console.Out);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(EightGpuPodBenchmarks).Assembly).Run(args);
