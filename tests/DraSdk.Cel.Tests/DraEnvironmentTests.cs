using k8s.Models;
using static DraSdk.Cel.Tests.Devices;

namespace DraSdk.Cel.Tests;

/// <summary>The DRA selector environment: the ground of Kubernetes' own CEL test table, written for this SDK.</summary>
public sealed class DraEnvironmentTests
{
    public static TheoryData<CelFeatures> ListFeatureOnOff => new() { CelFeatures.All, CelFeatures.ConsumableCapacity };

    [Theory]
    [MemberData(nameof(ListFeatureOnOff))]
    public void Literals_true_and_false(CelFeatures f)
    {
        AssertMatch(true, "true", features: f);
        AssertMatch(false, "false", features: f);
    }

    [Fact]
    public void Syntax_error_names_the_position()
    {
        var e = AssertCompileError("?!", "Syntax error");
        Assert.Equal(0, e.Position);
        Assert.Equal(1, e.Line);
        Assert.Equal(1, e.Column);

        e = AssertCompileError("device.driver ==\n  \"a\" &&& true", "Syntax error");
        Assert.Equal(2, e.Line);
        Assert.Equal(9, e.Column);
        Assert.Equal(25, e.Position);
    }

    [Fact]
    public void Non_bool_result_is_rejected()
    {
        AssertCompileError("1", "must evaluate to bool or the unknown type, not int");
        AssertCompileError("device.driver", "not string");
        AssertCompileError("[true]", "not list(bool)");
    }

    [Theory]
    [MemberData(nameof(ListFeatureOnOff))]
    public void Dyn_result_compiles_and_a_non_bool_value_is_a_runtime_error(CelFeatures f)
    {
        var d = Device(new() { ["name"] = Str("fish") });
        AssertError("device.attributes[\"dra.example.com\"].name", "could not be converted to bool", d, f);
    }

    [Theory]
    [MemberData(nameof(ListFeatureOnOff))]
    public void Unknown_id_is_no_such_key_with_a_hint(CelFeatures f)
    {
        string e = AssertError("device.attributes[\"no-such-domain\"].noSuchAttr.isGreaterThan(quantity(\"0\"))", "no such key: noSuchAttr", features: f);
        Assert.Contains("has()", e, StringComparison.Ordinal);
        Assert.Contains(".?", e, StringComparison.Ordinal);
        AssertError("device.attributes[\"no-such-domain\"][\"noSuchAttr\"].isGreaterThan(quantity(\"0\"))", "no such key: noSuchAttr", features: f);
        AssertError("device.capacity[\"dra.example.com\"].memory.isGreaterThan(quantity(\"0\"))", "no such key: memory", features: f);
    }

    [Fact]
    public void Unknown_domain_is_an_empty_map()
    {
        AssertMatch(false, "\"no-such-domain\" in device.attributes");
        AssertMatch(true, "device.attributes[\"no-such-domain\"].size() == 0");
        AssertMatch(true, "device.capacity[\"no-such-domain\"].size() == 0");
        AssertMatch(true, "cel.bind(dom, \"no-such-domain\", device.attributes[dom].size() == 0)");
    }

    [Fact]
    public void Domain_check_positive()
    {
        var d = Device(new() { ["dra.example.com/something"] = Bool(true) });
        AssertMatch(true, "\"dra.example.com\" in device.attributes", d);
        AssertMatch(true, "has(device.attributes.something) || \"dra.example.com\" in device.attributes", d);
    }

    [Fact]
    public void Driver_name()
    {
        AssertMatch(true, "device.driver == \"\"", Device(driver: ""));
        AssertMatch(true, "device.driver == \"dra.example.com\"");
        AssertMatch(false, "device.driver != \"dra.example.com\"");
        AssertMatch(true, "\"dra.example.com\" == device.driver");
        AssertMatch(true, "device.driver.startsWith(\"dra.\")");
    }

