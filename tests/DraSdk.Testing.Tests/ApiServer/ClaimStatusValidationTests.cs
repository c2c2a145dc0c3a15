using System.Text.Json.Nodes;
using static DraSdk.Testing.Tests.ApiServer.RawValidation;

namespace DraSdk.Testing.Tests.ApiServer;

/// <summary>
/// ResourceClaim status validation (writes through <c>/status</c>) of the in-memory API server, rule by rule, as
/// kube-apiserver v1.36 answers: allocation results, reservedFor and KEP-4817 device statuses.
/// </summary>
public sealed class ClaimStatusValidationTests
{
    private const string Claims = "apis/resource.k8s.io/v1/namespaces/default/resourceclaims";
    private const string Kind = "ResourceClaim.resource.k8s.io";
    private const string ShareId = "5f0c3a55-9f0e-4bde-8d55-3a0c2d1e4f6a";

    /// <summary>A status using every part, valid for <see cref="ResourceClaimValidationTests.Valid"/>'s requests.</summary>
    private static JsonObject ValidStatus() => Json($$"""
        {
          'allocation': {
            'devices': {
              'results': [
                { 'request': 'gpu', 'driver': 'gpu.example.com', 'pool': 'node-a', 'device': 'gpu-0',
                  'bindingConditions': ['example.com/ready'], 'bindingFailureConditions': ['example.com/failed'],
                  'consumedCapacity': { 'gpu.example.com/memory': '10Gi' } },
                { 'request': 'nic/fast', 'driver': 'nic.example.com', 'pool': 'node-a/nics', 'device': 'nic-0', 'shareID': '{{ShareId}}' }
              ],
              'config': [ { 'source': 'FromClaim', 'requests': ['gpu'], 'opaque': { 'driver': 'gpu.example.com', 'parameters': { 'mode': 'shared' } } } ]
            },
            'nodeSelector': { 'nodeSelectorTerms': [ { 'matchFields': [ { 'key': 'metadata.name', 'operator': 'In', 'values': ['node-a'] } ] } ] }
          },
          'reservedFor': [ { 'resource': 'pods', 'name': 'trainer', 'uid': 'a9e2c6d4-0000-4000-8000-000000000001' } ],
          'devices': [
            { 'driver': 'gpu.example.com', 'pool': 'node-a', 'device': 'gpu-0',
              'conditions': [ { 'type': 'Ready', 'status': 'True', 'reason': 'Configured', 'message': 'ok', 'lastTransitionTime': '2026-01-01T00:00:00Z', 'observedGeneration': 1 } ],
              'data': { 'vendor': { 'slot': 3 } },
              'networkData': { 'interfaceName': 'eth1', 'ips': ['10.9.8.7/24', '2001:db8::1/64'], 'hardwareAddress': '00:11:22:33:44:55' } },
            { 'driver': 'nic.example.com', 'pool': 'node-a/nics', 'device': 'nic-0', 'shareID': '{{ShareId}}' }
          ]
        }
        """);

    private static async Task<JsonObject> CreateClaimAsync(RawValidation raw) => await raw.CreateOkAsync(Claims, ResourceClaimValidationTests.Valid());

    private static JsonObject WithStatus(JsonObject claim, JsonObject status)
    {
        var copy = claim.DeepClone().AsObject();
        copy["status"] = status.DeepClone();
        return copy;
    }

    [Fact]
    public async Task A_full_status_is_accepted_and_the_allocation_can_be_removed_again()
    {
        await using var raw = await StartAsync();
        var claim = await CreateClaimAsync(raw);

        var written = await raw.ReplaceOkAsync(Claims + "/c/status", WithStatus(claim, ValidStatus()));
        Assert.Equal("gpu-0", (string?)written["status"]?["allocation"]?["devices"]?["results"]?[0]?["device"]);

        // Deallocation: reservedFor, devices and allocation go; conditions and data may change meanwhile.
        var status = ValidStatus();
        status["devices"]![0]!["conditions"]![0]!["status"] = "False";
        written = await raw.ReplaceOkAsync(Claims + "/c/status", WithStatus(written, status));
        await raw.ReplaceOkAsync(Claims + "/c/status", WithStatus(written, new JsonObject()));
    }

