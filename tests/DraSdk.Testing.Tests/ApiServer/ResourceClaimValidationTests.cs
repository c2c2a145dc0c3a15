using System.Text.Json.Nodes;
using static DraSdk.Testing.Tests.ApiServer.RawValidation;

namespace DraSdk.Testing.Tests.ApiServer;

/// <summary>ResourceClaim spec validation of the in-memory API server, rule by rule, as kube-apiserver v1.36 answers.</summary>
public sealed class ResourceClaimValidationTests
{
    private const string Claims = "apis/resource.k8s.io/v1/namespaces/default/resourceclaims";
    private const string Kind = "ResourceClaim.resource.k8s.io";

    /// <summary>A claim using every part of the spec, valid.</summary>
    internal static JsonObject Valid() => Json("""
        {
          'apiVersion': 'resource.k8s.io/v1', 'kind': 'ResourceClaim',
          'metadata': { 'name': 'c', 'namespace': 'default' },
          'spec': { 'devices': {
            'requests': [
              { 'name': 'gpu', 'exactly': {
                  'deviceClassName': 'gpu.example.com',
                  'selectors': [ { 'cel': { 'expression': 'device.attributes[\u0027gpu.example.com\u0027].model == \u0027A100\u0027' } } ],
                  'allocationMode': 'ExactCount', 'count': 2,
                  'tolerations': [ { 'key': 'example.com/unhealthy', 'operator': 'Exists', 'effect': 'NoSchedule' }, { 'key': 'k', 'value': 'v' } ],
                  'capacity': { 'requests': { 'gpu.example.com/memory': '10Gi' } } } },
              { 'name': 'nic', 'firstAvailable': [
                  { 'name': 'fast', 'deviceClassName': 'nic.example.com', 'allocationMode': 'All' },
                  { 'name': 'slow', 'deviceClassName': 'nic.example.com' } ] }
            ],
            'constraints': [
              { 'requests': [ 'gpu', 'nic/fast' ], 'matchAttribute': 'resource.kubernetes.io/pcieRoot' },
              { 'requests': [ 'gpu' ], 'distinctAttribute': 'gpu.example.com/uuid' } ],
            'config': [ { 'requests': [ 'gpu' ], 'opaque': { 'driver': 'gpu.example.com', 'parameters': { 'mode': 'shared' } } } ]
          } }
        }
        """);

    private static JsonObject WithRequests(string requestsJson) => Merge(Valid(), "{'spec': {'devices': {'constraints': null, 'config': null, 'requests': " + requestsJson + "}}}");

    [Fact]
    public async Task A_claim_using_every_part_of_the_spec_is_accepted()
    {
        await using var raw = await StartAsync();
        var created = await raw.CreateOkAsync(Claims, Valid());
        Assert.Equal("nic", (string?)created["spec"]?["devices"]?["requests"]?[1]?["name"]);

        // A claim with no requests at all is valid too (nothing to allocate).
        await raw.CreateOkAsync(Claims, Json("{'metadata': {'name': 'empty'}, 'spec': {'devices': {}}}"));
    }

