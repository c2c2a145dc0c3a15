using k8s.Models;
using static DraSdk.Allocation.Tests.Build;

namespace DraSdk.Allocation.Tests;

internal static partial class AllocatorCases
{
    private const string P = "driver-a/pool-a/";

    private static string[][] One(params string[] results) => [results];

    private static V1ResourceSlice Local(params V1Device[] devices) => Slice("slice-a", Node, "pool-a", devices);

    private static V1Device[] Devs(int n) => Enumerable.Range(0, n).Select(i => Dev($"dev-{i}")).ToArray();

    private static IEnumerable<AllocatorCase> Core()
    {
        // Basics.
        yield return new() { Name = "simple", Claims = [Claim("c0", Req("req-0"))], Slices = [Local(Devs(2))], Expect = One($"req-0={P}dev-0") };
        yield return new() { Name = "count-2", Claims = [Claim("c0", Req("req-0", count: 2))], Slices = [Local(Devs(3))], Expect = One($"req-0={P}dev-0", $"req-0={P}dev-1") };
        yield return new() { Name = "not-enough-devices", Claims = [Claim("c0", Req("req-0", count: 3))], Slices = [Local(Devs(2))] };
        yield return new() { Name = "claim-without-requests", Claims = [Claim("c0")], Slices = [Local(Devs(1))], Expect = [[]] };
        yield return new() { Name = "no-slices", Claims = [Claim("c0", Req("req-0"))] };
        yield return new() { Name = "no-claims", Claims = [], Slices = [Local(Devs(1))], Expect = [] };
        yield return new() { Name = "unknown-class", Claims = [Claim("c0", Req("req-0", cls: "nope"))], Slices = [Local(Devs(1))], ExpectError = "could not retrieve device class nope" };
        yield return new() { Name = "missing-class-name", Claims = [Claim("c0", Req("req-0", cls: ""))], Slices = [Local(Devs(1))], ExpectError = "missing device class name" };
        yield return new()
        {
            Name = "unsupported-mode",
            Claims = [Claim("c0", new V1DeviceRequest { Name = "req-0", Exactly = new V1ExactDeviceRequest { DeviceClassName = ClassA, AllocationMode = "Some" } })],
            Slices = [Local(Devs(1))],
            ExpectError = "unsupported count mode Some",
        };
        yield return new() { Name = "request-without-exactly", Claims = [Claim("c0", new V1DeviceRequest { Name = "req-0" })], Slices = [Local(Devs(1))], ExpectError = "neither exactly nor firstAvailable" };
        yield return new() { Name = "empty-selector", Claims = [Claim("c0", new V1DeviceRequest { Name = "req-0", Exactly = new V1ExactDeviceRequest { DeviceClassName = ClassA, Selectors = [new V1DeviceSelector()] } })], Slices = [Local(Devs(1))], ExpectError = "CEL expression empty" };
        yield return new() { Name = "two-claims", Claims = [Claim("c0", Req("req-0")), Claim("c1", Req("req-0"))], Slices = [Local(Devs(2))], Expect = [[$"req-0={P}dev-0"], [$"req-0={P}dev-1"]] };
        yield return new() { Name = "two-claims-one-device", Claims = [Claim("c0", Req("req-0")), Claim("c1", Req("req-0"))], Slices = [Local(Devs(1))] };
        yield return new() { Name = "two-requests", Claims = [Claim("c0", Req("req-0"), Req("req-1"))], Slices = [Local(Devs(2))], Expect = One($"req-0={P}dev-0", $"req-1={P}dev-1") };
        yield return new() { Name = "other-node", Claims = [Claim("c0", Req("req-0"))], Slices = [Slice("slice-a", "node-2", "pool-a", Devs(1))] };
        yield return new() { Name = "zero-count", Claims = [Claim("c0", Req("req-0", count: 0))], Slices = [Local(Devs(1))], Expect = [[]] };

        // Devices in use.
        yield return new() { Name = "in-use-skipped", Claims = [Claim("c0", Req("req-0"))], AllocatedClaims = [Allocated("a", P + "dev-0")], Slices = [Local(Devs(2))], Expect = One($"req-0={P}dev-1") };
        yield return new() { Name = "all-in-use", Claims = [Claim("c0", Req("req-0"))], AllocatedClaims = [Allocated("a", P + "dev-0", P + "dev-1")], Slices = [Local(Devs(2))] };
        yield return new() { Name = "in-use-other-driver-same-names", Claims = [Claim("c0", Req("req-0"))], AllocatedClaims = [Allocated("a", "driver-b/pool-a/dev-0")], Slices = [Local(Devs(1))], Expect = One($"req-0={P}dev-0") };

        // Admin access.
        yield return new()
        {
            Name = "admin-access-in-use",
            Claims = [Claim("c0", Req("req-0").Admin())],
            AllocatedClaims = [Allocated("a", P + "dev-0")],
            Slices = [Local(Devs(1))],
            Expect = One($"req-0={P}dev-0"),
            Check = r => Assert.True(r[0].Devices.Results[0].AdminAccess),
        };
        yield return new() { Name = "admin-access-disabled", Features = AllocatorFeatures.None, Claims = [Claim("c0", Req("req-0").Admin())], Slices = [Local(Devs(1))], ExpectError = "admin access is requested, but the feature is disabled" };
        yield return new() { Name = "admin-access-false-disabled", Features = AllocatorFeatures.None, Claims = [Claim("c0", Req("req-0").Admin(false))], Slices = [Local(Devs(1))], ExpectError = "admin access is requested" };
        yield return new()
        {
            Name = "admin-access-false-is-exclusive",
            Claims = [Claim("c0", Req("req-0").Admin(false))],
            AllocatedClaims = [Allocated("a", P + "dev-0")],
            Slices = [Local(Devs(2))],
            Expect = One($"req-0={P}dev-1"),
            Check = r => Assert.Null(r[0].Devices.Results[0].AdminAccess),
        };
        yield return new() { Name = "admin-access-same-device-twice-in-claim", Claims = [Claim("c0", Req("req-0").Admin(), Req("req-1").Admin())], Slices = [Local(Devs(1))] };
        yield return new() { Name = "admin-access-two-claims-same-device", Claims = [Claim("c0", Req("req-0").Admin()), Claim("c1", Req("req-0").Admin())], Slices = [Local(Devs(1))], Expect = [[$"req-0={P}dev-0"], [$"req-0={P}dev-0"]] };
        yield return new() { Name = "admin-access-does-not-block", Claims = [Claim("c0", Req("req-0"))], AllocatedClaims = [AdminAllocated()], Slices = [Local(Devs(1))], Expect = One($"req-0={P}dev-0") };
        yield return new() { Name = "exclusive-after-admin-in-same-claim", Claims = [Claim("c0", Req("req-0").Admin(), Req("req-1"))], Slices = [Local(Devs(1))], Expect = null };

        // Search order.
        yield return new()
        {
            Name = "pools-by-driver",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [SliceFor(Driver2, "slice-0", Node, "pool-a", 1, 1, Dev("dev-0")), SliceFor(Driver, "slice-1", Node, "pool-z", 1, 1, Dev("dev-0"))],
            Expect = One("req-0=driver-a/pool-z/dev-0"),
        };
        yield return new()
        {
            Name = "pools-by-name",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [Slice("slice-0", Node, "pool-b", Dev("dev-0")), Slice("slice-1", Node, "pool-a", Dev("dev-9"))],
            Expect = One($"req-0={P}dev-9"),
        };
        yield return new()
        {
            Name = "slices-by-name",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [SliceFor(Driver, "slice-b", Node, "pool-a", 1, 2, Dev("dev-b")), SliceFor(Driver, "slice-a", Node, "pool-a", 1, 2, Dev("dev-a"))],
            Expect = One($"req-0={P}dev-a"),
        };
        yield return new() { Name = "devices-in-slice-order", Claims = [Claim("c0", Req("req-0", count: 2))], Slices = [Local(Dev("z"), Dev("a"), Dev("m"))], Expect = One($"req-0={P}z", $"req-0={P}a") };

        // Pools: generations, completeness, validity.
        yield return new() { Name = "incomplete-pool", Claims = [Claim("c0", Req("req-0"))], Slices = [SliceFor(Driver, "slice-a", Node, "pool-a", 1, 2, Dev("dev-0"))] };
        yield return new()
        {
            Name = "incomplete-pool-other-pool-used",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [SliceFor(Driver, "slice-a", Node, "pool-a", 1, 2, Dev("dev-0")), Slice("slice-b", Node, "pool-b", Dev("dev-0"))],
            Expect = One("req-0=driver-a/pool-b/dev-0"),
        };
        yield return new()
        {
            Name = "newer-generation-wins",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [SliceFor(Driver, "slice-old", Node, "pool-a", 1, 1, Dev("old")), SliceFor(Driver, "slice-new", Node, "pool-a", 2, 1, Dev("new"))],
            Expect = One($"req-0={P}new"),
        };
        yield return new()
        {
            Name = "obsolete-generation-ignored",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [SliceFor(Driver, "slice-a", Node, "pool-a", 1, 2, Dev("old")), SliceFor(Driver, "slice-b", "node-2", "pool-a", 2, 2, Dev("new"))],
        };
        yield return new()
        {
            Name = "multi-host-pool-complete",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [SliceFor(Driver, "slice-a", Node, "pool-a", 1, 2, Dev("dev-0")), SliceFor(Driver, "slice-b", "node-2", "pool-a", 1, 2, Dev("dev-1"))],
            Expect = One($"req-0={P}dev-0"),
        };
        yield return new()
        {
            Name = "invalid-pool-duplicate-device",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [SliceFor(Driver, "slice-a", Node, "pool-a", 1, 2, Dev("dev-0")), SliceFor(Driver, "slice-b", Node, "pool-a", 1, 2, Dev("dev-0"))],
            ExpectError = "invalid resource pools were encountered",
        };
        yield return new()
        {
            Name = "invalid-pool-other-pool-used",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [SliceFor(Driver, "slice-a", Node, "pool-a", 1, 2, Dev("dev-0")), SliceFor(Driver, "slice-b", Node, "pool-a", 1, 2, Dev("dev-0")), Slice("slice-c", Node, "pool-b", Dev("dev-0"))],
            Expect = One("req-0=driver-a/pool-b/dev-0"),
        };
        yield return new()
        {
            Name = "slice-without-node-selection-ignored",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [Slice("slice-a", null, "pool-a", Dev("dev-0"))],
        };

        // All mode.
        yield return new() { Name = "all-devices", Claims = [Claim("c0", AllReq("req-0"))], Slices = [Local(Devs(3))], Expect = One($"req-0={P}dev-0", $"req-0={P}dev-1", $"req-0={P}dev-2") };
        yield return new() { Name = "all-devices-some-allocated", Claims = [Claim("c0", AllReq("req-0"))], AllocatedClaims = [Allocated("a", P + "dev-1")], Slices = [Local(Devs(3))] };
        yield return new()
        {
            Name = "all-devices-some-allocated-admin-access",
            Claims = [Claim("c0", new V1DeviceRequest { Name = "req-0", Exactly = new V1ExactDeviceRequest { DeviceClassName = ClassA, AllocationMode = "All", AdminAccess = true } })],
            AllocatedClaims = [Allocated("a", P + "dev-1")],
            Slices = [Local(Devs(2))],
            Expect = One($"req-0={P}dev-0", $"req-0={P}dev-1"),
        };
        yield return new() { Name = "all-devices-none", Claims = [Claim("c0", AllReq("req-0"))], Slices = [] };
        yield return new() { Name = "all-devices-incomplete-pool", Claims = [Claim("c0", AllReq("req-0"))], Slices = [SliceFor(Driver, "slice-a", Node, "pool-a", 1, 2, Dev("dev-0"))], ExpectError = "is currently being updated" };
        yield return new()
        {
            Name = "all-devices-invalid-pool",
            Claims = [Claim("c0", AllReq("req-0"))],
            Slices = [SliceFor(Driver, "slice-a", Node, "pool-a", 1, 2, Dev("dev-0")), SliceFor(Driver, "slice-b", Node, "pool-a", 1, 2, Dev("dev-0"))],
            ExpectError = "is currently invalid",
        };
        yield return new() { Name = "exact-then-all", Claims = [Claim("c0", Req("req-0"), AllReq("req-1"))], Slices = [Local(Devs(2))] };
        yield return new() { Name = "all-then-all-other-claim", Claims = [Claim("c0", AllReq("req-0")), Claim("c1", AllReq("req-0"))], Slices = [Local(Devs(1))] };
        yield return new()
        {
            Name = "all-devices-multiple-pools",
            Claims = [Claim("c0", AllReq("req-0"))],
            Slices = [Slice("slice-b", Node, "pool-b", Dev("x")), Slice("slice-a", Node, "pool-a", Dev("y"))],
            Expect = One($"req-0={P}y", "req-0=driver-a/pool-b/x"),
        };

        // The 32-result limit.
        yield return new() { Name = "too-many-devices-single-request", Claims = [Claim("c0", Req("req-0", count: 33))], Slices = [Local(Devs(40))], ExpectError = "number of requested devices 33 exceeds the claim limit of 32" };
        yield return new() { Name = "too-many-devices-two-requests", Claims = [Claim("c0", Req("req-0", count: 16), Req("req-1", count: 17))], Slices = [Local(Devs(40))], ExpectError = "exceeds the claim limit" };
        yield return new() { Name = "max-devices", Claims = [Claim("c0", Req("req-0", count: 32))], Slices = [Local(Devs(32))], Check = r => Assert.Equal(32, r[0].Devices.Results.Count), Expect = One(Enumerable.Range(0, 32).Select(i => $"req-0={P}dev-{i}").ToArray()) };
        yield return new() { Name = "too-many-devices-all-mode", Claims = [Claim("c0", AllReq("req-0"))], Slices = [Local(Devs(33))], ExpectError = "exceeds the claim limit" };
        yield return new() { Name = "limit-is-per-claim", Claims = [Claim("c0", Req("req-0", count: 32)), Claim("c1", Req("req-0", count: 8))], Slices = [Local(Devs(40))], Check = r => Assert.Equal(8, r[1].Devices.Results.Count), Expect = [Enumerable.Range(0, 32).Select(i => $"req-0={P}dev-{i}").ToArray(), Enumerable.Range(32, 8).Select(i => $"req-0={P}dev-{i}").ToArray()] };

        // Node selection of slices and the result's node selector.
        yield return new()
        {
            Name = "node-local-selector",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [Local(Devs(1))],
            Expect = One($"req-0={P}dev-0"),
            Check = r =>
            {
                var field = Assert.Single(Assert.Single(r[0].NodeSelector.NodeSelectorTerms).MatchFields);
                Assert.Equal(("metadata.name", "In", Node), (field.Key, field.OperatorProperty, Assert.Single(field.Values)));
            },
        };
        yield return new() { Name = "network-attached-all-nodes", Claims = [Claim("c0", Req("req-0"))], Slices = [Slice("s", null, "pool-a", Devs(1)).AllNodes()], Expect = One($"req-0={P}dev-0"), Check = r => Assert.Null(r[0].NodeSelector) };
        yield return new()
        {
            Name = "network-attached-node-selector",
            Claims = [Claim("c0", Req("req-0"))],
            Node = NodeWith(Node, ("zone", "a")),
            Slices = [Slice("s", null, "pool-a", Devs(1)).Selected("zone", "In", "a")],
            Expect = One($"req-0={P}dev-0"),
            Check = r =>
            {
                var expression = Assert.Single(Assert.Single(r[0].NodeSelector.NodeSelectorTerms).MatchExpressions);
                Assert.Equal("zone", expression.Key);
            },
        };
        yield return new() { Name = "network-attached-node-selector-mismatch", Claims = [Claim("c0", Req("req-0"))], Node = NodeWith(Node, ("zone", "b")), Slices = [Slice("s", null, "pool-a", Devs(1)).Selected("zone", "In", "a")] };
        yield return new() { Name = "network-attached-not-in", Claims = [Claim("c0", Req("req-0"))], Node = NodeWith(Node, ("zone", "b")), Slices = [Slice("s", null, "pool-a", Devs(1)).Selected("zone", "NotIn", "a")], Expect = One($"req-0={P}dev-0") };
        yield return new() { Name = "network-attached-exists", Claims = [Claim("c0", Req("req-0"))], Node = NodeWith(Node, ("gpu", "")), Slices = [Slice("s", null, "pool-a", Devs(1)).Selected("gpu", "Exists")], Expect = One($"req-0={P}dev-0") };
        yield return new() { Name = "network-attached-gt", Claims = [Claim("c0", Req("req-0"))], Node = NodeWith(Node, ("rack", "12")), Slices = [Slice("s", null, "pool-a", Devs(1)).Selected("rack", "Gt", "10")], Expect = One($"req-0={P}dev-0") };
        yield return new()
        {
            Name = "network-attached-and-local",
            Claims = [Claim("c0", Req("req-0"), Req("req-1"))],
            Slices = [Slice("s", null, "pool-a", Dev("net")).AllNodes(), Slice("t", Node, "pool-b", Dev("local"))],
            Expect = One($"req-0={P}net", $"req-1={P}net".Replace("pool-a/net", "pool-b/local", StringComparison.Ordinal)),
            Check = r => Assert.Equal("metadata.name", Assert.Single(Assert.Single(r[0].NodeSelector.NodeSelectorTerms).MatchFields).Key),
        };
        yield return new()
        {
            Name = "network-attached-selectors-merged",
            Claims = [Claim("c0", Req("req-0"), Req("req-1"))],
            Node = NodeWith(Node, ("zone", "a"), ("rack", "r1")),
            Slices = [Slice("s", null, "pool-a", Dev("x")).Selected("zone", "In", "a"), Slice("t", null, "pool-b", Dev("y")).Selected("rack", "In", "r1")],
            Expect = One($"req-0={P}x", "req-1=driver-a/pool-b/y"),
            Check = r => Assert.Equal(["zone", "rack"], Assert.Single(r[0].NodeSelector.NodeSelectorTerms).MatchExpressions.Select(e => e.Key)),
        };
        yield return new()
        {
            Name = "network-attached-same-selector-once",
            Claims = [Claim("c0", Req("req-0", count: 2))],
            Node = NodeWith(Node, ("zone", "a")),
            Slices = [Slice("s", null, "pool-a", Devs(2)).Selected("zone", "In", "a")],
            Expect = One($"req-0={P}dev-0", $"req-0={P}dev-1"),
            Check = r => Assert.Single(Assert.Single(r[0].NodeSelector.NodeSelectorTerms).MatchExpressions),
        };

        // matchAttribute.
        yield return new()
        {
            Name = "match-attribute",
            Claims = [Claim("c0", Req("req-0", count: 2)).Match("driver-a/model")],
            Slices = [Local(Dev("dev-0", ("model", "a")), Dev("dev-1", ("model", "b")), Dev("dev-2", ("model", "a")))],
            Expect = One($"req-0={P}dev-0", $"req-0={P}dev-2"),
        };
        yield return new()
        {
            Name = "match-attribute-no-match",
            Claims = [Claim("c0", Req("req-0", count: 2)).Match("driver-a/model")],
            Slices = [Local(Dev("dev-0", ("model", "a")), Dev("dev-1", ("model", "b")))],
        };
        yield return new()
        {
            Name = "match-attribute-missing",
            Claims = [Claim("c0", Req("req-0")).Match("driver-a/model")],
            Slices = [Local(Dev("dev-0"), Dev("dev-1", ("model", "b")))],
            Expect = One($"req-0={P}dev-1"),
        };
        yield return new()
        {
            Name = "match-attribute-fully-qualified",
            Claims = [Claim("c0", Req("req-0", count: 2)).Match("example.com/numa")],
            Slices = [Local(Dev("dev-0", ("example.com/numa", 1)), Dev("dev-1", ("numa", 1)), Dev("dev-2", ("example.com/numa", 1)))],
            Expect = One($"req-0={P}dev-0", $"req-0={P}dev-2"),
        };
        yield return new()
        {
            Name = "match-attribute-int-and-string-differ",
            Claims = [Claim("c0", Req("req-0", count: 2)).Match("driver-a/numa")],
            Slices = [Local(Dev("dev-0", ("numa", 1)), Dev("dev-1", ("numa", "1")))],
        };
        yield return new()
        {
            Name = "match-attribute-bool",
            Claims = [Claim("c0", Req("req-0", count: 2)).Match("driver-a/fast")],
            Slices = [Local(Dev("dev-0", ("fast", true)), Dev("dev-1", ("fast", false)), Dev("dev-2", ("fast", true)))],
            Expect = One($"req-0={P}dev-0", $"req-0={P}dev-2"),
        };
        yield return new()
        {
            Name = "match-attribute-across-requests-backtracks",
            Claims = [Claim("c0", Req("req-0"), Req("req-1", count: 2)).Match("driver-a/model")],
            Slices = [Local(Dev("dev-0", ("model", "a")), Dev("dev-1", ("model", "b")), Dev("dev-2", ("model", "b")), Dev("dev-3", ("model", "b")))],
            Expect = One($"req-0={P}dev-1", $"req-1={P}dev-2", $"req-1={P}dev-3"),
        };
        yield return new()
        {
            Name = "match-attribute-only-named-requests",
            Claims = [Claim("c0", Req("req-0"), Req("req-1"), Req("req-2")).Match("driver-a/model", "req-0", "req-2")],
            Slices = [Local(Dev("dev-0", ("model", "a")), Dev("dev-1", ("model", "b")), Dev("dev-2", ("model", "a")))],
            Expect = One($"req-0={P}dev-0", $"req-1={P}dev-1", $"req-2={P}dev-2"),
        };
        yield return new()
        {
            Name = "match-attribute-is-per-claim",
            Claims = [Claim("c0", Req("req-0")).Match("driver-a/model"), Claim("c1", Req("req-0")).Match("driver-a/model")],
            Slices = [Local(Dev("dev-0", ("model", "a")), Dev("dev-1", ("model", "b")))],
            Expect = [[$"req-0={P}dev-0"], [$"req-0={P}dev-1"]],
        };
        yield return new()
        {
            Name = "match-attribute-all-mode-error",
            Claims = [Claim("c0", AllReq("req-0")).Match("driver-a/model")],
            Slices = [Local(Dev("dev-0", ("model", "a")), Dev("dev-1", ("model", "b")))],
            ExpectError = "because a claim constraint would not be satisfied",
        };
        yield return new()
        {
            Name = "match-attribute-across-claims-backtracks",
            Claims = [Claim("c0", Req("req-0")), Claim("c1", Req("req-0", count: 2)).Match("driver-a/model")],
            Slices = [Local(Dev("dev-0", ("model", "a")), Dev("dev-1", ("model", "a")), Dev("dev-2", ("model", "b")))],
            Expect = [[$"req-0={P}dev-2"], [$"req-0={P}dev-0", $"req-0={P}dev-1"]],
        };
        yield return new() { Name = "empty-constraint", Claims = [Claim("c0", Req("req-0")).Match("")], Slices = [Local(Devs(1))], ExpectError = "empty constraint" };

        // Configuration.
        yield return new()
        {
            Name = "class-and-claim-config",
            Classes = [Class().WithConfig(Driver, "class-param")],
            Claims = [Claim("c0", Req("req-0")).Config("claim-param")],
            Slices = [Local(Devs(1))],
            Expect = One($"req-0={P}dev-0"),
            Check = r => Assert.Equal(["FromClass:class-param:", "FromClaim:claim-param:"], Configs(r[0])),
        };
        yield return new()
        {
            Name = "config-per-request",
            Classes = [Class().WithConfig(Driver, "a"), Class("class-b").WithConfig(Driver, "b")],
            Claims = [Claim("c0", Req("req-0"), Req("req-1", cls: "class-b")).Config("for-1", "req-1").Config("for-none", "req-9")],
            Slices = [Local(Devs(2))],
            Expect = One($"req-0={P}dev-0", $"req-1={P}dev-1"),
            Check = r => Assert.Equal(["FromClass:a:req-0", "FromClass:b:req-1", "FromClaim:for-1:req-1"], Configs(r[0])),
        };
        yield return new()
        {
            Name = "class-config-once-for-two-requests",
            Classes = [Class().WithConfig(Driver, "a")],
            Claims = [Claim("c0", Req("req-0"), Req("req-1"), Req("req-2", cls: "class-b"))],
            Slices = [Local(Devs(3))],
            Expect = null,
            ExpectError = "could not retrieve device class class-b",
        };
        yield return new()
        {
            Name = "class-config-shared-by-requests",
            Classes = [Class().WithConfig(Driver, "a"), Class("class-b")],
            Claims = [Claim("c0", Req("req-0"), Req("req-1", cls: "class-b"), Req("req-2"))],
            Slices = [Local(Devs(3))],
            Expect = One($"req-0={P}dev-0", $"req-1={P}dev-1", $"req-2={P}dev-2"),
            Check = r => Assert.Equal(["FromClass:a:req-0,req-2"], Configs(r[0])),
        };

        // Cancellation is checked at every step.
        yield return new() { Name = "large-backtracking-finishes", Claims = [Claim("c0", Req("req-0", count: 4)).Match("driver-a/model")], Slices = [Local(Enumerable.Range(0, 12).Select(i => Dev($"d{i}", ("model", i < 9 ? $"m{i}" : "z"))).ToArray())] };
    }

    internal static string[] Configs(V1AllocationResult result) =>
        (result.Devices.Config ?? []).Select(c => $"{c.Source}:{c.Opaque.Parameters}:{string.Join(",", c.Requests ?? [])}").ToArray();

    private static Resourcev1ResourceClaim AdminAllocated()
    {
        var claim = Allocated("admin", P + "dev-0");
        claim.Status.Allocation.Devices.Results[0].AdminAccess = true;
        return claim;
    }
}