    [Theory]
    // Allocation results: existing request names, driver, pool and device names, share IDs, binding conditions.
    [InlineData("result", "{'request': 'nope'}", "FieldValueInvalid", "status.allocation.devices.results[0].request")]
    [InlineData("result", "{'request': 'nic/slow/x'}", "FieldValueInvalid", "status.allocation.devices.results[0].request")]
    [InlineData("result", "{'driver': 'gpu_example'}", "FieldValueInvalid", "status.allocation.devices.results[0].driver")]
    [InlineData("result", "{'driver': null}", "FieldValueRequired", "status.allocation.devices.results[0].driver")]
    [InlineData("result", "{'pool': null}", "FieldValueRequired", "status.allocation.devices.results[0].pool")]
    [InlineData("result", "{'pool': 'node-a//x'}", "FieldValueInvalid", "status.allocation.devices.results[0].pool")]
    [InlineData("result", "{'device': 'GPU_0'}", "FieldValueInvalid", "status.allocation.devices.results[0].device")]
    [InlineData("result", "{'shareID': 'not-a-uuid'}", "FieldValueInvalid", "status.allocation.devices.results[0].shareID")]
    [InlineData("result", "{'shareID': '5F0C3A55-9F0E-4BDE-8D55-3A0C2D1E4F6A'}", "FieldValueInvalid", "status.allocation.devices.results[0].shareID")]
    [InlineData("result", "{'bindingFailureConditions': null}", "FieldValueInvalid", "status.allocation.devices.results[0].bindingFailureConditions")]
    [InlineData("result", "{'bindingFailureConditions': ['example.com/ready']}", "FieldValueInvalid", "status.allocation.devices.results[0].bindingFailureConditions[0]")]
    [InlineData("result", "{'bindingConditions': ['bad condition']}", "FieldValueInvalid", "status.allocation.devices.results[0].bindingConditions[0]")]
    // Allocation configs: a source, existing requests, an opaque configuration.
    [InlineData("allocation", "{'devices': {'config': [{'requests': ['gpu'], 'opaque': {'driver': 'gpu.example.com', 'parameters': {}}}]}}", "FieldValueRequired", "status.allocation.devices.config[0].source")]
    [InlineData("allocation", "{'devices': {'config': [{'source': 'FromPod', 'opaque': {'driver': 'gpu.example.com', 'parameters': {}}}]}}", "FieldValueNotSupported", "status.allocation.devices.config[0].source")]
    [InlineData("allocation", "{'devices': {'config': [{'source': 'FromClass', 'requests': ['nope'], 'opaque': {'driver': 'gpu.example.com', 'parameters': {}}}]}}", "FieldValueInvalid", "status.allocation.devices.config[0].requests[0]")]
    [InlineData("allocation", "{'devices': {'config': [{'source': 'FromClass'}]}}", "FieldValueRequired", "status.allocation.devices.config[0].opaque")]
    // The node selector.
    [InlineData("allocation", "{'nodeSelector': {'nodeSelectorTerms': []}}", "FieldValueRequired", "status.allocation.nodeSelector.nodeSelectorTerms")]
    [InlineData("allocation", "{'nodeSelector': {'nodeSelectorTerms': [{'matchFields': [{'key': 'spec.nodeName', 'operator': 'In', 'values': ['n']}]}]}}", "FieldValueInvalid", "status.allocation.nodeSelector.nodeSelectorTerms[0].matchFields[0].key")]
    [InlineData("allocation", "{'nodeSelector': {'nodeSelectorTerms': [{'matchFields': [{'key': 'metadata.name', 'operator': 'In', 'values': ['a', 'b']}]}]}}", "FieldValueRequired", "status.allocation.nodeSelector.nodeSelectorTerms[0].matchFields[0].values")]
    [InlineData("allocation", "{'nodeSelector': {'nodeSelectorTerms': [{'matchExpressions': [{'key': 'zone', 'operator': 'Near', 'values': ['a']}]}]}}", "FieldValueInvalid", "status.allocation.nodeSelector.nodeSelectorTerms[0].matchExpressions[0].operator")]
    [InlineData("allocation", "{'nodeSelector': {'nodeSelectorTerms': [{'matchExpressions': [{'key': 'zone', 'operator': 'In'}]}]}}", "FieldValueRequired", "status.allocation.nodeSelector.nodeSelectorTerms[0].matchExpressions[0].values")]
    [InlineData("allocation", "{'nodeSelector': {'nodeSelectorTerms': [{'matchExpressions': [{'key': 'zone', 'operator': 'Exists', 'values': ['a']}]}]}}", "FieldValueForbidden", "status.allocation.nodeSelector.nodeSelectorTerms[0].matchExpressions[0].values")]
    // reservedFor: resource, name and uid required; unique uids; only with an allocation.
    [InlineData("status", "{'reservedFor': [{'resource': 'pods', 'name': 'p'}]}", "FieldValueRequired", "status.reservedFor[0].uid")]
    [InlineData("status", "{'reservedFor': [{'name': 'p', 'uid': 'u'}]}", "FieldValueRequired", "status.reservedFor[0].resource")]
    [InlineData("status", "{'reservedFor': [{'resource': 'pods', 'uid': 'u'}]}", "FieldValueRequired", "status.reservedFor[0].name")]
    [InlineData("status", "{'reservedFor': [{'resource': 'pods', 'name': 'p', 'uid': 'u'}, {'resource': 'pods', 'name': 'q', 'uid': 'u'}]}", "FieldValueDuplicate", "status.reservedFor[1]")]
    [InlineData("status", "{'allocation': null, 'devices': null}", "FieldValueForbidden", "status.reservedFor")]
    // Device statuses: allocated devices only, each once, with valid names.
    [InlineData("status", "{'devices': [{'driver': 'gpu.example.com', 'pool': 'node-a', 'device': 'gpu-9'}]}", "FieldValueInvalid", "status.devices[0]")]
    [InlineData("status", "{'devices': [{'driver': 'nic.example.com', 'pool': 'node-a/nics', 'device': 'nic-0'}]}", "FieldValueInvalid", "status.devices[0]")]
    [InlineData("status", "{'devices': [{'driver': 'gpu.example.com', 'pool': 'node-a', 'device': 'gpu-0'}, {'driver': 'gpu.example.com', 'pool': 'node-a', 'device': 'gpu-0'}]}", "FieldValueDuplicate", "status.devices[1]")]
    [InlineData("device", "{'device': 'GPU 0'}", "FieldValueInvalid", "status.devices[0].device")]
    [InlineData("device", "{'driver': 'bad_driver'}", "FieldValueInvalid", "status.devices[0].driver")]
    // Conditions (metav1.Condition rules).
    [InlineData("device", "{'conditions': [{'type': 'Ready', 'status': 'Maybe', 'reason': 'R', 'lastTransitionTime': '2026-01-01T00:00:00Z'}]}", "FieldValueNotSupported", "status.devices[0].conditions[0].status")]
    [InlineData("device", "{'conditions': [{'type': 'Ready', 'status': 'True', 'lastTransitionTime': '2026-01-01T00:00:00Z'}]}", "FieldValueRequired", "status.devices[0].conditions[0].reason")]
    [InlineData("device", "{'conditions': [{'type': 'Ready', 'status': 'True', 'reason': '1bad', 'lastTransitionTime': '2026-01-01T00:00:00Z'}]}", "FieldValueInvalid", "status.devices[0].conditions[0].reason")]
    [InlineData("device", "{'conditions': [{'type': 'Ready', 'status': 'True', 'reason': 'R'}]}", "FieldValueRequired", "status.devices[0].conditions[0].lastTransitionTime")]
    [InlineData("device", "{'conditions': [{'type': 'not a type', 'status': 'True', 'reason': 'R', 'lastTransitionTime': '2026-01-01T00:00:00Z'}]}", "FieldValueInvalid", "status.devices[0].conditions[0].type")]
    [InlineData("device", "{'conditions': [{'type': 'Ready', 'status': 'True', 'reason': 'R', 'lastTransitionTime': '2026-01-01T00:00:00Z', 'observedGeneration': -1}]}", "FieldValueInvalid", "status.devices[0].conditions[0].observedGeneration")]
    [InlineData("device", "{'conditions': [{'type': 'Ready', 'status': 'True', 'reason': 'R', 'lastTransitionTime': '2026-01-01T00:00:00Z'}, {'type': 'Ready', 'status': 'False', 'reason': 'R', 'lastTransitionTime': '2026-01-01T00:00:00Z'}]}", "FieldValueDuplicate", "status.devices[0].conditions[1].type")]
    // Data: a JSON object.
    [InlineData("device", "{'data': [1, 2, 3]}", "FieldValueInvalid", "status.devices[0].data")]
    // Network data: interface addresses in canonical CIDR form, unique.
    [InlineData("device", "{'networkData': {'ips': ['10.9.8.7']}}", "FieldValueInvalid", "status.devices[0].networkData.ips[0]")]
    [InlineData("device", "{'networkData': {'ips': ['10.9.8.300/24']}}", "FieldValueInvalid", "status.devices[0].networkData.ips[0]")]
    [InlineData("device", "{'networkData': {'ips': ['10.9.8.7/33']}}", "FieldValueInvalid", "status.devices[0].networkData.ips[0]")]
    [InlineData("device", "{'networkData': {'ips': ['10.9.8.07/24']}}", "FieldValueInvalid", "status.devices[0].networkData.ips[0]")]
    [InlineData("device", "{'networkData': {'ips': ['2001:DB8::1/64']}}", "FieldValueInvalid", "status.devices[0].networkData.ips[0]")]
    [InlineData("device", "{'networkData': {'ips': ['::ffff:10.9.8.7/120']}}", "FieldValueInvalid", "status.devices[0].networkData.ips[0]")]
    [InlineData("device", "{'networkData': {'ips': ['10.9.8.7/24', '10.9.8.7/24']}}", "FieldValueDuplicate", "status.devices[0].networkData.ips[1]")]
    public async Task An_invalid_status_is_rejected_at_the_servers_field_path(string target, string patch, string reason, string field)
    {
        await using var raw = await StartAsync();
        var claim = await CreateClaimAsync(raw);
        var status = ValidStatus();
        switch (target)
        {
            case "status":
                status = Merge(status, patch);
                break;
            case "allocation":
                status["allocation"] = Merge(status["allocation"]!.AsObject(), patch);
                break;
            case "result":
                status["allocation"]!["devices"]!["results"]![0] = Merge(status["allocation"]!["devices"]!["results"]![0]!.AsObject(), patch);
                break;
            case "device":
                status["devices"]![0] = Merge(status["devices"]![0]!.AsObject(), patch);
                break;
        }

        await ExpectInvalidAsync(raw.ReplaceAsync(Claims + "/c/status", WithStatus(claim, status)), Kind, "c", (reason, field));

        Assert.Null(raw.Api.Get<k8s.Models.Resourcev1ResourceClaim>("default", "c")!.Status?.Allocation);
    }