    [Theory]
    // Request names: DNS labels, unique.
    [InlineData("[{'name': 'GPU', 'exactly': {'deviceClassName': 'c'}}]", "FieldValueInvalid", "spec.devices.requests[0].name")]
    [InlineData("[{'exactly': {'deviceClassName': 'c'}}]", "FieldValueInvalid", "spec.devices.requests[0].name")]
    [InlineData("[{'name': 'a', 'exactly': {'deviceClassName': 'c'}}, {'name': 'a', 'exactly': {'deviceClassName': 'c'}}]", "FieldValueDuplicate", "spec.devices.requests[1]")]
    // Exactly one of exactly / firstAvailable.
    [InlineData("[{'name': 'a'}]", "FieldValueRequired", "spec.devices.requests[0]")]
    [InlineData("[{'name': 'a', 'firstAvailable': []}]", "FieldValueRequired", "spec.devices.requests[0]")]
    [InlineData("[{'name': 'a', 'exactly': {'deviceClassName': 'c'}, 'firstAvailable': [{'name': 'b', 'deviceClassName': 'c'}]}]", "FieldValueInvalid", "spec.devices.requests[0]")]
    // exactly: class required and a DNS subdomain; allocation mode and count; selectors compile.
    [InlineData("[{'name': 'a', 'exactly': {}}]", "FieldValueRequired", "spec.devices.requests[0].exactly.deviceClassName")]
    [InlineData("[{'name': 'a', 'exactly': {'deviceClassName': 'Bad_Class'}}]", "FieldValueInvalid", "spec.devices.requests[0].exactly.deviceClassName")]
    [InlineData("[{'name': 'a', 'exactly': {'deviceClassName': 'c', 'allocationMode': 'Some'}}]", "FieldValueNotSupported", "spec.devices.requests[0].exactly.allocationMode")]
    [InlineData("[{'name': 'a', 'exactly': {'deviceClassName': 'c', 'count': -1}}]", "FieldValueInvalid", "spec.devices.requests[0].exactly.count")]
    [InlineData("[{'name': 'a', 'exactly': {'deviceClassName': 'c', 'allocationMode': 'All', 'count': 2}}]", "FieldValueInvalid", "spec.devices.requests[0].exactly.count")]
    [InlineData("[{'name': 'a', 'exactly': {'deviceClassName': 'c', 'selectors': [{}]}}]", "FieldValueRequired", "spec.devices.requests[0].exactly.selectors[0].cel")]
    [InlineData("[{'name': 'a', 'exactly': {'deviceClassName': 'c', 'selectors': [{'cel': {'expression': 'device.driver +'}}]}}]", "FieldValueInvalid", "spec.devices.requests[0].exactly.selectors[0].cel.expression")]
    // Tolerations: key a label name, operator Equal (the default) or Exists, Exists without a value, known effects.
    [InlineData("[{'name': 'a', 'exactly': {'deviceClassName': 'c', 'tolerations': [{'key': 'bad key'}]}}]", "FieldValueInvalid", "spec.devices.requests[0].exactly.tolerations[0].key")]
    [InlineData("[{'name': 'a', 'exactly': {'deviceClassName': 'c', 'tolerations': [{'key': 'k', 'operator': 'In'}]}}]", "FieldValueNotSupported", "spec.devices.requests[0].exactly.tolerations[0].operator")]
    [InlineData("[{'name': 'a', 'exactly': {'deviceClassName': 'c', 'tolerations': [{'key': 'k', 'operator': 'Exists', 'value': 'v'}]}}]", "FieldValueInvalid", "spec.devices.requests[0].exactly.tolerations[0].value")]
    [InlineData("[{'name': 'a', 'exactly': {'deviceClassName': 'c', 'tolerations': [{'key': 'k', 'value': 'not a label value'}]}}]", "FieldValueInvalid", "spec.devices.requests[0].exactly.tolerations[0].value")]
    [InlineData("[{'name': 'a', 'exactly': {'deviceClassName': 'c', 'tolerations': [{'key': 'k', 'effect': 'PreferNoSchedule'}]}}]", "FieldValueNotSupported", "spec.devices.requests[0].exactly.tolerations[0].effect")]
    // Subrequests: names DNS labels and unique, at most 8, each with a class, mode and tolerations like exactly.
    [InlineData("[{'name': 'a', 'firstAvailable': [{'name': 'x', 'deviceClassName': 'c'}, {'name': 'x', 'deviceClassName': 'c'}]}]", "FieldValueDuplicate", "spec.devices.requests[0].firstAvailable[1]")]
    [InlineData("[{'name': 'a', 'firstAvailable': [{'name': 'X', 'deviceClassName': 'c'}]}]", "FieldValueInvalid", "spec.devices.requests[0].firstAvailable[0].name")]
    [InlineData("[{'name': 'a', 'firstAvailable': [{'name': 'x'}]}]", "FieldValueRequired", "spec.devices.requests[0].firstAvailable[0].deviceClassName")]
    [InlineData("[{'name': 'a', 'firstAvailable': [{'name': 'x', 'deviceClassName': 'c', 'allocationMode': 'All', 'count': 1}]}]", "FieldValueInvalid", "spec.devices.requests[0].firstAvailable[0].count")]
    [InlineData("[{'name': 'a', 'firstAvailable': [{'name': 'x', 'deviceClassName': 'c', 'selectors': [{'cel': {'expression': '1 +'}}]}]}]", "FieldValueInvalid", "spec.devices.requests[0].firstAvailable[0].selectors[0].cel.expression")]
    [InlineData("[{'name': 'a', 'firstAvailable': [{'name': 'x', 'deviceClassName': 'c', 'tolerations': [{'operator': 'Exists', 'effect': 'Bad'}]}]}]", "FieldValueNotSupported", "spec.devices.requests[0].firstAvailable[0].tolerations[0].effect")]
    [InlineData("[{'name': 'a', 'firstAvailable': [{'name': 'a1', 'deviceClassName': 'c'}, {'name': 'a2', 'deviceClassName': 'c'}, {'name': 'a3', 'deviceClassName': 'c'}, {'name': 'a4', 'deviceClassName': 'c'}, {'name': 'a5', 'deviceClassName': 'c'}, {'name': 'a6', 'deviceClassName': 'c'}, {'name': 'a7', 'deviceClassName': 'c'}, {'name': 'a8', 'deviceClassName': 'c'}, {'name': 'a9', 'deviceClassName': 'c'}]}]", "FieldValueTooMany", "spec.devices.requests[0].firstAvailable")]
    public async Task An_invalid_request_is_rejected_at_the_servers_field_path(string requests, string reason, string field)
    {
        await using var raw = await StartAsync();

        await ExpectInvalidAsync(raw.CreateAsync(Claims, WithRequests(requests)), Kind, "c", (reason, field));

        Assert.Empty(raw.Api.List<k8s.Models.Resourcev1ResourceClaim>("default"));
    }

