using BenchmarkDotNet.Attributes;
using k8s.Models;

namespace DraSdk.Allocation.Benchmarks;

/// <summary>
/// One pod with one 8-GPU claim, allocated on one node of a 1,000-node cluster, with 8, 64 or 512
/// GPUs per node. Half of the node's GPUs are in use, so first-fit has to skip them.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class EightGpuPodBenchmarks
{
    private Allocator _allocator = null!;
    private List<V1ResourceSlice> _slices = null!;
    private AllocatedState _halfInUse = null!;
    private readonly AllocationNode _node = new("node-500");
    private readonly Resourcev1ResourceClaim[] _pod = [Cluster.GpuClaim("pod-claim", 8)];

    [Params(8, 64, 512)]
    public int GpusPerNode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _slices = Cluster.Slices(1000, GpusPerNode);
        _allocator = new Allocator([Cluster.GpuClass()], _slices);
        _halfInUse = Cluster.InUse("node-500", GpusPerNode == 8 ? 0 : GpusPerNode / 2);
    }

    /// <summary>An allocator that has seen the devices before (CEL results cached), as in a running scheduler.</summary>
    [Benchmark(Baseline = true)]
    public IReadOnlyList<V1AllocationResult>? Warm() => _allocator.Allocate(_node, _pod, _halfInUse);

    /// <summary>A new allocator per pod: indexing all slices, compiling and evaluating CEL.</summary>
    [Benchmark]
    public IReadOnlyList<V1AllocationResult>? Cold() => new Allocator([Cluster.GpuClass()], _slices).Allocate(_node, _pod, _halfInUse);
}