    [Fact]
    public async Task Canonical_forms_of_addresses_are_named_in_the_message()
    {
        await using var raw = await StartAsync();
        var claim = await CreateClaimAsync(raw);
        var status = ValidStatus();
        status["devices"]![0]!["networkData"]!["ips"] = new JsonArray("10.9.8.07/24", "2001:DB8::1/64", "1.2.3.4");

        var causes = await ExpectInvalidAsync(raw.ReplaceAsync(Claims + "/c/status", WithStatus(claim, status)), Kind, "c");

        Assert.Equal(
            [
                "Invalid value: \"10.9.8.07/24\": must be in canonical form (\"10.9.8.7/24\")",
                "Invalid value: \"2001:DB8::1/64\": must be in canonical form (\"2001:db8::1/64\")",
                "Invalid value: \"1.2.3.4\": must be a valid address in CIDR form, (e.g. 10.9.8.7/24 or 2001:db8::1/64)",
            ],
            causes.Select(c => c.Message));
    }

    [Fact]
    public async Task Limits_on_results_reservedFor_conditions_data_and_network_data()
    {
        await using var raw = await StartAsync();
        var claim = await CreateClaimAsync(raw);
        var status = ValidStatus();
        var result = status["allocation"]!["devices"]!["results"]![0]!;
        status["allocation"]!["devices"]!["results"] = new JsonArray([.. Enumerable.Range(0, 33).Select(_ => result.DeepClone())]);
        status["reservedFor"] = new JsonArray([.. Enumerable.Range(0, 257).Select(i => Json($"{{'resource': 'pods', 'name': 'p{i}', 'uid': 'u{i}'}}"))]);
        var device = status["devices"]![0]!;
        var condition = device["conditions"]![0]!;
        device["conditions"] = new JsonArray([.. Enumerable.Range(0, 9).Select(i => Merge(condition.AsObject(), $"{{'type': 'T{i}'}}"))]);
        device["data"] = new JsonObject { ["blob"] = new string('x', 10 * 1024) };
        device["networkData"] = new JsonObject
        {
            ["interfaceName"] = new string('é', 129), // 258 bytes, 129 characters
            ["hardwareAddress"] = new string('a', 129),
            ["ips"] = new JsonArray([.. Enumerable.Range(1, 17).Select(i => (JsonNode)$"10.0.0.{i}/24")]),
        };

        await ExpectInvalidAsync(raw.ReplaceAsync(Claims + "/c/status", WithStatus(claim, status)), Kind, "c",
            ("FieldValueTooMany", "status.allocation.devices.results"),
            ("FieldValueTooMany", "status.reservedFor"),
            ("FieldValueTooMany", "status.devices[0].conditions"),
            ("FieldValueTooLong", "status.devices[0].data"),
            ("FieldValueTooLong", "status.devices[0].networkData.interfaceName"),
            ("FieldValueTooLong", "status.devices[0].networkData.hardwareAddress"),
            ("FieldValueTooMany", "status.devices[0].networkData.ips"));
    }

