using System.Text.Json.Nodes;
using static DraSdk.Testing.Tests.ApiServer.RawValidation;

namespace DraSdk.Testing.Tests.ApiServer;

/// <summary>ResourceClaimTemplate validation of the in-memory API server, as kube-apiserver v1.36 answers.</summary>
public sealed class ResourceClaimTemplateValidationTests
{
    private const string Templates = "apis/resource.k8s.io/v1/namespaces/default/resourceclaimtemplates";
    private const string Kind = "ResourceClaimTemplate.resource.k8s.io";

    private static JsonObject Valid()
    {
        var claim = ResourceClaimValidationTests.Valid();
        return new JsonObject
        {
            ["apiVersion"] = "resource.k8s.io/v1",
            ["kind"] = "ResourceClaimTemplate",
            ["metadata"] = new JsonObject { ["name"] = "t" },
            ["spec"] = new JsonObject
            {
                ["metadata"] = Json("{'labels': {'app': 'trainer'}, 'annotations': {'example.com/note': 'copied into each claim'}}"),
                ["spec"] = claim["spec"]!.DeepClone(),
            },
        };
    }

    [Fact]
    public async Task A_template_with_labels_annotations_and_a_full_claim_spec_is_accepted()
    {
        await using var raw = await StartAsync();
        var created = await raw.CreateOkAsync(Templates, Valid());
        Assert.Equal("trainer", (string?)created["spec"]?["metadata"]?["labels"]?["app"]);
    }

    [Theory]
    // spec.spec is validated like a claim's spec, at spec.spec paths.
    [InlineData("{'spec': {'spec': {'devices': {'requests': [{'name': 'a'}], 'constraints': null, 'config': null}}}}", "FieldValueRequired", "spec.spec.devices.requests[0]")]
    [InlineData("{'spec': {'spec': {'devices': {'requests': [{'name': 'a', 'exactly': {'deviceClassName': 'c', 'selectors': [{'cel': {'expression': '1 +'}}]}}], 'constraints': null, 'config': null}}}}", "FieldValueInvalid", "spec.spec.devices.requests[0].exactly.selectors[0].cel.expression")]
    [InlineData("{'spec': {'spec': {'devices': {'constraints': [{'requests': ['nope'], 'matchAttribute': 'example.com/a'}]}}}}", "FieldValueInvalid", "spec.spec.devices.constraints[0].requests[0]")]
    [InlineData("{'spec': {'spec': {'devices': {'config': [{}]}}}}", "FieldValueRequired", "spec.spec.devices.config[0].opaque")]
    // spec.metadata: labels and annotations are validated; every other field of ObjectMeta is forbidden.
    [InlineData("{'spec': {'metadata': {'labels': {'app': 'not valid!'}}}}", "FieldValueInvalid", "spec.metadata.labels")]
    [InlineData("{'spec': {'metadata': {'annotations': {'-bad': 'x'}}}}", "FieldValueInvalid", "spec.metadata.annotations")]
    [InlineData("{'spec': {'metadata': {'name': 'claim'}}}", "FieldValueForbidden", "spec.metadata.name")]
    [InlineData("{'spec': {'metadata': {'namespace': 'other'}}}", "FieldValueForbidden", "spec.metadata.namespace")]
    [InlineData("{'spec': {'metadata': {'finalizers': ['example.com/keep']}}}", "FieldValueForbidden", "spec.metadata.finalizers")]
    [InlineData("{'spec': {'metadata': {'generateName': 'claim-'}}}", "FieldValueForbidden", "spec.metadata.generateName")]
    [InlineData("{'spec': {'metadata': {'uid': 'a9e2c6d4-0000-4000-8000-000000000001'}}}", "FieldValueForbidden", "spec.metadata.uID")]
    [InlineData("{'spec': {'metadata': {'ownerReferences': []}}}", "FieldValueForbidden", "spec.metadata.ownerReferences")]
    // The template's own metadata.
    [InlineData("{'metadata': {'labels': {'bad key': 'x'}}}", "FieldValueInvalid", "metadata.labels")]
    public async Task An_invalid_template_is_rejected_at_the_servers_field_path(string patch, string reason, string field)
    {
        await using var raw = await StartAsync();

        var causes = await ExpectInvalidAsync(raw.CreateAsync(Templates, Merge(Valid(), patch)), Kind, "t", (reason, field));

        if (reason == "FieldValueForbidden")
        {
            Assert.Equal("Forbidden: cannot be set", causes.Single().Message);
        }
    }

    [Fact]
    public async Task The_template_spec_is_immutable()
    {
        await using var raw = await StartAsync();
        var created = await raw.CreateOkAsync(Templates, Valid());
        created["metadata"]!["labels"] = new JsonObject { ["kept"] = "yes" };
        var updated = await raw.ReplaceOkAsync(Templates + "/t", created);

        updated["spec"]!["metadata"]!["labels"]!["app"] = "other";
        var causes = await ExpectInvalidAsync(raw.ReplaceAsync(Templates + "/t", updated), Kind, "t", ("FieldValueInvalid", "spec"));
        Assert.Equal("Invalid value: \"object\": field is immutable", Assert.Single(causes).Message);
    }

    [Fact]
    public async Task Admin_access_in_a_template_needs_the_namespace_label()
    {
        await using var raw = await StartAsync();
        var admin = Merge(Valid(), "{'spec': {'spec': {'devices': {'constraints': null, 'config': null, 'requests': [{'name': 'a', 'exactly': {'deviceClassName': 'c', 'adminAccess': true}}]}}}}");

        // The server reports the request at the claim's path, spec.devices..., for templates too.
        await ExpectInvalidAsync(raw.CreateAsync(Templates, admin), Kind, "t", ("FieldValueForbidden", "spec.devices.requests[0].adminAccess"));

        await raw.CreateOkAsync("api/v1/namespaces", Json("{'metadata': {'name': 'default', 'labels': {'resource.kubernetes.io/admin-access': 'true'}}}"));
        await raw.CreateOkAsync(Templates, admin);
    }
}