    [Theory]
    // Constraints: references to existing requests or request/subrequest, unique; a fully qualified attribute.
    [InlineData("{'constraints': [{'requests': ['nope'], 'matchAttribute': 'example.com/a'}]}", "FieldValueInvalid", "spec.devices.constraints[0].requests[0]")]
    [InlineData("{'constraints': [{'requests': ['nic/nope'], 'matchAttribute': 'example.com/a'}]}", "FieldValueInvalid", "spec.devices.constraints[0].requests[0]")]
    [InlineData("{'constraints': [{'requests': ['gpu/fast'], 'matchAttribute': 'example.com/a'}]}", "FieldValueInvalid", "spec.devices.constraints[0].requests[0]")]
    [InlineData("{'constraints': [{'requests': ['a/b/c'], 'matchAttribute': 'example.com/a'}]}", "FieldValueInvalid", "spec.devices.constraints[0].requests[0]")]
    [InlineData("{'constraints': [{'requests': ['gpu', 'gpu'], 'matchAttribute': 'example.com/a'}]}", "FieldValueDuplicate", "spec.devices.constraints[0].requests[1]")]
    [InlineData("{'constraints': [{'requests': ['gpu']}]}", "FieldValueRequired", "spec.devices.constraints[0]")]
    [InlineData("{'constraints': [{'matchAttribute': 'model'}]}", "FieldValueInvalid", "spec.devices.constraints[0].matchAttribute")]
    [InlineData("{'constraints': [{'matchAttribute': '/model'}]}", "FieldValueInvalid", "spec.devices.constraints[0].matchAttribute")]
    [InlineData("{'constraints': [{'matchAttribute': 'example.com/'}]}", "FieldValueInvalid", "spec.devices.constraints[0].matchAttribute")]
    [InlineData("{'constraints': [{'matchAttribute': 'example.com/not-c-id'}]}", "FieldValueInvalid", "spec.devices.constraints[0].matchAttribute")]
    [InlineData("{'constraints': [{'matchAttribute': 'example.com/a123456789a123456789a123456789abc'}]}", "FieldValueTooLong", "spec.devices.constraints[0].matchAttribute")]
    [InlineData("{'constraints': [{'distinctAttribute': 'ex_ample.com/a'}]}", "FieldValueInvalid", "spec.devices.constraints[0].distinctAttribute")]
    // Config: references to existing requests, and a valid opaque configuration.
    [InlineData("{'config': [{'requests': ['nope'], 'opaque': {'driver': 'gpu.example.com', 'parameters': {}}}]}", "FieldValueInvalid", "spec.devices.config[0].requests[0]")]
    [InlineData("{'config': [{'requests': ['gpu']}]}", "FieldValueRequired", "spec.devices.config[0].opaque")]
    [InlineData("{'config': [{'opaque': {'driver': 'gpu.example.com', 'parameters': 'text'}}]}", "FieldValueInvalid", "spec.devices.config[0].opaque.parameters")]
    [InlineData("{'config': [{'opaque': {'parameters': {}}}]}", "FieldValueRequired", "spec.devices.config[0].opaque.driver")]
    public async Task Invalid_constraints_and_configs_are_rejected_at_the_servers_field_path(string devicesPatch, string reason, string field)
    {
        await using var raw = await StartAsync();

        await ExpectInvalidAsync(raw.CreateAsync(Claims, Merge(Valid(), "{'spec': {'devices': " + devicesPatch + "}}")), Kind, "c", (reason, field));
    }

