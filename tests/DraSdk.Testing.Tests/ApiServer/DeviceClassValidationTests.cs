using System.Text.Json.Nodes;
using static DraSdk.Testing.Tests.ApiServer.RawValidation;

namespace DraSdk.Testing.Tests.ApiServer;

/// <summary>DeviceClass validation of the in-memory API server, rule by rule, as kube-apiserver v1.36 answers.</summary>
public sealed class DeviceClassValidationTests
{
    private const string Classes = "apis/resource.k8s.io/v1/deviceclasses";
    private const string Kind = "DeviceClass.resource.k8s.io";

    private static JsonObject Valid() => Json("""
        {
          'apiVersion': 'resource.k8s.io/v1', 'kind': 'DeviceClass',
          'metadata': { 'name': 'gpu.example.com', 'labels': { 'example.com/tier': 'gold' } },
          'spec': {
            'selectors': [ { 'cel': { 'expression': 'device.driver == \u0027gpu.example.com\u0027' } } ],
            'config': [ { 'opaque': { 'driver': 'gpu.example.com', 'parameters': { 'sharing': 'timeSlicing' } } } ],
            'extendedResourceName': 'example.com/gpu'
          }
        }
        """);

    [Fact]
    public async Task A_valid_class_with_selectors_config_and_an_extended_resource_name_is_accepted()
    {
        await using var raw = await StartAsync();
        var created = await raw.CreateOkAsync(Classes, Valid());
        Assert.Equal("example.com/gpu", (string?)created["spec"]?["extendedResourceName"]);

        // An update that keeps everything valid is accepted too; an upper-case driver name is a valid driver name.
        created["spec"]!["config"]![0]!["opaque"]!["driver"] = "GPU.example.com";
        await raw.ReplaceOkAsync(Classes + "/gpu.example.com", created);
    }

    [Theory]
    // Selectors: a CEL expression is required and must compile; at most 32.
    [InlineData("{'spec': {'selectors': [ {} ]}}", "FieldValueRequired", "spec.selectors[0].cel")]
    [InlineData("{'spec': {'selectors': [ {'cel': {'expression': ''}} ]}}", "FieldValueInvalid", "spec.selectors[0].cel.expression")]
    [InlineData("{'spec': {'selectors': [ {'cel': {'expression': 'true'}}, {'cel': {'expression': 'device.driver =='}} ]}}", "FieldValueInvalid", "spec.selectors[1].cel.expression")]
    [InlineData("{'spec': {'selectors': [ {'cel': {'expression': 'device.nosuchfield'}} ]}}", "FieldValueInvalid", "spec.selectors[0].cel.expression")]
    // Config: opaque required, a driver name (required, at most 63 bytes, a DNS subdomain), parameters a JSON object.
    [InlineData("{'spec': {'config': [ {} ]}}", "FieldValueRequired", "spec.config[0].opaque")]
    [InlineData("{'spec': {'config': [ {'opaque': {'parameters': {}}} ]}}", "FieldValueRequired", "spec.config[0].opaque.driver")]
    [InlineData("{'spec': {'config': [ {'opaque': {'driver': 'gpu_example', 'parameters': {}}} ]}}", "FieldValueInvalid", "spec.config[0].opaque.driver")]
    [InlineData("{'spec': {'config': [ {'opaque': {'driver': 'a123456789a123456789a123456789a123456789a123456789a123456789.com', 'parameters': {}}} ]}}", "FieldValueTooLong", "spec.config[0].opaque.driver")]
    [InlineData("{'spec': {'config': [ {'opaque': {'driver': 'gpu.example.com'}} ]}}", "FieldValueRequired", "spec.config[0].opaque.parameters")]
    [InlineData("{'spec': {'config': [ {'opaque': {'driver': 'gpu.example.com', 'parameters': null}} ]}}", "FieldValueRequired", "spec.config[0].opaque.parameters")]
    [InlineData("{'spec': {'config': [ {'opaque': {'driver': 'gpu.example.com', 'parameters': [1, 2]}} ]}}", "FieldValueInvalid", "spec.config[0].opaque.parameters")]
    // extendedResourceName: the form of a pod's extended resource.
    [InlineData("{'spec': {'extendedResourceName': 'gpu'}}", "FieldValueInvalid", "spec.extendedResourceName")]
    [InlineData("{'spec': {'extendedResourceName': 'kubernetes.io/gpu'}}", "FieldValueInvalid", "spec.extendedResourceName")]
    [InlineData("{'spec': {'extendedResourceName': 'requests.example.com/gpu'}}", "FieldValueInvalid", "spec.extendedResourceName")]
    [InlineData("{'spec': {'extendedResourceName': 'example.com/-gpu'}}", "FieldValueInvalid", "spec.extendedResourceName")]
    // Metadata: label names and values, annotation names.
    [InlineData("{'metadata': {'labels': {'bad key': 'x'}}}", "FieldValueInvalid", "metadata.labels")]
    [InlineData("{'metadata': {'labels': {'ok': 'bad value!'}}}", "FieldValueInvalid", "metadata.labels")]
    [InlineData("{'metadata': {'annotations': {'a/b/c': 'x'}}}", "FieldValueInvalid", "metadata.annotations")]
    public async Task An_invalid_class_is_rejected_at_the_servers_field_path(string patch, string reason, string field)
    {
        await using var raw = await StartAsync();

        await ExpectInvalidAsync(raw.CreateAsync(Classes, Merge(Valid(), patch)), Kind, "gpu.example.com", (reason, field));

        Assert.Empty(raw.Api.List<k8s.Models.V1DeviceClass>());
    }

