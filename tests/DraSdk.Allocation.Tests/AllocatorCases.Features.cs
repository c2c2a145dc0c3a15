using k8s.Models;
using static DraSdk.Allocation.Tests.Build;

namespace DraSdk.Allocation.Tests;

internal static partial class AllocatorCases
{
    private const AllocatorFeatures Stable = AllocatorFeatures.AdminAccess | AllocatorFeatures.PrioritizedList | AllocatorFeatures.PartitionableDevices | AllocatorFeatures.DeviceTaints;

    private static IEnumerable<AllocatorCase> Features()
    {
        // Prioritized lists.
        yield return new() { Name = "prioritized-first-fits", Claims = [Claim("c0", FirstAvailable("req-0", Sub("big", count: 2), Sub("small")))], Slices = [Local(Devs(2))], Expect = One($"req-0/big={P}dev-0", $"req-0/big={P}dev-1") };
        yield return new() { Name = "prioritized-falls-back", Claims = [Claim("c0", FirstAvailable("req-0", Sub("big", count: 3), Sub("small")))], Slices = [Local(Devs(2))], Expect = One($"req-0/small={P}dev-0") };
        yield return new() { Name = "prioritized-none-fits", Claims = [Claim("c0", FirstAvailable("req-0", Sub("big", count: 3), Sub("bigger", count: 4)))], Slices = [Local(Devs(2))] };
        yield return new() { Name = "prioritized-disabled", Features = AllocatorFeatures.None, Claims = [Claim("c0", FirstAvailable("req-0", Sub("a")))], Slices = [Local(Devs(1))], ExpectError = "has subrequests, but the DRAPrioritizedList feature is disabled" };
        yield return new() { Name = "prioritized-unknown-class", Claims = [Claim("c0", FirstAvailable("req-0", Sub("a", cls: "nope")))], Slices = [Local(Devs(1))], ExpectError = "request req-0/a: could not retrieve device class nope" };
        yield return new()
        {
            Name = "prioritized-class-by-subrequest",
            Classes = [Class().WithConfig(Driver, "a"), Class("class-b").WithConfig(Driver, "b")],
            Claims = [Claim("c0", FirstAvailable("req-0", Sub("a", count: 5), Sub("b", cls: "class-b"))).Config("for-b", "req-0/b").Config("for-a", "req-0/a")],
            Slices = [Local(Devs(2))],
            Expect = One($"req-0/b={P}dev-0"),
            Check = r => Assert.Equal(["FromClass:b:", "FromClaim:for-b:"], Configs(r[0])),
        };
        yield return new()
        {
            Name = "prioritized-backtracks-into-previous-request",
            Claims = [Claim("c0", Req("req-0"), FirstAvailable("req-1", Sub("a", count: 2))).Match("driver-a/model")],
            Slices = [Local(Dev("dev-0", ("model", "x")), Dev("dev-1", ("model", "y")), Dev("dev-2", ("model", "y")), Dev("dev-3", ("model", "y")))],
            Expect = One($"req-0={P}dev-1", $"req-1/a={P}dev-2", $"req-1/a={P}dev-3"),
        };
        yield return new()
        {
            Name = "prioritized-constraint-on-subrequest-name",
            Claims = [Claim("c0", Req("req-0"), FirstAvailable("req-1", Sub("a"), Sub("b"))).Match("driver-a/model", "req-0", "req-1/b")],
            Slices = [Local(Dev("dev-0", ("model", "x")), Dev("dev-1", ("model", "y")))],
            Expect = One($"req-0={P}dev-0", $"req-1/a={P}dev-1"),
        };
        yield return new()
        {
            Name = "prioritized-constraint-on-parent-name",
            Claims = [Claim("c0", Req("req-0"), FirstAvailable("req-1", Sub("a"), Sub("b"))).Match("driver-a/model")],
            Slices = [Local(Dev("dev-0", ("model", "x")), Dev("dev-1", ("model", "y")), Dev("dev-2", ("model", "x")))],
            Expect = One($"req-0={P}dev-0", $"req-1/a={P}dev-2"),
        };
        yield return new() { Name = "prioritized-all-mode", Claims = [Claim("c0", FirstAvailable("req-0", AllSub("all"), Sub("one")))], Slices = [Local(Devs(2))], Expect = One($"req-0/all={P}dev-0", $"req-0/all={P}dev-1") };
        yield return new() { Name = "prioritized-all-mode-in-use", Claims = [Claim("c0", FirstAvailable("req-0", AllSub("all"), Sub("one")))], AllocatedClaims = [Allocated("a", P + "dev-0")], Slices = [Local(Devs(2))], Expect = One($"req-0/all={P}dev-1".Replace("all=", "one=", StringComparison.Ordinal)) };
        yield return new() { Name = "prioritized-too-many-falls-back", Claims = [Claim("c0", FirstAvailable("req-0", Sub("big", count: 40), Sub("small", count: 2)))], Slices = [Local(Devs(50))], Expect = One($"req-0/small={P}dev-0", $"req-0/small={P}dev-1") };
        yield return new() { Name = "prioritized-min-over-limit", Claims = [Claim("c0", FirstAvailable("req-0", Sub("big", count: 40), Sub("bigger", count: 33)))], Slices = [Local(Devs(50))], ExpectError = "exceeds the claim limit" };
        yield return new()
        {
            Name = "prioritized-limit-across-requests",
            Claims = [Claim("c0", Req("req-0", count: 30), FirstAvailable("req-1", Sub("a", count: 4), Sub("b", count: 2)))],
            Slices = [Local(Devs(40))],
            Check = r => Assert.Equal(32, r[0].Devices.Results.Count),
            Expect = One([.. Enumerable.Range(0, 30).Select(i => $"req-0={P}dev-{i}"), $"req-1/b={P}dev-30", $"req-1/b={P}dev-31"]),
        };
        yield return new()
        {
            Name = "prioritized-two-claims",
            Claims = [Claim("c0", FirstAvailable("req-0", Sub("a", count: 2), Sub("b"))), Claim("c1", FirstAvailable("req-0", Sub("a", count: 2), Sub("b")))],
            Slices = [Local(Devs(3))],
            Expect = [[$"req-0/a={P}dev-0", $"req-0/a={P}dev-1"], [$"req-0/b={P}dev-2"]],
        };

        // Device taints.
        yield return new() { Name = "taint-no-schedule", Claims = [Claim("c0", Req("req-0"))], Slices = [Local(Dev("dev-0").Taint("k", "NoSchedule"), Dev("dev-1"))], Expect = One($"req-0={P}dev-1") };
        yield return new() { Name = "taint-no-execute", Claims = [Claim("c0", Req("req-0"))], Slices = [Local(Dev("dev-0").Taint("k", "NoExecute"))] };
        yield return new() { Name = "taint-other-effect-ignored", Claims = [Claim("c0", Req("req-0"))], Slices = [Local(Dev("dev-0").Taint("k", "None"))], Expect = One($"req-0={P}dev-0") };
        yield return new()
        {
            Name = "taint-tolerated-exists",
            Claims = [Claim("c0", Req("req-0").Tolerate("k"))],
            Slices = [Local(Dev("dev-0").Taint("k", "NoSchedule"))],
            Expect = One($"req-0={P}dev-0"),
            Check = r => Assert.Equal("k", Assert.Single(r[0].Devices.Results[0].Tolerations).Key),
        };
        yield return new() { Name = "taint-tolerated-any-key", Claims = [Claim("c0", Req("req-0").Tolerate(null))], Slices = [Local(Dev("dev-0").Taint("k", "NoExecute"))], Expect = One($"req-0={P}dev-0") };
        yield return new() { Name = "taint-tolerated-equal", Claims = [Claim("c0", Req("req-0").Tolerate("k", "Equal", "v"))], Slices = [Local(Dev("dev-0").Taint("k", "NoSchedule", "v"))], Expect = One($"req-0={P}dev-0") };
        yield return new() { Name = "taint-equal-value-differs", Claims = [Claim("c0", Req("req-0").Tolerate("k", "Equal", "w"))], Slices = [Local(Dev("dev-0").Taint("k", "NoSchedule", "v"))] };
        yield return new() { Name = "taint-effect-differs", Claims = [Claim("c0", Req("req-0").Tolerate("k", effect: "NoSchedule"))], Slices = [Local(Dev("dev-0").Taint("k", "NoExecute"))] };
        yield return new() { Name = "taint-two-taints-one-tolerated", Claims = [Claim("c0", Req("req-0").Tolerate("k"))], Slices = [Local(Dev("dev-0").Taint("k", "NoSchedule").Taint("j", "NoSchedule"))] };
        yield return new() { Name = "taint-feature-off", Features = AllocatorFeatures.None, Claims = [Claim("c0", Req("req-0"))], Slices = [Local(Dev("dev-0").Taint("k", "NoSchedule"))], Expect = One($"req-0={P}dev-0") };
        yield return new() { Name = "taint-all-mode", Claims = [Claim("c0", AllReq("req-0"))], Slices = [Local(Dev("dev-0"), Dev("dev-1").Taint("k", "NoSchedule"))] };
        yield return new() { Name = "taint-admin-access-still-blocked", Claims = [Claim("c0", Req("req-0").Admin())], Slices = [Local(Dev("dev-0").Taint("k", "NoSchedule"))] };

        // Partitionable devices.
        yield return new()
        {
            Name = "counters-backtrack",
            Claims = [Claim("c0", Req("req-0", count: 2))],
            Slices = [Local(Dev("full").Consumes("gpu", ("mem", "8Gi")), Dev("half-0").Consumes("gpu", ("mem", "4Gi")), Dev("half-1").Consumes("gpu", ("mem", "4Gi"))).Counters("gpu", ("mem", "8Gi"))],
            Expect = One($"req-0={P}half-0", $"req-0={P}half-1"),
        };
        yield return new()
        {
            Name = "counters-used-by-allocated",
            Claims = [Claim("c0", Req("req-0"))],
            AllocatedClaims = [Allocated("a", P + "full")],
            Slices = [Local(Dev("full").Consumes("gpu", ("mem", "8Gi")), Dev("half-0").Consumes("gpu", ("mem", "4Gi"))).Counters("gpu", ("mem", "8Gi"))],
        };
        yield return new()
        {
            Name = "counters-partly-used",
            Claims = [Claim("c0", Req("req-0"))],
            AllocatedClaims = [Allocated("a", P + "half-0")],
            Slices = [Local(Dev("full").Consumes("gpu", ("mem", "8Gi")), Dev("half-0").Consumes("gpu", ("mem", "4Gi")), Dev("half-1").Consumes("gpu", ("mem", "4Gi"))).Counters("gpu", ("mem", "8Gi"))],
            Expect = One($"req-0={P}half-1"),
        };
        yield return new()
        {
            Name = "counters-two-claims",
            Claims = [Claim("c0", Req("req-0")), Claim("c1", Req("req-0"))],
            Slices = [Local(Dev("full").Consumes("gpu", ("mem", "8Gi")), Dev("half-0").Consumes("gpu", ("mem", "4Gi")), Dev("half-1").Consumes("gpu", ("mem", "4Gi"))).Counters("gpu", ("mem", "8Gi"))],
            Expect = [[$"req-0={P}half-0"], [$"req-0={P}half-1"]],
        };
        yield return new()
        {
            Name = "counters-in-separate-slice",
            Claims = [Claim("c0", Req("req-0", count: 2))],
            Slices =
            [
                SliceFor(Driver, "counters", Node, "pool-a", 1, 2).Counters("gpu", ("mem", "8Gi")),
                SliceFor(Driver, "devices", Node, "pool-a", 1, 2, Dev("full").Consumes("gpu", ("mem", "8Gi")), Dev("half-0").Consumes("gpu", ("mem", "4Gi")), Dev("half-1").Consumes("gpu", ("mem", "4Gi"))),
            ],
            Expect = One($"req-0={P}half-0", $"req-0={P}half-1"),
        };
        yield return new()
        {
            Name = "counters-feature-off-slice-skipped",
            Features = AllocatorFeatures.None,
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [Local(Dev("full").Consumes("gpu", ("mem", "8Gi"))).Counters("gpu", ("mem", "8Gi"))],
        };
        yield return new()
        {
            Name = "counters-feature-off-consuming-device-skipped",
            Features = AllocatorFeatures.None,
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [Local(Dev("part").Consumes("gpu", ("mem", "8Gi")), Dev("plain"))],
            Expect = One($"req-0={P}plain"),
        };
        yield return new()
        {
            Name = "counters-unknown-set-invalid",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [Local(Dev("part").Consumes("nope", ("mem", "8Gi"))).Counters("gpu", ("mem", "8Gi"))],
            ExpectError = "counter set nope not found",
        };
        yield return new()
        {
            Name = "counters-unknown-counter-invalid",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [Local(Dev("part").Consumes("gpu", ("cores", "1"))).Counters("gpu", ("mem", "8Gi"))],
            ExpectError = "counter cores not found in counter set gpu",
        };
        yield return new()
        {
            Name = "counters-duplicate-set-invalid",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [Local(Dev("part").Consumes("gpu", ("mem", "1Gi"))).Counters("gpu", ("mem", "8Gi")).Counters("gpu", ("mem", "8Gi"))],
            ExpectError = "duplicate counter set name gpu",
        };
        yield return new()
        {
            Name = "counters-all-mode",
            Claims = [Claim("c0", AllReq("req-0"))],
            Slices = [Local(Dev("full").Consumes("gpu", ("mem", "8Gi")), Dev("half-0").Consumes("gpu", ("mem", "4Gi"))).Counters("gpu", ("mem", "8Gi"))],
        };
        yield return new()
        {
            Name = "counters-multiple-counters",
            Claims = [Claim("c0", Req("req-0", count: 2))],
            Slices = [Local(Dev("a").Consumes("gpu", ("mem", "4Gi"), ("sm", "3")), Dev("b").Consumes("gpu", ("mem", "2Gi"), ("sm", "2")), Dev("c").Consumes("gpu", ("mem", "4Gi"), ("sm", "1"))).Counters("gpu", ("mem", "8Gi"), ("sm", "4"))],
            Expect = One($"req-0={P}a", $"req-0={P}c"),
        };
        yield return new()
        {
            Name = "counters-from-other-node-device",
            Claims = [Claim("c0", Req("req-0"))],
            AllocatedClaims = [Allocated("a", P + "remote")],
            Slices =
            [
                SliceFor(Driver, "counters", null, "pool-a", 1, 3).Counters("gpu", ("mem", "8Gi")),
                SliceFor(Driver, "local", Node, "pool-a", 1, 3, Dev("local").Consumes("gpu", ("mem", "8Gi"))),
                SliceFor(Driver, "remote", "node-2", "pool-a", 1, 3, Dev("remote").Consumes("gpu", ("mem", "1Gi"))),
            ],
        };
        yield return new()
        {
            Name = "per-device-node-selection",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [PerDevice(Dev("on-2").OnNode("node-2"), Dev("on-1").OnNode(Node))],
            Expect = One($"req-0={P}on-1"),
            Check = r => Assert.Equal(Node, Assert.Single(Assert.Single(r[0].NodeSelector.NodeSelectorTerms).MatchFields).Values[0]),
        };
        yield return new()
        {
            Name = "per-device-all-nodes",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [PerDevice(Dev("any").OnAllNodes())],
            Expect = One($"req-0={P}any"),
            Check = r => Assert.Null(r[0].NodeSelector),
        };
        yield return new() { Name = "per-device-no-match", Claims = [Claim("c0", Req("req-0"))], Slices = [PerDevice(Dev("on-2").OnNode("node-2"))] };
        yield return new() { Name = "per-device-feature-off", Features = AllocatorFeatures.None, Claims = [Claim("c0", Req("req-0"))], Slices = [PerDevice(Dev("on-1").OnNode(Node))] };

        // Binding conditions.
        yield return new()
        {
            Name = "binding-conditions-in-result",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [Local(Dev("dev-0").Binding(["attached"], ["failed"]))],
            Expect = One($"req-0={P}dev-0"),
            Check = r =>
            {
                Assert.Equal(["attached"], r[0].Devices.Results[0].BindingConditions);
                Assert.Equal(["failed"], r[0].Devices.Results[0].BindingFailureConditions);
            },
        };
        yield return new() { Name = "binding-conditions-feature-off", Features = Stable, Claims = [Claim("c0", Req("req-0"))], Slices = [Local(Dev("dev-0").Binding(["attached"], ["failed"]), Dev("dev-1"))], Expect = One($"req-0={P}dev-1") };
        yield return new()
        {
            Name = "binding-conditions-pools-last",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [Slice("a", Node, "pool-a", Dev("dev-0").Binding(["attached"], [])), Slice("b", Node, "pool-b", Dev("dev-0"))],
            Expect = One("req-0=driver-a/pool-b/dev-0"),
        };
        yield return new()
        {
            Name = "binding-conditions-used-when-needed",
            Claims = [Claim("c0", Req("req-0", count: 2))],
            Slices = [Slice("a", Node, "pool-a", Dev("dev-0").Binding(["attached"], [])), Slice("b", Node, "pool-b", Dev("dev-0"))],
            Expect = One("req-0=driver-a/pool-b/dev-0", $"req-0={P}dev-0"),
        };
        yield return new()
        {
            Name = "binds-to-node",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [Slice("s", null, "pool-a", Dev("dev-0").Binding(["attached"], [], bindsToNode: true)).AllNodes()],
            Expect = One($"req-0={P}dev-0"),
            Check = r => Assert.Equal("metadata.name", Assert.Single(Assert.Single(r[0].NodeSelector.NodeSelectorTerms).MatchFields).Key),
        };
    }

    private static V1ResourceSlice PerDevice(params V1Device[] devices)
    {
        var slice = Slice("slice-a", null, "pool-a", devices);
        slice.Spec.PerDeviceNodeSelection = true;
        return slice;
    }

    private static V1Device OnNode(this V1Device d, string node)
    {
        d.NodeName = node;
        return d;
    }

    private static V1Device OnAllNodes(this V1Device d)
    {
        d.AllNodes = true;
        return d;
    }
}