    [Fact]
    public async Task The_allocation_is_immutable_once_set()
    {
        await using var raw = await StartAsync();
        var claim = await CreateClaimAsync(raw);
        var written = await raw.ReplaceOkAsync(Claims + "/c/status", WithStatus(claim, ValidStatus()));

        var moved = ValidStatus();
        moved["allocation"]!["devices"]!["results"]![0]!["device"] = "gpu-1";
        moved["devices"]![0]!["device"] = "gpu-1";
        var causes = await ExpectInvalidAsync(raw.ReplaceAsync(Claims + "/c/status", WithStatus(written, moved)), Kind, "c", ("FieldValueInvalid", "status.allocation"));
        Assert.Contains(causes, c => c.Message == "Invalid value: \"object\": field is immutable");
    }

    [Fact]
    public async Task A_claim_being_deleted_gets_no_new_reservations()
    {
        await using var raw = await StartAsync();
        var claim = await CreateClaimAsync(raw);
        claim["metadata"]!["finalizers"] = new JsonArray("example.com/keep");
        claim = await raw.ReplaceOkAsync(Claims + "/c", claim);
        claim = await raw.ReplaceOkAsync(Claims + "/c/status", WithStatus(claim, ValidStatus()));
        using var http = new HttpClient { BaseAddress = raw.Api.BaseAddress };
        (await http.DeleteAsync(new Uri(Claims + "/c", UriKind.Relative), TestContext.Current.CancellationToken)).Dispose();
        var deleting = raw.Api.Get<k8s.Models.Resourcev1ResourceClaim>("default", "c")!;
        Assert.NotNull(deleting.Metadata.DeletionTimestamp);

        var more = ValidStatus();
        more["reservedFor"]!.AsArray().Add(Json("{'resource': 'pods', 'name': 'late', 'uid': 'a9e2c6d4-0000-4000-8000-000000000002'}"));
        var current = JsonNode.Parse(k8s.KubernetesJson.Serialize(deleting))!.AsObject();
        await ExpectInvalidAsync(raw.ReplaceAsync(Claims + "/c/status", WithStatus(current, more)), Kind, "c", ("FieldValueForbidden", "status.reservedFor"));

        // Removing reservations is fine.
        var fewer = ValidStatus();
        fewer.Remove("reservedFor");
        await raw.ReplaceOkAsync(Claims + "/c/status", WithStatus(current, fewer));
    }

