using k8s.Models;
using static DraSdk.Allocation.Tests.Build;

namespace DraSdk.Allocation.Tests;

/// <summary>Class and request selectors (CEL), errors, allocated state, search effort and cancellation.</summary>
public sealed class SelectorAndStateTests
{
    private static readonly V1ResourceSlice Gpus = Slice("slice-a", Node, "pool-a",
        Dev("dev-0", ("model", "a"), ("memory", 16)), Dev("dev-1", ("model", "b"), ("memory", 32)), Dev("dev-2", ("model", "b"), ("memory", 80)));

    private static IReadOnlyList<V1AllocationResult>? Allocate(V1DeviceClass[] classes, params Resourcev1ResourceClaim[] claims) =>
        new Allocator(classes, [Gpus, SliceFor(Driver2, "other", Node, "pool-x", 1, 1, Dev("x", ("model", "b")))]).Allocate(NodeWith(), claims);

    private static string Devices(IReadOnlyList<V1AllocationResult>? results) =>
        results is null ? "<none>" : string.Join(" | ", results.Select(r => string.Join(",", r.Devices.Results.Select(d => $"{d.Driver}/{d.Device}"))));

    [Fact]
    public void ClassSelectorFiltersDevices() =>
        Assert.Equal("driver-a/dev-1", Devices(Allocate([Class(ClassA, "device.driver == \"driver-a\"", "device.attributes[\"driver-a\"].model == \"b\"")], Claim("c", Req("r")))));

    [Fact]
    public void RequestSelectorFiltersDevices() =>
        Assert.Equal("driver-a/dev-2", Devices(Allocate([Class()], Claim("c", Req("r", ClassA, null, "device.attributes[\"driver-a\"].memory > 32")))));

    [Fact]
    public void ClassAndRequestSelectorsCombine() =>
        Assert.Equal("driver-b/x", Devices(Allocate([Class(ClassA, "device.attributes[\"driver-a\"].model == \"b\" || device.driver == \"driver-b\"")], Claim("c", Req("r", ClassA, null, "device.driver == \"driver-b\"")))));

    [Fact]
    public void SelectorMatchingNothingDoesNotFit() =>
        Assert.Null(Allocate([Class(ClassA, "device.driver == \"driver-a\"")], Claim("c", Req("r", ClassA, null, "device.attributes[\"driver-a\"].memory > 100"))));

    [Fact]
    public void SelectorsWithPrioritizedList() =>
        Assert.Equal("driver-a/dev-1,driver-a/dev-2", Devices(Allocate([Class(ClassA, "device.driver == \"driver-a\"")],
            Claim("c", FirstAvailable("r", Sub("a", ClassA, 2, "device.attributes[\"driver-a\"].model == \"a\""), Sub("b", ClassA, 2, "device.attributes[\"driver-a\"].model == \"b\""))))));

    [Fact]
    public void SelectorsWithAllMode() =>
        Assert.Equal("driver-a/dev-1,driver-a/dev-2,driver-b/x", Devices(Allocate([Class()], Claim("c", AllReq("r", ClassA, "device.attributes[\"driver-a\"].model == \"b\" || device.driver == \"driver-b\"")))));