    [Fact]
    public async Task Requests_constraints_and_configs_are_limited_to_32_each()
    {
        await using var raw = await StartAsync();
        var claim = Valid();
        var devices = claim["spec"]!["devices"]!;
        devices["requests"] = new JsonArray([.. Enumerable.Range(0, 33).Select(i => Json($"{{'name': 'r{i}', 'exactly': {{'deviceClassName': 'c'}}}}"))]);
        devices["constraints"] = new JsonArray([.. Enumerable.Range(0, 33).Select(_ => Json("{'matchAttribute': 'example.com/a'}"))]);
        devices["config"] = new JsonArray([.. Enumerable.Range(0, 33).Select(_ => Json("{'opaque': {'driver': 'gpu.example.com', 'parameters': {}}}"))]);

        var causes = await ExpectInvalidAsync(raw.CreateAsync(Claims, claim), Kind, "c",
            ("FieldValueTooMany", "spec.devices.requests"), ("FieldValueTooMany", "spec.devices.constraints"), ("FieldValueTooMany", "spec.devices.config"));
        Assert.Equal(3, causes.Count); // a list over its limit is not checked item by item

        foreach (var list in (string[])["requests", "constraints", "config"])
        {
            devices[list]!.AsArray().RemoveAt(32);
        }

        await raw.CreateOkAsync(Claims, claim);
    }

    [Fact]
    public async Task The_spec_is_immutable_and_an_update_checks_only_that()
    {
        await using var raw = await StartAsync();
        var created = await raw.CreateOkAsync(Claims, Valid());

        // Labels may change; the spec may not.
        created["metadata"]!["labels"] = new JsonObject { ["team"] = "ml" };
        var updated = await raw.ReplaceOkAsync(Claims + "/c", created);
        updated["spec"]!["devices"]!["requests"]![0]!["exactly"]!["count"] = 3;
        var causes = await ExpectInvalidAsync(raw.ReplaceAsync(Claims + "/c", updated), Kind, "c", ("FieldValueInvalid", "spec"));
        Assert.Equal("Invalid value: \"object\": field is immutable", Assert.Single(causes).Message);
    }

    [Fact]
    public async Task Admin_access_needs_the_namespace_label()
    {
        await using var raw = await StartAsync();
        var admin = Merge(Valid(), "{'metadata': {'namespace': null}, 'spec': {'devices': {'constraints': null, 'config': null, 'requests': [{'name': 'a', 'exactly': {'deviceClassName': 'c'}}, {'name': 'b', 'exactly': {'deviceClassName': 'c', 'adminAccess': true}}]}}}");

        // Without the namespace, and in a namespace without the label: Forbidden at the first admin request.
        var causes = await ExpectInvalidAsync(raw.CreateAsync(Claims, admin), Kind, "c", ("FieldValueForbidden", "spec.devices.requests[1].adminAccess"));
        Assert.Equal("Forbidden: admin access to devices requires the `resource.kubernetes.io/admin-access: true` label on the containing namespace", Assert.Single(causes).Message);
        await raw.CreateOkAsync("api/v1/namespaces", Json("{'metadata': {'name': 'default', 'labels': {'resource.kubernetes.io/admin-access': 'yes'}}}"));
        await ExpectInvalidAsync(raw.CreateAsync(Claims, admin), Kind, "c", ("FieldValueForbidden", "spec.devices.requests[1].adminAccess"));

        // adminAccess: false needs no label.
        var notAdmin = Merge(admin, "{'metadata': {'name': 'not-admin'}}");
        notAdmin["spec"]!["devices"]!["requests"]![1]!["exactly"]!["adminAccess"] = false;
        await raw.CreateOkAsync(Claims, notAdmin);

        // With the label "true", the claim is accepted.
        await raw.CreateOkAsync("api/v1/namespaces", Json("{'metadata': {'name': 'monitoring', 'labels': {'resource.kubernetes.io/admin-access': 'true'}}}"));
        await raw.CreateOkAsync("apis/resource.k8s.io/v1/namespaces/monitoring/resourceclaims", admin);
    }

    [Fact]
    public async Task Claim_metadata_labels_and_annotations_are_validated()
    {
        await using var raw = await StartAsync();
        await ExpectInvalidAsync(
            raw.CreateAsync(Claims, Merge(Valid(), "{'metadata': {'labels': {'-bad': 'x'}, 'annotations': {'Example.com/ok': 'upper case prefix is fine', '/empty': ''}}}")),
            Kind, "c", ("FieldValueInvalid", "metadata.labels"), ("FieldValueInvalid", "metadata.annotations"));
    }

    [Fact]
    public async Task Without_DRAConsumableCapacity_a_constraint_needs_matchAttribute()
    {
        var options = new InMemoryApiServerOptions();
        options.DisabledFeatureGates.Add("DRAConsumableCapacity");
        await using var raw = await StartAsync(options);

        var causes = await ExpectInvalidAsync(raw.CreateAsync(Claims, Merge(Valid(), "{'spec': {'devices': {'constraints': [{'requests': ['gpu']}]}}}")), Kind, "c", ("FieldValueRequired", "spec.devices.constraints[0].matchAttribute"));
        Assert.DoesNotContain(causes, c => c.Field == "spec.devices.constraints[0]");
    }
}