    [Fact]
    public async Task Admin_access_in_an_allocation_needs_the_namespace_label()
    {
        await using var raw = await StartAsync();
        var claim = await CreateClaimAsync(raw);
        var status = ValidStatus();
        status["allocation"]!["devices"]!["results"]![1]!["adminAccess"] = true;

        await ExpectInvalidAsync(raw.ReplaceAsync(Claims + "/c/status", WithStatus(claim, status)), Kind, "c", ("FieldValueForbidden", "status.allocation.devices.results[1].adminAccess"));

        await raw.CreateOkAsync("api/v1/namespaces", Json("{'metadata': {'name': 'default', 'labels': {'resource.kubernetes.io/admin-access': 'true'}}}"));
        await raw.ReplaceOkAsync(Claims + "/c/status", WithStatus(claim, status));
    }

    [Fact]
    public async Task A_seeded_claim_with_a_status_is_validated_like_a_status_write()
    {
        await using var raw = await StartAsync();
        var claim = ApiTestSupport.Claim("seeded");
        claim.Status = CrudTests.Allocated("gpu-0");
        claim.Status.ReservedFor = [new k8s.Models.V1ResourceClaimConsumerReference { Resource = "pods", Name = "p" }]; // no uid

        Assert.Throws<InvalidOperationException>(() => raw.Api.Seed(claim));

        claim.Status.ReservedFor[0].Uid = "a9e2c6d4-0000-4000-8000-000000000001";
        Assert.Equal("gpu-0", raw.Api.Seed(claim).Status.Allocation.Devices.Results.Single().Device);
    }
}