    [Fact]
    public void ClassCompileErrorIsInvalidInput()
    {
        var e = Assert.Throws<AllocationException>(() => Allocate([Class(ClassA, "device.driver ==")], Claim("c", Req("r"))));
        Assert.Contains("class class-a: selector #0: CEL compile error", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RequestRuntimeErrorIsInvalidInput()
    {
        var e = Assert.Throws<AllocationException>(() => Allocate([Class()], Claim("c", Req("r", ClassA, null, "device.attributes[\"driver-a\"].nope == 1"))));
        Assert.Contains("claim default/c: selector #0 on device driver-a/pool-a/dev-0: CEL runtime error", e.Message, StringComparison.Ordinal);
        Assert.Equal("default/c", e.Claim);
    }

    [Fact]
    public void SelectorResultsAreReusedAcrossCalls()
    {
        var allocator = new Allocator([Class(ClassA, "device.driver == \"driver-a\"")], [Gpus]);
        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull(allocator.Allocate(NodeWith(), [Claim("c", Req("r"))]));
        }
    }

    [Fact]
    public void AllocatedStateFromClaims()
    {
        var shared = Allocated("s", "d/p/shared");
        shared.Status.Allocation.Devices.Results[0].ShareID = "1234";
        var admin = Allocated("a", "d/p/admin");
        admin.Status.Allocation.Devices.Results[0].AdminAccess = true;
        var state = AllocatedState.FromClaims([Allocated("x", "d/p/dev-0", "d/p/dev-1"), Claim("pending", Req("r")), shared, admin]);
        Assert.Equal(2, state.DeviceCount);
        Assert.True(state.IsAllocated(new DeviceId("d", "p", "dev-0")));
        Assert.False(state.IsAllocated(new DeviceId("d", "p", "shared")));
        Assert.False(state.IsAllocated(new DeviceId("d", "p", "admin")));
        state.AddDevice(new DeviceId("d", "p", "dev-9"));
        Assert.True(state.IsAllocated(new DeviceId("d", "p", "dev-9")));
    }

    [Fact]
    public void ResultsFeedAllocatedState()
    {
        var allocator = new Allocator([Class()], [Gpus]);
        var state = new AllocatedState();
        var placed = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var results = allocator.Allocate(NodeWith(), [Claim($"c{i}", Req("r"))], state);
            if (results is null)
            {
                break;
            }
            state.Add(results[0]);
            placed.Add(results[0].Devices.Results[0].Device);
        }
        Assert.Equal(["dev-0", "dev-1", "dev-2"], placed);
    }

    [Fact]
    public void SearchTriesCombinationsNotPermutations()
    {
        // 6 devices with distinct models: choosing 2 that match can never succeed; the search
        // must try each unordered pair once at most (15), not each ordered pair (30).
        var devices = Enumerable.Range(0, 6).Select(i => Dev($"d{i}", ("model", $"m{i}"))).ToArray();
        var allocator = new Allocator([Class()], [Slice("s", Node, "pool-a", devices)]);
        Assert.Null(allocator.AllocateCore(NodeWith(), [Claim("c", Req("r", count: 2)).Match("driver-a/model")], null, default, out var steps));
        Assert.InRange(steps, 1, 20);
    }

    [Fact]
    public void CancellationStopsTheSearch()
    {
        var devices = Enumerable.Range(0, 30).Select(i => Dev($"d{i}", ("model", $"m{i % 29}"))).ToArray();
        var allocator = new Allocator([Class()], [Slice("s", Node, "pool-a", devices)]);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => allocator.Allocate(NodeWith(), [Claim("c", Req("r", count: 3)).Match("driver-a/model")], null, cts.Token));
    }

    [Fact]
    public void ConcurrentUseIsSafe()
    {
        var allocator = new Allocator([Class(ClassA, "device.driver == \"driver-a\"")],
            Enumerable.Range(0, 50).Select(n => SliceFor(Driver, $"s{n}", $"node-{n}", $"pool-{n}", 1, 1, Devs(8))));
        Parallel.For(0, 200, i =>
        {
            var results = allocator.Allocate(NodeWith($"node-{i % 50}"), [Claim("c", Req("r", count: 8))]);
            Assert.NotNull(results);
            Assert.Equal($"pool-{i % 50}", results[0].Devices.Results[0].Pool);
        });

        static V1Device[] Devs(int n) => Enumerable.Range(0, n).Select(i => Dev($"gpu-{i}")).ToArray();
    }

    [Fact]
    public void NodeFromV1Node()
    {
        var node = AllocationNode.From(new V1Node { Metadata = new V1ObjectMeta { Name = "n", Labels = new Dictionary<string, string> { ["zone"] = "a" } } });
        Assert.Equal("n", node.Name);
        Assert.Equal("a", node.Labels["zone"]);
    }
}
