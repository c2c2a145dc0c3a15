using k8s.Models;
using static DraSdk.Allocation.Tests.Build;

namespace DraSdk.Allocation.Tests;

/// <summary>The per-request breakdown of why devices cannot be used.</summary>
public sealed class ExplainTests
{
    private static RequestExplanation ExplainOne(V1DeviceClass[] classes, V1ResourceSlice[] slices, Resourcev1ResourceClaim claim,
        Resourcev1ResourceClaim[]? allocated = null, AllocatorFeatures features = AllocatorFeatures.All, bool fits = false)
    {
        var explanation = new Allocator(classes, slices, features).Explain(NodeWith(Node, ("zone", "a")), [claim], AllocatedState.FromClaims(allocated ?? []));
        Assert.Equal(fits, explanation.Fits);
        return Assert.Single(Assert.Single(explanation.Claims).Requests);
    }

    [Fact]
    public void CountsEachCause()
    {
        var slices = new[]
        {
            Slice("local", Node, "pool-a",
                Dev("in-use"), Dev("tainted").Taint("k", "NoSchedule"), Dev("wrong-model", ("model", "x")), Dev("free", ("model", "a")),
                Dev("other-class", ("kind", "nic"))),
            Slice("remote", "node-2", "pool-b", Dev("far-0"), Dev("far-1")),
            Slice("net", null, "pool-c", Dev("wrong-zone")).Selected("zone", "In", "b"),
        };
        var request = ExplainOne(
            [Class(ClassA, "!has(device.attributes[\"driver-a\"].kind)")],
            slices,
            Claim("c", Req("r", ClassA, 3, "!has(device.attributes[\"driver-a\"].model) || device.attributes[\"driver-a\"].model == \"a\"")),
            [Allocated("a", "driver-a/pool-a/in-use")]);
        Assert.Equal(8, request.InScope);
        Assert.Equal(1, request.Removed[ExclusionReason.ClassSelector]);
        Assert.Equal(1, request.Removed[ExclusionReason.RequestSelector]);
        Assert.Equal(3, request.Removed[ExclusionReason.Node]);
        Assert.Equal(1, request.Removed[ExclusionReason.InUse]);
        Assert.Equal(1, request.Removed[ExclusionReason.Taint]);
        Assert.Equal(1, request.Available);
        Assert.Equal(3, request.Needed);
        Assert.False(request.Satisfiable);
    }

    [Fact]
    public void CountsCountersAndCapacity()
    {
        var slice = Slice("local", Node, "pool-a",
            Dev("full").Consumes("gpu", ("mem", "8Gi")), Dev("half").Consumes("gpu", ("mem", "4Gi")),
            Dev("small").Shared().Capacity("memory", "1Gi"), Dev("big").Shared().Capacity("memory", "16Gi")).Counters("gpu", ("mem", "8Gi"));
        var request = ExplainOne([Class()], [slice], Claim("c", Req("r", count: 3).WithCapacity("memory", "2Gi")),
            [Allocated("a", "driver-a/pool-a/half")]);
        Assert.Equal(1, request.Removed[ExclusionReason.InUse]);
        Assert.Equal(1, request.Removed[ExclusionReason.Counters]);
        Assert.Equal(1, request.Removed[ExclusionReason.Capacity]);
        Assert.Equal(1, request.Available);
    }

    [Fact]
    public void CountsConstraintAndPool()
    {
        var slices = new[]
        {
            Slice("local", Node, "pool-a", Dev("a0", ("numa", 0)), Dev("a1", ("numa", 1)), Dev("a2", ("numa", 1)), Dev("a3")),
            SliceFor(Driver, "partial", Node, "pool-b", 1, 2, Dev("b0", ("numa", 1))),
        };
        var request = ExplainOne([Class()], slices, Claim("c", Req("r", count: 3)).Match("driver-a/numa"));
        Assert.Equal(1, request.Removed[ExclusionReason.Pool]);
        Assert.Equal(2, request.Removed[ExclusionReason.Constraint]);
        Assert.Equal(2, request.Available);
    }

    [Fact]
    public void FeatureOffDevicesAreUnsupported()
    {
        var request = ExplainOne([Class()], [Slice("s", Node, "pool-a", Dev("bound").Binding(["x"], []), Dev("plain"))],
            Claim("c", Req("r")), features: AllocatorFeatures.None, fits: true);
        Assert.Equal(1, request.Removed[ExclusionReason.Unsupported]);
        Assert.True(request.Satisfiable);
    }

    [Fact]
    public void AllModeNeedsEveryMatchingDevice()
    {
        var request = ExplainOne([Class()], [Slice("s", Node, "pool-a", Dev("d0"), Dev("d1"))], Claim("c", AllReq("r")), [Allocated("a", "driver-a/pool-a/d1")]);
        Assert.Equal("All", request.AllocationMode);
        Assert.Equal(2, request.Needed);
        Assert.Equal(1, request.Available);
        Assert.False(request.Satisfiable);
    }

    [Fact]
    public void SubrequestsAreListed()
    {
        var explanation = new Allocator([Class()], [Slice("s", Node, "pool-a", Dev("d0"))])
            .Explain(NodeWith(), [Claim("c", FirstAvailable("r", Sub("two", count: 2), Sub("one")))]);
        Assert.True(explanation.Fits);
        Assert.Equal(["r/two", "r/one"], explanation.Claims[0].Requests.Select(r => r.Request));
        Assert.Equal([false, true], explanation.Claims[0].Requests.Select(r => r.Satisfiable));
    }

    [Fact]
    public void InvalidInputIsReported()
    {
        var explanation = new Allocator([], [Slice("s", Node, "pool-a", Dev("d0"))]).Explain(NodeWith(), [Claim("c", Req("r"))]);
        Assert.False(explanation.Fits);
        Assert.Contains("could not retrieve device class", explanation.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void SelectorErrorsAreReported()
    {
        var request = ExplainOne([Class()], [Slice("s", Node, "pool-a", Dev("d0"))], Claim("c", Req("r", ClassA, null, "device.attributes[\"driver-a\"].nope")));
        Assert.Contains("CEL runtime error", request.SelectorError, StringComparison.Ordinal);
        Assert.Equal(1, request.Removed[ExclusionReason.RequestSelector]);
    }
}