    [Fact]
    public async Task A_compile_error_names_the_position_like_the_server()
    {
        await using var raw = await StartAsync();
        var causes = await ExpectInvalidAsync(
            raw.CreateAsync(Classes, Merge(Valid(), "{'spec': {'selectors': [ {'cel': {'expression': 'device.driver == 1 +'}} ]}}")),
            Kind, "gpu.example.com", ("FieldValueInvalid", "spec.selectors[0].cel.expression"));

        Assert.StartsWith("Invalid value: \"device.driver == 1 +\": compilation failed: ERROR: <input>:1:", causes.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Limits_on_selectors_configs_expression_length_and_parameter_size()
    {
        await using var raw = await StartAsync();
        var selector = Json("{'cel': {'expression': 'true'}}");
        var config = Json("{'opaque': {'driver': 'gpu.example.com', 'parameters': {}}}");

        var tooMany = Valid();
        tooMany["spec"]!["selectors"] = new JsonArray([.. Enumerable.Range(0, 33).Select(_ => selector.DeepClone())]);
        tooMany["spec"]!["config"] = new JsonArray([.. Enumerable.Range(0, 33).Select(_ => config.DeepClone())]);
        var causes = await ExpectInvalidAsync(raw.CreateAsync(Classes, tooMany), Kind, "gpu.example.com", ("FieldValueTooMany", "spec.selectors"), ("FieldValueTooMany", "spec.config"));
        Assert.Contains(causes, c => c.Message == "Too many: 33: must have at most 32 items");

        // 32 of each is the limit, not over it.
        tooMany["spec"]!["selectors"]!.AsArray().RemoveAt(0);
        tooMany["spec"]!["config"]!.AsArray().RemoveAt(0);
        await raw.CreateOkAsync(Classes, tooMany);

        // An expression over 10 KiB (in bytes: 'é' is two) is too long and not compiled.
        var longExpression = Merge(Valid(), "{'metadata': {'name': 'long'}}");
        longExpression["spec"]!["selectors"]![0]!["cel"]!["expression"] = "'" + new string('é', 5119) + "' == ''";
        var tooLong = await ExpectInvalidAsync(raw.CreateAsync(Classes, longExpression), Kind, "long", ("FieldValueTooLong", "spec.selectors[0].cel.expression"));
        Assert.Equal("Too long: may not be more than 10240 bytes", tooLong.Single().Message);

        // Parameters over 10 KiB of JSON.
        var big = Merge(Valid(), "{'metadata': {'name': 'big'}}");
        big["spec"]!["config"]![0]!["opaque"]!["parameters"] = new JsonObject { ["blob"] = new string('x', 10 * 1024) };
        await ExpectInvalidAsync(raw.CreateAsync(Classes, big), Kind, "big", ("FieldValueTooLong", "spec.config[0].opaque.parameters"));
    }

    [Fact]
    public async Task Selectors_compile_in_the_environment_of_the_servers_feature_gates()
    {
        var withMultiAllocation = Merge(Valid(), "{'spec': {'selectors': [ {'cel': {'expression': 'device.allowMultipleAllocations'}} ]}}");

        // DRAConsumableCapacity is on by default: the field is declared.
        await using (var raw = await StartAsync())
        {
            await raw.CreateOkAsync(Classes, withMultiAllocation);
        }

        // With the gate off, the server's CEL environment does not declare it.
        var options = new InMemoryApiServerOptions();
        options.DisabledFeatureGates.Add("DRAConsumableCapacity");
        await using (var raw = await StartAsync(options))
        {
            await ExpectInvalidAsync(raw.CreateAsync(Classes, withMultiAllocation), Kind, "gpu.example.com", ("FieldValueInvalid", "spec.selectors[0].cel.expression"));
        }
    }
}