    [Fact]
    public void Unqualified_names_belong_to_the_drivers_domain()
    {
        var d = Device(new() { ["name"] = Bool(true) });
        AssertMatch(true, "device.attributes[\"dra.example.com\"].name", d);
        AssertMatch(true, "device.attributes[\"dra.example.com\"][\"name\"]", d);
        AssertMatch(true, "\"name\" in device.attributes[\"dra.example.com\"]", d);
    }

    [Fact]
    public void Qualified_names_keep_their_domain()
    {
        var d = Device(new() { ["other.example.com/name"] = Bool(true) });
        AssertMatch(true, "device.attributes[\"other.example.com\"].name", d);
        AssertMatch(false, "\"name\" in device.attributes[\"dra.example.com\"]", d);
    }

    [Theory]
    [MemberData(nameof(ListFeatureOnOff))]
    public void Typed_values(CelFeatures f)
    {
        var d = Device(new()
        {
            ["bool"] = Bool(true),
            ["int"] = Int(1),
            ["string"] = Str("fish"),
            ["version"] = Version("1.0.0"),
        });
        AssertMatch(true, "device.attributes[\"dra.example.com\"].bool", d, f);
        AssertMatch(true, "device.attributes[\"dra.example.com\"].int > 0", d, f);
        AssertMatch(true, "device.attributes[\"dra.example.com\"].string == \"fish\"", d, f);
        AssertMatch(true, "device.attributes[\"dra.example.com\"].version.isGreaterThan(semver(\"0.0.1\"))", d, f);
        AssertMatch(true, "type(device.attributes[\"dra.example.com\"].int) == int", d, f);
        AssertMatch(true, "type(device.attributes[\"dra.example.com\"].string) == string", d, f);
    }

    [Theory]
    [MemberData(nameof(ListFeatureOnOff))]
    public void All_kinds_together(CelFeatures f)
    {
        var d = Device(
            new() { ["bool"] = Bool(true), ["int"] = Int(1), ["string"] = Str("fish"), ["version"] = Version("1.0.0") },
            new() { ["quantity"] = Qty("1Mi") });
        const string expr = """
            device.capacity["dra.example.com"].quantity.isGreaterThan(quantity("1Ki")) &&
            device.attributes["dra.example.com"].bool &&
            device.attributes["dra.example.com"].int > 0 &&
            device.attributes["dra.example.com"].string == "fish" &&
            device.attributes["dra.example.com"].version.isGreaterThan(semver("0.0.1")) &&
            device.capacity["dra.example.com"]["quantity"].isGreaterThan(quantity("1Ki")) &&
            device.attributes["dra.example.com"]["bool"] &&
            device.attributes["dra.example.com"]["int"] > 0 &&
            device.attributes["dra.example.com"]["string"] == "fish" &&
            device.attributes["dra.example.com"]["version"].isGreaterThan(semver("0.0.1"))
            """;
        AssertMatch(true, expr, d, f);
        Assert.True(Eval(expr, d, f).Cost > 10);
    }

    [Fact]
    public void Many_attributes()
    {
        var d = Device(new() { ["a"] = Bool(true), ["b"] = Bool(true), ["c"] = Bool(true) });
        AssertMatch(true, "device.attributes[\"dra.example.com\"].a && device.attributes[\"dra.example.com\"].b && device.attributes[\"dra.example.com\"].c", d);
    }

    [Fact]
    public void Bind()
    {
        var d = Device(new() { ["name"] = Bool(true), ["n"] = Int(3) });
        AssertMatch(true, "cel.bind(dra, device.attributes[\"dra.example.com\"], dra.name)", d);
        AssertMatch(true, "cel.bind(dra, device.attributes[\"dra.example.com\"], dra.name && dra.n == 3)", d);
        AssertMatch(true, "cel.bind(x, 2, cel.bind(y, x * 3, y == 6))", d);
        AssertMatch(true, "cel.bind(d, device, d.driver == \"dra.example.com\" && d.attributes[\"dra.example.com\"].n == 3)", d);
    }

