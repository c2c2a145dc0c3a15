using k8s.Models;
using static DraSdk.Allocation.Tests.Build;

namespace DraSdk.Allocation.Tests;

/// <summary>The claim the scheduler creates for a pod's extended-resource requests (DRAExtendedResource).</summary>
public sealed class ExtendedResourcesTests
{
    private const string Gpu = "example.com/gpu";

    private static V1DeviceClass Mapped(string name, string? extendedResourceName, DateTime? created = null)
    {
        var c = Class(name, $"device.driver == '{Driver}'");
        c.Spec.ExtendedResourceName = extendedResourceName;
        c.Metadata.CreationTimestamp = created;
        return c;
    }

    private static V1Container Container(string name, string? restartPolicy = null, params (string Resource, string Quantity)[] requests) => new()
    {
        Name = name,
        RestartPolicy = restartPolicy,
        Resources = new V1ResourceRequirements { Requests = requests.ToDictionary(r => r.Resource, r => new ResourceQuantity(r.Quantity)) },
    };

    private static V1Pod Pod(V1Container[] containers, V1Container[]? init = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "job", NamespaceProperty = "team-a", Uid = "uid-1" },
        Spec = new V1PodSpec { Containers = containers, InitContainers = init },
    };

    private static Dictionary<string, ResourceQuantity> Allocatable(string resource, string quantity) => new() { [resource] = new ResourceQuantity(quantity) };

    [Fact]
    public void ContainerRequestsBecomeExactCountRequestsOfTheClass()
    {
        var pod = Pod([Container("a", null, ("cpu", "1"), (Gpu, "2")), Container("b", null, (Gpu, "1"))]);
        var result = ExtendedResources.ForPod(pod, [Mapped("gpu.example.com", Gpu)]);

        var claim = Assert.IsType<Resourcev1ResourceClaim>(result.Claim);
        Assert.Equal("team-a", claim.Metadata.NamespaceProperty);
        Assert.Equal("job-extended-resources-", claim.Metadata.GenerateName);
        Assert.Equal("true", claim.Metadata.Annotations[ExtendedResources.ClaimAnnotation]);
        var owner = Assert.Single(claim.Metadata.OwnerReferences);
        Assert.Equal(("Pod", "job", "uid-1", (bool?)true), (owner.Kind, owner.Name, owner.Uid, owner.Controller));
        // Container 0's request index is 1: cpu sorts before example.com/gpu.
        Assert.Equal(["container-0-request-1", "container-1-request-0"], claim.Spec.Devices.Requests.Select(r => r.Name));
        Assert.All(claim.Spec.Devices.Requests, r => Assert.Equal(("gpu.example.com", "ExactCount"), (r.Exactly.DeviceClassName, r.Exactly.AllocationMode)));
        Assert.Equal([2L, 1L], claim.Spec.Devices.Requests.Select(r => r.Exactly.Count!.Value));
        Assert.Equal([("a", "container-0-request-1"), ("b", "container-1-request-0")], result.RequestMappings.Select(m => (m.ContainerName, m.RequestName)));
        var decision = Assert.Single(result.Resources);
        Assert.Equal(ExtendedResourceSource.Dra, decision.Source);
        Assert.True(result.Fits);
    }

    [Fact]
    public void TheClaimAllocatesLikeAnyOther()
    {
        var pod = Pod([Container("a", null, (Gpu, "2")), Container("b", null, (Gpu, "1"))]);
        var classes = new[] { Mapped(ClassA, Gpu) };
        var result = ExtendedResources.ForPod(pod, classes);
        var allocator = new Allocator(classes, [Slice("s", Node, "p", Dev("d0"), Dev("d1"), Dev("d2"))]);

        var allocation = Assert.Single(allocator.Allocate(NodeWith(), [result.Claim!])!);
        Assert.Equal([("container-0-request-0", "d0"), ("container-0-request-0", "d1"), ("container-1-request-0", "d2")],
            allocation.Devices.Results.Select(r => (r.Request, r.Device)));

        // One device more than the node has: does not fit.
        var bigger = ExtendedResources.ForPod(Pod([Container("a", null, (Gpu, "4"))]), classes);
        Assert.Null(allocator.Allocate(NodeWith(), [bigger.Claim!]));
    }

    [Fact]
    public void TheImplicitNameSelectsTheClassByName()
    {
        var pod = Pod([Container("a", null, ("deviceclass.resource.kubernetes.io/class-b", "1"))]);
        var result = ExtendedResources.ForPod(pod, [Mapped(ClassA, Gpu), Mapped("class-b", null)]);
        Assert.Equal("class-b", Assert.Single(result.Claim!.Spec.Devices.Requests).Exactly.DeviceClassName);
    }

    [Fact]
    public void OfClassesWithTheSameNameTheNewestWinsThenTheFirstName()
    {
        var t0 = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal("new", ExtendedResources.ResolveDeviceClass(Gpu, [Mapped("old", Gpu, t0), Mapped("new", Gpu, t0.AddHours(1))])!.Metadata.Name);
        Assert.Equal("a", ExtendedResources.ResolveDeviceClass(Gpu, [Mapped("b", Gpu, t0), Mapped("a", Gpu, t0)])!.Metadata.Name);
        Assert.Null(ExtendedResources.ResolveDeviceClass("example.com/other", [Mapped("a", Gpu, t0)]));
    }

    [Fact]
    public void ANodeWhoseDevicePluginAdvertisesTheResourceIsNotServedByDra()
    {
        var pod = Pod([Container("a", null, (Gpu, "1"))]);
        var classes = new[] { Mapped(ClassA, Gpu) };

        var plugin = ExtendedResources.ForPod(pod, classes, Allocatable(Gpu, "8"));
        Assert.Null(plugin.Claim);
        Assert.Empty(plugin.RequestMappings);
        var decision = Assert.Single(plugin.Resources);
        Assert.Equal((ExtendedResourceSource.DevicePlugin, ClassA, (long?)8), (decision.Source, decision.DeviceClass, decision.NodeAllocatable));
        Assert.True(plugin.Fits);

        // A node that advertises zero (a device plugin with no devices left registered) is DRA's.
        Assert.Equal(ExtendedResourceSource.Dra, Assert.Single(ExtendedResources.ForPod(pod, classes, Allocatable(Gpu, "0")).Resources).Source);
    }

    [Fact]
    public void AResourceNoClassMapsAndNoNodeAdvertisesDoesNotFit()
    {
        var pod = Pod([Container("a", null, ("example.com/fpga", "1"), ("cpu", "2"))]);
        var result = ExtendedResources.ForPod(pod, [Mapped(ClassA, Gpu)]);
        Assert.Null(result.Claim);
        Assert.Equal(ExtendedResourceSource.Unavailable, Assert.Single(result.Resources).Source);
        Assert.False(result.Fits);

        // Served by a device plugin when the node advertises it, with no class at all.
        var plugin = ExtendedResources.ForPod(pod, [], Allocatable("example.com/fpga", "2"));
        Assert.Equal(ExtendedResourceSource.DevicePlugin, Assert.Single(plugin.Resources).Source);
    }

    [Fact]
    public void InitContainersReuseTheDevicesOfLaterContainersAndShareTheLargestOwnRequest()
    {
        var pod = Pod(
            [Container("main", null, (Gpu, "1"))],
            [Container("init-small", null, (Gpu, "2")), Container("init-big", null, (Gpu, "3")), Container("sidecar", "Always", (Gpu, "1"))]);
        var result = ExtendedResources.ForPod(pod, [Mapped(ClassA, Gpu)]);

        // The sidecar (index 2) and main (index 3) each get their own request; init-small (0) and init-big (1) reuse
        // those two devices first and need 0 and 1 more: init-big gets its own request of 1 device.
        var requests = result.Claim!.Spec.Devices.Requests;
        Assert.Equal([("container-1-request-0", 1L), ("container-2-request-0", 1L), ("container-3-request-0", 1L)],
            requests.Select(r => (r.Name, r.Exactly.Count!.Value)));
        var byContainer = result.RequestMappings.GroupBy(m => m.ContainerName).ToDictionary(g => g.Key, g => g.Select(m => m.RequestName).ToList());
        Assert.Equal(["container-3-request-0"], byContainer["main"]);
        Assert.Equal(["container-2-request-0"], byContainer["sidecar"]);
        Assert.Equal(["container-2-request-0", "container-3-request-0"], byContainer["init-small"]);
        Assert.Equal(["container-2-request-0", "container-3-request-0", "container-1-request-0"], byContainer["init-big"]);
    }

    [Fact]
    public void AnInitContainerThatLaterContainersCoverAddsNoRequest()
    {
        var pod = Pod([Container("main", null, (Gpu, "2"))], [Container("init", null, (Gpu, "1"))]);
        var result = ExtendedResources.ForPod(pod, [Mapped(ClassA, Gpu)]);
        Assert.Equal("container-1-request-0", Assert.Single(result.Claim!.Spec.Devices.Requests).Name);
        Assert.Equal([("main", "container-1-request-0"), ("init", "container-1-request-0")], result.RequestMappings.Select(m => (m.ContainerName, m.RequestName)));
    }

    [Fact]
    public void ALimitStandsForAMissingRequest()
    {
        var pod = Pod([new V1Container
        {
            Name = "a",
            Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { [Gpu] = new("3") } },
        }]);
        var result = ExtendedResources.ForPod(pod, [Mapped(ClassA, Gpu)]);
        Assert.Equal(3L, Assert.Single(result.Claim!.Spec.Devices.Requests).Exactly.Count);
    }

    [Fact]
    public void NoExtendedResourcesNoClaim()
    {
        var result = ExtendedResources.ForPod(Pod([Container("a", null, ("cpu", "1"), ("memory", "1Gi"), ("hugepages-2Mi", "2Mi"))]), [Mapped(ClassA, Gpu)]);
        Assert.Null(result.Claim);
        Assert.Empty(result.Resources);
        Assert.True(result.Fits);
    }

    [Fact]
    public void AFractionalQuantityIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => ExtendedResources.ForPod(Pod([Container("a", null, (Gpu, "500m"))]), [Mapped(ClassA, Gpu)]));
        Assert.Contains("team-a/job: container a: example.com/gpu", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nvidia.com/gpu", true)]
    [InlineData("deviceclass.resource.kubernetes.io/gpu.example.com", true)]
    [InlineData("cpu", false)]
    [InlineData("kubernetes.io/batch", false)]
    [InlineData("node.kubernetes.io/x", false)]
    [InlineData("requests.nvidia.com/gpu", false)]
    public void ExtendedResourceNames(string name, bool extended) => Assert.Equal(extended, ExtendedResources.IsExtendedResourceName(name));
}
