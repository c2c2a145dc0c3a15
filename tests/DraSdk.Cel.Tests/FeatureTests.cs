using static DraSdk.Cel.Tests.Devices;

namespace DraSdk.Cel.Tests;

/// <summary>ListTypeAttributes, includes() and allowMultipleAllocations, per feature gate.</summary>
public sealed class FeatureTests
{
    private const string Dom = "device.attributes[\"dra.example.com\"]";

    [Fact]
    public void List_attributes_are_an_error_when_the_feature_is_off()
    {
        var d = Device(new() { ["names"] = Strs("fish", "bird") });
        AssertError($"{Dom}.names.size() == 2", "attribute names: unsupported attribute value", d, CelFeatures.None);
        AssertMatch(true, $"{Dom}.names.size() == 2", d, CelFeatures.ListTypeAttributes);
    }

    [Theory]
    [InlineData("bools")]
    [InlineData("ints")]
    [InlineData("strings")]
    [InlineData("versions")]
    public void List_of_each_type(string kind)
    {
        var attr = kind switch
        {
            "bools" => Bools(true, false),
            "ints" => Ints(1, 2),
            "strings" => Strs("fish", "bird"),
            _ => Versions("1.0.0", "2.0.0"),
        };
        var d = Device(new() { ["names"] = attr });
        AssertMatch(true, $"{Dom}.names.size() == 2", d);
    }

    [Fact]
    public void Macros_over_list_attributes()
    {
        var d = Device(new()
        {
            ["ints"] = Ints(1, 2),
            ["strings"] = Strs("fish", "bird"),
            ["versions"] = Versions("1.0.0", "2.0.0"),
        });
        AssertMatch(true, $"{Dom}.ints.exists(x, x > 0)", d);
        AssertMatch(true, $"{Dom}.strings.all(x, x != \"\")", d);
        AssertMatch(true, $"{Dom}.versions.all(x, x.isGreaterThan(semver(\"0.0.1\")))", d);
        AssertMatch(true, $"{Dom}.ints.map(x, x * 2) == [2, 4]", d);
        AssertMatch(true, $"{Dom}.strings.filter(x, x.startsWith(\"f\")) == [\"fish\"]", d);
        AssertMatch(true, $"{Dom}.ints.exists_one(x, x == 2)", d);
        AssertMatch(true, $"2 in {Dom}.ints && \"bird\" in {Dom}.strings", d);
    }

    [Fact]
    public void Includes_is_declared_only_with_list_attributes()
    {
        AssertCompileError($"{Dom}.name.includes(\"fish\")", "undeclared reference to 'includes'", CelFeatures.None);
        AssertCompileError($"{Dom}.name.includes(\"fish\")", "undeclared reference to 'includes'", CelFeatures.ConsumableCapacity);
    }

    [Theory]
    [InlineData("bool", "true", true)]
    [InlineData("bool", "false", false)]
    [InlineData("int", "1", true)]
    [InlineData("int", "3", false)]
    [InlineData("string", "\"fish\"", true)]
    [InlineData("string", "\"cat\"", false)]
    [InlineData("version", "semver(\"1.0.0\")", true)]
    [InlineData("version", "semver(\"3.0.0\")", false)]
    public void Includes_on_scalars_and_lists(string kind, string arg, bool expected)
    {
        var scalar = kind switch
        {
            "bool" => Bool(true),
            "int" => Int(1),
            "string" => Str("fish"),
            _ => Version("1.0.0"),
        };
        var list = kind switch
        {
            "bool" => Bools(true, true),
            "int" => Ints(1, 2),
            "string" => Strs("fish", "bird"),
            _ => Versions("1.0.0", "2.0.0"),
        };
        AssertMatch(expected, $"{Dom}.name.includes({arg})", Device(new() { ["name"] = scalar }));
        AssertMatch(expected, $"{Dom}.name.includes({arg})", Device(new() { ["name"] = list }));
    }

    [Fact]
    public void Includes_with_different_types_is_false()
    {
        AssertMatch(false, $"{Dom}.name.includes(\"1\")", Device(new() { ["name"] = Ints(1) }));
        AssertMatch(true, $"{Dom}.name.includes(1.0)", Device(new() { ["name"] = Ints(1) }));
    }

    [Fact]
    public void Includes_rejects_more_than_48_values()
    {
        var ok = Device(new() { ["n"] = Ints([.. Enumerable.Range(0, 48).Select(i => (long)i)]) });
        var tooMany = Device(new() { ["n"] = Ints([.. Enumerable.Range(0, 49).Select(i => (long)i)]) });
        AssertMatch(true, $"{Dom}.n.includes(47)", ok);
        AssertError($"{Dom}.n.includes(47)", "at most 48 values", tooMany);
        AssertMatch(true, $"[1, 2].includes(2)");
    }

    [Theory]
    [InlineData(true, "device.allowMultipleAllocations == true", true)]
    [InlineData(null, "device.allowMultipleAllocations == false", true)]
    [InlineData(false, "device.allowMultipleAllocations == false", true)]
    [InlineData(true, "device.allowMultipleAllocations", true)]
    [InlineData(false, "has(device.allowMultipleAllocations)", true)]
    public void Allow_multiple_allocations(bool? value, string expression, bool expected) =>
        AssertMatch(expected, expression, Device(allowMultipleAllocations: value), CelFeatures.ConsumableCapacity);

    [Fact]
    public void Allow_multiple_allocations_is_undefined_without_consumable_capacity()
    {
        var e = AssertCompileError("device.allowMultipleAllocations == false", "undefined field 'allowMultipleAllocations'", CelFeatures.None);
        Assert.Equal(7, e.Position);
        AssertCompileError("device.allowMultipleAllocations", "undefined field", CelFeatures.ListTypeAttributes);
        AssertCompileError("device.name == \"x\"", "undefined field 'name'");
    }

    [Fact]
    public void Features_combinations_share_environments()
    {
        Assert.Same(CelEnvironment.Create(), CelEnvironment.Create(CelFeatures.All));
        Assert.NotSame(CelEnvironment.Create(CelFeatures.None), CelEnvironment.Create(CelFeatures.All));
        Assert.NotSame(CelEnvironment.Create(costLimit: 10), CelEnvironment.Create());
        Assert.Equal(CelFeatures.ListTypeAttributes, CelEnvironment.Create(CelFeatures.ListTypeAttributes).Features);
        foreach (CelFeatures f in new[] { CelFeatures.None, CelFeatures.ListTypeAttributes, CelFeatures.ConsumableCapacity, CelFeatures.All })
        {
            AssertMatch(true, "device.driver == \"dra.example.com\" && device.attributes[\"dra.example.com\"].size() == 0", features: f);
        }
    }
}
