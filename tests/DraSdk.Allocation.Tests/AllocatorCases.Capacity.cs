using k8s.Models;
using static DraSdk.Allocation.Tests.Build;

namespace DraSdk.Allocation.Tests;

internal static partial class AllocatorCases
{
    private static V1Device SharedGpu(string name, string memory = "10Gi", V1CapacityRequestPolicy? policy = null) =>
        Dev(name).Shared().Capacity("memory", memory, policy);

    private static string Consumed(V1AllocationResult result, int index = 0) =>
        result.Devices.Results[index].ConsumedCapacity["memory"].ToString();

    private static IEnumerable<AllocatorCase> Capacity()
    {
        yield return new()
        {
            Name = "consumable-basic",
            Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "4Gi"))],
            Slices = [Local(SharedGpu("gpu"))],
            Expect = One($"req-0={P}gpu"),
            Check = r =>
            {
                Assert.Equal("4Gi", Consumed(r[0]));
                Assert.False(string.IsNullOrEmpty(r[0].Devices.Results[0].ShareID));
            },
        };
        yield return new()
        {
            Name = "consumable-two-claims-share",
            Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "4Gi")), Claim("c1", Req("req-0").WithCapacity("memory", "4Gi"))],
            Slices = [Local(SharedGpu("gpu"), SharedGpu("gpu-2"))],
            Expect = [[$"req-0={P}gpu"], [$"req-0={P}gpu"]],
            Check = r => Assert.NotEqual(r[0].Devices.Results[0].ShareID, r[1].Devices.Results[0].ShareID),
        };
        yield return new()
        {
            // Within one request devices are combinations, so a shared device is not picked twice.
            Name = "consumable-same-request-twice",
            Claims = [Claim("c0", Req("req-0", count: 2).WithCapacity("memory", "5Gi"))],
            Slices = [Local(SharedGpu("gpu"))],
        };
        yield return new()
        {
            Name = "consumable-two-requests-same-device",
            Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "5Gi"), Req("req-1").WithCapacity("memory", "5Gi"))],
            Slices = [Local(SharedGpu("gpu"))],
            Expect = One($"req-0={P}gpu", $"req-1={P}gpu"),
        };
        yield return new()
        {
            Name = "consumable-exceeds-moves-on",
            Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "6Gi")), Claim("c1", Req("req-0").WithCapacity("memory", "6Gi"))],
            Slices = [Local(SharedGpu("gpu"), SharedGpu("gpu-2"))],
            Expect = [[$"req-0={P}gpu"], [$"req-0={P}gpu-2"]],
        };
        yield return new()
        {
            Name = "consumable-allocated-capacity",
            Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "4Gi"))],
            AllocatedClaims = [SharedAllocated("gpu", "8Gi")],
            Slices = [Local(SharedGpu("gpu"))],
        };
        yield return new()
        {
            Name = "consumable-allocated-capacity-fits",
            Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "2Gi"))],
            AllocatedClaims = [SharedAllocated("gpu", "8Gi")],
            Slices = [Local(SharedGpu("gpu"))],
            Expect = One($"req-0={P}gpu"),
        };
        yield return new() { Name = "consumable-undefined-capacity", Claims = [Claim("c0", Req("req-0").WithCapacity("cores", "1"))], Slices = [Local(SharedGpu("gpu"))] };
        yield return new() { Name = "consumable-too-large", Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "11Gi"))], Slices = [Local(SharedGpu("gpu"))] };
        yield return new()
        {
            Name = "consumable-no-request-takes-all",
            Claims = [Claim("c0", Req("req-0")), Claim("c1", Req("req-0").WithCapacity("memory", "1Gi"))],
            Slices = [Local(SharedGpu("gpu"), SharedGpu("gpu-2"))],
            Expect = [[$"req-0={P}gpu"], [$"req-0={P}gpu-2"]],
            Check = r => Assert.Equal("10Gi", Consumed(r[0])),
        };
        yield return new()
        {
            Name = "consumable-policy-default",
            Claims = [Claim("c0", Req("req-0"))],
            Slices = [Local(SharedGpu("gpu", policy: new V1CapacityRequestPolicy { DefaultProperty = new ResourceQuantity("1Gi") }))],
            Expect = One($"req-0={P}gpu"),
            Check = r => Assert.Equal("1Gi", Consumed(r[0])),
        };
        yield return new()
        {
            Name = "consumable-valid-values-round-up",
            Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "3Gi"))],
            Slices = [Local(SharedGpu("gpu", policy: new V1CapacityRequestPolicy { DefaultProperty = new ResourceQuantity("1Gi"), ValidValues = [new ResourceQuantity("1Gi"), new ResourceQuantity("2Gi"), new ResourceQuantity("4Gi")] }))],
            Expect = One($"req-0={P}gpu"),
            Check = r => Assert.Equal("4Gi", Consumed(r[0])),
        };
        yield return new()
        {
            Name = "consumable-valid-values-too-large",
            Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "5Gi"))],
            Slices = [Local(SharedGpu("gpu", policy: new V1CapacityRequestPolicy { DefaultProperty = new ResourceQuantity("1Gi"), ValidValues = [new ResourceQuantity("1Gi"), new ResourceQuantity("4Gi")] }))],
        };
        yield return new()
        {
            Name = "consumable-valid-range-step",
            Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "1536Mi"))],
            Slices = [Local(SharedGpu("gpu", policy: new V1CapacityRequestPolicy { DefaultProperty = new ResourceQuantity("1Gi"), ValidRange = new V1CapacityRequestPolicyRange { Min = new ResourceQuantity("1Gi"), Step = new ResourceQuantity("1Gi") } }))],
            Expect = One($"req-0={P}gpu"),
            Check = r => Assert.Equal(2m * 1024 * 1024 * 1024, r[0].Devices.Results[0].ConsumedCapacity["memory"].ToDecimal()),
        };
        yield return new()
        {
            Name = "consumable-valid-range-below-min",
            Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "100Mi"))],
            Slices = [Local(SharedGpu("gpu", policy: new V1CapacityRequestPolicy { DefaultProperty = new ResourceQuantity("1Gi"), ValidRange = new V1CapacityRequestPolicyRange { Min = new ResourceQuantity("1Gi") } }))],
            Expect = One($"req-0={P}gpu"),
            Check = r => Assert.Equal("1Gi", Consumed(r[0])),
        };
        yield return new()
        {
            Name = "consumable-valid-range-max",
            Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "5Gi"))],
            Slices = [Local(SharedGpu("gpu", policy: new V1CapacityRequestPolicy { DefaultProperty = new ResourceQuantity("1Gi"), ValidRange = new V1CapacityRequestPolicyRange { Min = new ResourceQuantity("1Gi"), Max = new ResourceQuantity("4Gi") } }))],
        };
        yield return new()
        {
            Name = "consumable-exclusive-device-with-capacity",
            Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "4Gi")), Claim("c1", Req("req-0"))],
            Slices = [Local(Dev("gpu").Capacity("memory", "10Gi"), Dev("gpu-2").Capacity("memory", "10Gi"))],
            Expect = [[$"req-0={P}gpu"], [$"req-0={P}gpu-2"]],
            Check = r => Assert.Null(r[0].Devices.Results[0].ShareID),
        };
        yield return new() { Name = "consumable-request-feature-off", Features = Stable, Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "1Gi"))], Slices = [Local(SharedGpu("gpu"))], ExpectError = "has capacity requests, but the DRAConsumableCapacity feature is disabled" };
        yield return new()
        {
            Name = "consumable-subrequest-feature-off",
            Features = Stable,
            Claims = [Claim("c0", FirstAvailable("req-0", new V1DeviceSubRequest { Name = "a", DeviceClassName = ClassA, Capacity = new V1CapacityRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["memory"] = new("1Gi") } } }))],
            Slices = [Local(SharedGpu("gpu"))],
            ExpectError = "subrequest a: has capacity requests",
        };
        yield return new()
        {
            Name = "consumable-multi-allocation-feature-off",
            Features = Stable,
            Claims = [Claim("c0", Req("req-0")), Claim("c1", Req("req-0"))],
            Slices = [Local(SharedGpu("gpu"), SharedGpu("gpu-2"))],
            Expect = [[$"req-0={P}gpu"], [$"req-0={P}gpu-2"]],
            Check = r => Assert.Null(r[0].Devices.Results[0].ShareID),
        };
        yield return new()
        {
            Name = "consumable-counters-once-per-device",
            Claims = [Claim("c0", Req("req-0").WithCapacity("memory", "1Gi")), Claim("c1", Req("req-0").WithCapacity("memory", "1Gi"))],
            Slices = [Local(SharedGpu("gpu").Consumes("set", ("mem", "8Gi"))).Counters("set", ("mem", "8Gi"))],
            Expect = [[$"req-0={P}gpu"], [$"req-0={P}gpu"]],
        };

        // distinctAttribute.
        yield return new()
        {
            Name = "distinct-attribute",
            Claims = [Claim("c0", Req("req-0", count: 2)).Distinct("driver-a/numa")],
            Slices = [Local(Dev("dev-0", ("numa", 0)), Dev("dev-1", ("numa", 0)), Dev("dev-2", ("numa", 1)))],
            Expect = One($"req-0={P}dev-0", $"req-0={P}dev-2"),
        };
        yield return new()
        {
            Name = "distinct-attribute-three",
            Claims = [Claim("c0", Req("req-0", count: 3)).Distinct("driver-a/numa")],
            Slices = [Local(Dev("dev-0", ("numa", 0)), Dev("dev-1", ("numa", 1)), Dev("dev-2", ("numa", 0)), Dev("dev-3", ("numa", 2)))],
            Expect = One($"req-0={P}dev-0", $"req-0={P}dev-1", $"req-0={P}dev-3"),
        };
        yield return new() { Name = "distinct-attribute-impossible", Claims = [Claim("c0", Req("req-0", count: 2)).Distinct("driver-a/numa")], Slices = [Local(Dev("dev-0", ("numa", 0)), Dev("dev-1", ("numa", 0)))] };
        yield return new() { Name = "distinct-attribute-missing", Claims = [Claim("c0", Req("req-0")).Distinct("driver-a/numa")], Slices = [Local(Dev("dev-0"))] };
        yield return new() { Name = "distinct-attribute-stable-variant", Features = Stable, Claims = [Claim("c0", Req("req-0")).Distinct("driver-a/numa")], Slices = [Local(Dev("dev-0", ("numa", 0)))], ExpectError = "empty constraint" };
        yield return new()
        {
            Name = "distinct-attribute-shared-device",
            Claims = [Claim("c0", Req("req-0", count: 2).WithCapacity("memory", "1Gi")).Distinct("driver-a/port")],
            Slices = [Local(SharedGpu("nic-0").WithAttr("port", 1), SharedGpu("nic-1").WithAttr("port", 2))],
            Expect = One($"req-0={P}nic-0", $"req-0={P}nic-1"),
        };

        // List-type attributes.
        yield return new()
        {
            Name = "list-match-shares-element",
            Claims = [Claim("c0", Req("req-0", count: 2)).Match("driver-a/pcie")],
            Slices = [Local(Dev("dev-0", ("pcie", new[] { "r0", "r1" })), Dev("dev-1", ("pcie", new[] { "r2" })), Dev("dev-2", ("pcie", new[] { "r1", "r3" })))],
            Expect = One($"req-0={P}dev-0", $"req-0={P}dev-2"),
        };
        yield return new()
        {
            Name = "list-match-common-to-all",
            Claims = [Claim("c0", Req("req-0", count: 3)).Match("driver-a/pcie")],
            Slices = [Local(Dev("dev-0", ("pcie", new[] { "r0", "r1" })), Dev("dev-1", ("pcie", new[] { "r0" })), Dev("dev-2", ("pcie", new[] { "r1" })), Dev("dev-3", ("pcie", new[] { "r0", "r9" })))],
            Expect = One($"req-0={P}dev-0", $"req-0={P}dev-1", $"req-0={P}dev-3"),
        };
        yield return new()
        {
            Name = "list-match-scalar-and-list",
            Claims = [Claim("c0", Req("req-0", count: 2)).Match("driver-a/numa")],
            Slices = [Local(Dev("dev-0", ("numa", 1L)), Dev("dev-1", ("numa", new long[] { 0, 1 })))],
            Expect = One($"req-0={P}dev-0", $"req-0={P}dev-1"),
        };
        yield return new()
        {
            Name = "list-distinct-disjoint",
            Claims = [Claim("c0", Req("req-0", count: 2)).Distinct("driver-a/pcie")],
            Slices = [Local(Dev("dev-0", ("pcie", new[] { "r0", "r1" })), Dev("dev-1", ("pcie", new[] { "r1" })), Dev("dev-2", ("pcie", new[] { "r2" })))],
            Expect = One($"req-0={P}dev-0", $"req-0={P}dev-2"),
        };
        yield return new()
        {
            Name = "list-feature-off-no-match",
            Features = AllocatorFeatures.All & ~AllocatorFeatures.ListTypeAttributes,
            Claims = [Claim("c0", Req("req-0", count: 2)).Match("driver-a/pcie")],
            Slices = [Local(Dev("dev-0", ("pcie", new[] { "r0" })), Dev("dev-1", ("pcie", new[] { "r0" })))],
        };
        yield return new()
        {
            Name = "list-feature-off-single-device",
            Features = AllocatorFeatures.All & ~AllocatorFeatures.ListTypeAttributes,
            Claims = [Claim("c0", Req("req-0")).Match("driver-a/pcie")],
            Slices = [Local(Dev("dev-0", ("pcie", new[] { "r0" })))],
            Expect = One($"req-0={P}dev-0"),
        };
    }

    private static V1Device WithAttr(this V1Device d, string key, object value)
    {
        d.Attributes ??= new Dictionary<string, V1DeviceAttribute>();
        d.Attributes[key] = Attr(value);
        return d;
    }

    private static Resourcev1ResourceClaim SharedAllocated(string device, string memory)
    {
        var claim = Allocated("shared", P + device);
        var result = claim.Status.Allocation.Devices.Results[0];
        result.ShareID = "abcd1234";
        result.ConsumedCapacity = new Dictionary<string, ResourceQuantity> { ["memory"] = new(memory) };
        return claim;
    }

    public static IReadOnlyDictionary<string, AllocatorCase> All { get; } =
        Core().Concat(Features()).Concat(Capacity()).ToDictionary(c => c.Name);
}
