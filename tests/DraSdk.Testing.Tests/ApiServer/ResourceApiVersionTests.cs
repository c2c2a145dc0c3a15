using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DraSdk.Testing.Tests.ApiServer;

/// <summary>A server that serves resource.k8s.io in v1beta2 or v1beta1 only, as Kubernetes 1.33 and 1.32 do.</summary>
public sealed class ResourceApiVersionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> OlderVersions => ["v1beta2", "v1beta1"];

    [Theory]
    [MemberData(nameof(OlderVersions))]
    public async Task Discovery_lists_only_the_served_version_and_the_others_are_not_found(string version)
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(new InMemoryApiServerOptions { ResourceApiVersion = version }, Ct);
        using IKubernetes client = api.CreateClient();

        V1APIGroup group = await client.Resource.GetAPIGroupAsync(Ct);

        Assert.Equal([version], group.Versions.Select(v => v.Version));
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.ResourceV1.ListResourceSliceAsync(cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.NotFound, error.Response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(OlderVersions))]
    public async Task Every_field_of_a_v1_slice_and_claim_survives_storage_in_an_older_version(string version)
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(new InMemoryApiServerOptions { ResourceApiVersion = version }, Ct);
        V1ResourceSlice slice = RichSlice();
        Resourcev1ResourceClaim claim = RichClaim();

        V1ResourceSlice storedSlice = api.Seed(slice);
        Resourcev1ResourceClaim storedClaim = api.Seed(claim);

        AssertSame(slice.Spec, api.Get<V1ResourceSlice>(storedSlice.Metadata.Name)!.Spec);
        AssertSame(claim.Spec, api.Get<Resourcev1ResourceClaim>("rich")!.Spec);
        AssertSame(claim.Status, storedClaim.Status);
        if (version == "v1beta1")
        {
            V1beta1ResourceSlice beta = api.Get<V1beta1ResourceSlice>(storedSlice.Metadata.Name)!;
            Assert.Equal("A100", beta.Spec.Devices[0].Basic.Attributes["model"].StringValue);
            Assert.Equal(true, beta.Spec.Devices[0].Basic.AllowMultipleAllocations);
            V1beta1DeviceRequest request = api.Get<V1beta1ResourceClaim>("rich")!.Spec.Devices.Requests[0];
            Assert.Equal(("gpu.example.com", "All"), (request.DeviceClassName, request.AllocationMode));
        }
        else
        {
            Assert.Equal("A100", api.Get<V1beta2ResourceSlice>(storedSlice.Metadata.Name)!.Spec.Devices[0].Attributes["model"].StringValue);
        }
    }

    [Theory]
    [MemberData(nameof(OlderVersions))]
    public async Task An_invalid_claim_is_refused_by_the_v1_rules(string version)
    {
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(new InMemoryApiServerOptions { ResourceApiVersion = version }, Ct);
        Resourcev1ResourceClaim claim = RichClaim();
        claim.Spec.Devices.Requests[0].Exactly.AllocationMode = "Some";

        var error = Assert.Throws<InvalidOperationException>(() => api.Seed(claim));

        Assert.Contains("allocationMode", error.Message, StringComparison.Ordinal);
    }

    private static void AssertSame<T>(T expected, T actual)
    {
        JsonNode? e = JsonNode.Parse(KubernetesJson.Serialize(expected));
        JsonNode? a = JsonNode.Parse(KubernetesJson.Serialize(actual));
        Assert.True(JsonNode.DeepEquals(e, a), $"expected {e}\nactual   {a}");
    }

    private static V1ResourceSlice RichSlice() => new()
    {
        ApiVersion = "resource.k8s.io/v1",
        Kind = "ResourceSlice",
        Metadata = new V1ObjectMeta { Name = "node-a-gpus" },
        Spec = new V1ResourceSliceSpec
        {
            Driver = "gpu.example.com",
            NodeName = "node-a",
            Pool = new V1ResourcePool { Name = "node-a", Generation = 3, ResourceSliceCount = 2 },
            Devices =
            [
                new V1Device
                {
                    Name = "gpu-0",
                    Attributes = new Dictionary<string, V1DeviceAttribute>
                    {
                        ["model"] = new() { StringValue = "A100" },
                        ["index"] = new() { IntValue = 0 },
                        ["mig"] = new() { BoolValue = true },
                        ["driverVersion"] = new() { Version = "550.54.15" },
                    },
                    Capacity = new Dictionary<string, V1DeviceCapacity>
                    {
                        ["memory"] = new() { Value = new ResourceQuantity("40Gi"), RequestPolicy = new V1CapacityRequestPolicy { DefaultProperty = new ResourceQuantity("1Gi"), ValidRange = new V1CapacityRequestPolicyRange { Min = new ResourceQuantity("1Gi") } } },
                    },
                    AllowMultipleAllocations = true,
                    ConsumesCounters = [new V1DeviceCounterConsumption { CounterSet = "gpu-0-counters", Counters = new Dictionary<string, V1Counter> { ["memory"] = new() { Value = new ResourceQuantity("40Gi") } } }],
                    Taints = [new V1DeviceTaint { Key = "gpu.example.com/unhealthy", Value = "ecc", Effect = "NoSchedule" }],
                    BindsToNode = true,
                    BindingConditions = ["gpu.example.com/attached"],
                    BindingFailureConditions = ["gpu.example.com/failed"],
                },
                new V1Device { Name = "gpu-1" },
            ],
        },
    };

    private static Resourcev1ResourceClaim RichClaim() => new()
    {
        ApiVersion = "resource.k8s.io/v1",
        Kind = "ResourceClaim",
        Metadata = new V1ObjectMeta { Name = "rich", NamespaceProperty = "default" },
        Spec = new V1ResourceClaimSpec
        {
            Devices = new V1DeviceClaim
            {
                Requests =
                [
                    new V1DeviceRequest
                    {
                        Name = "all",
                        Exactly = new V1ExactDeviceRequest
                        {
                            DeviceClassName = "gpu.example.com",
                            AllocationMode = "All",
                            Selectors = [new V1DeviceSelector { Cel = new V1CELDeviceSelector { Expression = "device.attributes['gpu.example.com'].mig" } }],
                            Tolerations = [new V1DeviceToleration { Key = "gpu.example.com/unhealthy", OperatorProperty = "Exists", Effect = "NoSchedule" }],
                            Capacity = new V1CapacityRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["memory"] = new("4Gi") } },
                        },
                    },
                    new V1DeviceRequest
                    {
                        Name = "one",
                        FirstAvailable =
                        [
                            new V1DeviceSubRequest { Name = "big", DeviceClassName = "gpu.example.com", AllocationMode = "ExactCount", Count = 2 },
                            new V1DeviceSubRequest { Name = "small", DeviceClassName = "gpu.example.com" },
                        ],
                    },
                ],
                Constraints = [new V1DeviceConstraint { Requests = ["all", "one"], MatchAttribute = "gpu.example.com/numa" }],
                Config = [new V1DeviceClaimConfiguration { Requests = ["all"], Opaque = new V1OpaqueDeviceConfiguration { Driver = "gpu.example.com", Parameters = JsonDocument.Parse("""{"sharing":"TimeSlicing"}""").RootElement } }],
            },
        },
        Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult
                {
                    Results = [new V1DeviceRequestAllocationResult { Request = "one/small", Driver = "gpu.example.com", Pool = "node-a", Device = "gpu-1" }],
                },
            },
        },
    };
}
