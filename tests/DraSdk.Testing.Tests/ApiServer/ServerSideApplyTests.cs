using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace DraSdk.Testing.Tests.ApiServer;

public sealed class ServerSideApplyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_drivers_entries_in_claim_status_survive_each_others_applies_and_a_manager_removes_only_its_own()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(Ct);
        api.Seed(AllocatedClaim());
        using var http = new HttpClient { BaseAddress = api.BaseAddress };

        Assert.Equal(HttpStatusCode.OK, (await ApplyAsync(http, "gpu.example.com", Entries(("gpu.example.com", "gpu-0", "v1")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ApplyAsync(http, "net.example.com", Entries(("net.example.com", "nic-3", "a")))).StatusCode);
        // The GPU driver writes again with another value: the NIC entry stays.
        Assert.Equal(HttpStatusCode.OK, (await ApplyAsync(http, "gpu.example.com", Entries(("gpu.example.com", "gpu-0", "v2")))).StatusCode);

        var claim = api.Get<Resourcev1ResourceClaim>("default", "claim")!;
        Assert.Equal(["gpu-0", "nic-3"], claim.Status.Devices.Select(d => d.Device).Order());
        Assert.NotNull(claim.Status.Allocation); // what nobody applied is kept
        var gpu = JsonNode.Parse(KubernetesJson.Serialize(claim.Status.Devices.Single(d => d.Device == "gpu-0")))!;
        Assert.Equal("v2", gpu["data"]!["version"]!.GetValue<string>());

        var managers = claim.Metadata.ManagedFields.Select(m => (m.Manager, m.Operation, m.Subresource)).Order().ToList();
        Assert.Equal([("gpu.example.com", "Apply", "status"), ("net.example.com", "Apply", "status")], managers);
        var gpuFields = JsonNode.Parse(KubernetesJson.Serialize(claim.Metadata.ManagedFields.Single(m => m.Manager == "gpu.example.com").FieldsV1))!;
        var entryKeys = gpuFields["f:status"]!["f:devices"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Equal(["k:{\"device\":\"gpu-0\",\"driver\":\"gpu.example.com\",\"pool\":\"node-a\"}"], entryKeys);

        // An apply with no entries removes this manager's entries, and only those; its managedFields entry goes too.
        Assert.Equal(HttpStatusCode.OK, (await ApplyAsync(http, "gpu.example.com", null)).StatusCode);
        claim = api.Get<Resourcev1ResourceClaim>("default", "claim")!;
        Assert.Equal(["nic-3"], claim.Status.Devices.Select(d => d.Device));
        Assert.Equal(["net.example.com"], claim.Metadata.ManagedFields.Select(m => m.Manager));
    }

    [Fact]
    public async Task An_entry_another_manager_applied_conflicts_unless_forced_and_force_takes_it_over()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(Ct);
        api.Seed(AllocatedClaim());
        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await ApplyAsync(http, "old-manager", Entries(("gpu.example.com", "gpu-0", "v1")))).StatusCode);

        var conflict = await ApplyAsync(http, "gpu.example.com", Entries(("gpu.example.com", "gpu-0", "v2")), force: false);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        var message = JsonNode.Parse(await conflict.Content.ReadAsStringAsync(Ct))!["message"]!.GetValue<string>();
        Assert.Contains("conflict with \"old-manager\": .status.devices[driver=\"gpu.example.com\",device=\"gpu-0\",pool=\"node-a\"]", message, StringComparison.Ordinal);

        // The same value is no conflict; a forced apply takes the entry over.
        Assert.Equal(HttpStatusCode.OK, (await ApplyAsync(http, "gpu.example.com", Entries(("gpu.example.com", "gpu-0", "v1")), force: false)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ApplyAsync(http, "gpu.example.com", Entries(("gpu.example.com", "gpu-0", "v2")), force: true)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ApplyAsync(http, "gpu.example.com", null)).StatusCode);
        var claim = api.Get<Resourcev1ResourceClaim>("default", "claim")!;
        Assert.Null(claim.Status.Devices);
        Assert.Null(claim.Metadata.ManagedFields); // the old manager lost its only entry to the forced apply, the new one removed it
    }

    [Fact]
    public async Task Apply_answers_like_the_real_server_for_a_missing_manager_bad_content_type_bad_body_and_invalid_status()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(Ct);
        api.Seed(AllocatedClaim());
        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        string body = Config(Entries(("gpu.example.com", "gpu-0", "v1")));

        using var noManager = await SendAsync(http, "", body, "application/apply-patch+yaml");
        Assert.Equal(HttpStatusCode.BadRequest, noManager.StatusCode);
        Assert.Contains("fieldManager", await noManager.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        using var badType = await SendAsync(http, "?fieldManager=m", body, "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, badType.StatusCode);

        using var notJson = await SendAsync(http, "?fieldManager=m", "status: [", "application/apply-patch+yaml");
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);

        using var withManaged = await SendAsync(http, "?fieldManager=m", """{"apiVersion":"resource.k8s.io/v1","kind":"ResourceClaim","metadata":{"name":"claim","managedFields":[]}}""", "application/apply-patch+yaml");
        Assert.Equal(HttpStatusCode.BadRequest, withManaged.StatusCode);

        // A device that is not allocated in the claim: rejected by validation, the claim unchanged.
        using var invalid = await ApplyAsync(http, "gpu.example.com", Entries(("gpu.example.com", "gpu-9", "v1")));
        Assert.Equal((HttpStatusCode)422, invalid.StatusCode);
        Assert.Contains("must be an allocated device in the claim", await invalid.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Null(api.Get<Resourcev1ResourceClaim>("default", "claim")!.Status.Devices);
    }

    [Fact]
    public async Task KubernetesClient_apply_of_claim_status_records_the_manager_and_a_repeat_is_a_no_op()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(Ct);
        api.Seed(AllocatedClaim());
        using var client = api.CreateClient();
        var patch = new V1Patch(Config(Entries(("gpu.example.com", "gpu-0", "v1"))), V1Patch.PatchType.ApplyPatch);

        var first = await client.ResourceV1.PatchNamespacedResourceClaimStatusAsync(patch, "claim", "default", fieldManager: "gpu.example.com", force: true, cancellationToken: Ct);
        var again = await client.ResourceV1.PatchNamespacedResourceClaimStatusAsync(patch, "claim", "default", fieldManager: "gpu.example.com", force: true, cancellationToken: Ct);

        Assert.Equal("gpu-0", Assert.Single(first.Status.Devices).Device);
        Assert.Equal("Apply", Assert.Single(first.Metadata.ManagedFields).Operation);
        Assert.Equal(first.Metadata.ResourceVersion, again.Metadata.ResourceVersion);
    }

    private static Task<HttpResponseMessage> ApplyAsync(HttpClient http, string manager, JsonArray? entries, bool force = true) =>
        SendAsync(http, $"?fieldManager={manager}" + (force ? "&force=true" : ""), Config(entries), "application/apply-patch+yaml");

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string query, string body, string contentType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, "apis/resource.k8s.io/v1/namespaces/default/resourceclaims/claim/status" + query)
        {
            Content = new StringContent(body, Encoding.UTF8, contentType),
        };
        return await http.SendAsync(request, Ct);
    }

    private static string Config(JsonArray? entries)
    {
        var config = new JsonObject
        {
            ["apiVersion"] = "resource.k8s.io/v1",
            ["kind"] = "ResourceClaim",
            ["metadata"] = new JsonObject { ["name"] = "claim", ["namespace"] = "default" },
        };
        if (entries is not null)
        {
            config["status"] = new JsonObject { ["devices"] = entries };
        }

        return config.ToJsonString();
    }

    private static JsonArray Entries(params (string Driver, string Device, string Version)[] entries) =>
        [.. entries.Select(e => (JsonNode)new JsonObject
        {
            ["driver"] = e.Driver,
            ["pool"] = "node-a",
            ["device"] = e.Device,
            ["data"] = new JsonObject { ["version"] = e.Version },
        })];

    private static Resourcev1ResourceClaim AllocatedClaim() => new()
    {
        ApiVersion = "resource.k8s.io/v1",
        Kind = "ResourceClaim",
        Metadata = new V1ObjectMeta { Name = "claim", NamespaceProperty = "default" },
        Spec = new V1ResourceClaimSpec
        {
            Devices = new V1DeviceClaim
            {
                Requests =
                [
                    new V1DeviceRequest { Name = "gpu", Exactly = new V1ExactDeviceRequest { DeviceClassName = "gpu.example.com" } },
                    new V1DeviceRequest { Name = "nic", Exactly = new V1ExactDeviceRequest { DeviceClassName = "net.example.com" } },
                ],
            },
        },
        Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult
                {
                    Results =
                    [
                        new V1DeviceRequestAllocationResult { Request = "gpu", Driver = "gpu.example.com", Pool = "node-a", Device = "gpu-0" },
                        new V1DeviceRequestAllocationResult { Request = "nic", Driver = "net.example.com", Pool = "node-a", Device = "nic-3" },
                    ],
                },
            },
        },
    };
}