    [Fact]
    public void Exists_one_over_domains_and_ids()
    {
        var d = Device(new() { ["services"] = Str("some_example_value") }, new() { ["memory"] = Qty("1Mi") });
        AssertMatch(true, "device.attributes.exists_one(x, x == \"dra.example.com\")", d);
        AssertMatch(true, "device.attributes[\"dra.example.com\"].exists_one(x, x == \"services\")", d);
        AssertMatch(true, "device.capacity.exists_one(x, x == \"dra.example.com\")", d);
        AssertMatch(true, "device.capacity[\"dra.example.com\"].exists_one(x, x == \"memory\")", d);
    }

    [Fact]
    public void Split_and_regex()
    {
        var d = Device(new() { ["services"] = Str("some_example_value"), ["sym"] = Str("asymetric") });
        AssertMatch(true, "device.attributes[\"dra.example.com\"].services.split(\"example\").size() >= 2", d);
        AssertMatch(true, "device.attributes[\"dra.example.com\"].sym.matches(\"[^a]?sym\")", d);
        AssertMatch(false, "device.attributes[\"dra.example.com\"].sym.matches(\"^sym\")", d);
    }

    [Fact]
    public void Capacity_presence_checks()
    {
        var d = Device(capacity: new() { ["name"] = Qty("1Mi") });
        AssertMatch(true, "\"name\" in device.capacity[\"dra.example.com\"] && device.capacity[\"dra.example.com\"].name.isGreaterThan(quantity(\"1Ki\"))", d);
        AssertMatch(true, "!(\"name\" in device.capacity[\"dra.example.com\"]) || device.capacity[\"dra.example.com\"].name.isGreaterThan(quantity(\"1Ki\"))");
        AssertMatch(true, "has(device.capacity[\"dra.example.com\"].name)", d);
        AssertMatch(false, "has(device.capacity[\"dra.example.com\"].other)", d);
    }

    [Fact]
    public void Optional_access_with_orValue()
    {
        var d = Device(new() { ["n"] = Int(3) });
        AssertMatch(true, "device.attributes[\"dra.example.com\"].?n.orValue(0) == 3", d);
        AssertMatch(true, "device.attributes[\"dra.example.com\"].?missing.orValue(0) == 0", d);
        AssertMatch(true, "device.attributes[\"dra.example.com\"][?\"missing\"].orValue(7) == 7", d);
        AssertMatch(false, "device.attributes[\"dra.example.com\"].?missing.hasValue()", d);
        AssertMatch(true, "device.attributes[?\"other.example.com\"].?x.orValue(1) == 1", d);
        AssertMatch(true, "cel.bind(a, device.attributes[\"dra.example.com\"], a.?n.orValue(0) == 3)", d);
        AssertMatch(true, "device.capacity[\"dra.example.com\"].?memory.orValue(quantity(\"0\")).compareTo(quantity(\"0\")) == 0", d);
        AssertError("device.attributes[\"dra.example.com\"].?missing.value() == 1", "optional.none() dereference", d);
    }

    [Fact]
    public void Invalid_attribute_versions_fail_evaluation()
    {
        var d = Device(new() { ["v"] = Version("1.0") });
        AssertError("true", "attribute v: parse semantic version", d);
    }

    [Fact]
    public void Device_from_a_resource_slice_device()
    {
        var v1 = new V1Device
        {
            Name = "gpu-0",
            Attributes = new Dictionary<string, V1DeviceAttribute> { ["model"] = Str("A100"), ["example.com/x"] = Int(1) },
            Capacity = new Dictionary<string, V1DeviceCapacity> { ["memory"] = Qty("40Gi") },
            AllowMultipleAllocations = true,
        };
        var d = CelDevice.From("gpu.example.com", v1);
        AssertMatch(true, "device.attributes[\"gpu.example.com\"].model == \"A100\" && device.attributes[\"example.com\"].x == 1", d);
        AssertMatch(true, "device.capacity[\"gpu.example.com\"].memory.compareTo(quantity(\"40Gi\")) == 0", d);
        AssertMatch(true, "device.allowMultipleAllocations", d);
    }
}
