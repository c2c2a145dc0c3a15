namespace DraSdk.Cdi.Tests;

public class NameTests
{
    [Theory]
    [InlineData("nvidia.com/gpu=0", "nvidia.com", "gpu", "0")]
    [InlineData("vendor.com/class=dev:1.a_b-c", "vendor.com", "class", "dev:1.a_b-c")]
    [InlineData("k8s.gpu.example.com/claim=4f6c1b1e-2a7d-4c0e-9f1a-0d9c3b2a1e00-gpu-0", "k8s.gpu.example.com", "claim", "4f6c1b1e-2a7d-4c0e-9f1a-0d9c3b2a1e00-gpu-0")]
    [InlineData("ab/cd=e", "ab", "cd", "e")]
    [InlineData("Vendor_X/net.fabric=eth0", "Vendor_X", "net.fabric", "eth0")]
    public void Parse_accepts_valid_names(string text, string vendor, string deviceClass, string name)
    {
        CdiDeviceId id = CdiDeviceId.Parse(text);

        Assert.Equal(vendor, id.Vendor);
        Assert.Equal(deviceClass, id.Class);
        Assert.Equal(name, id.Name);
        Assert.Equal($"{vendor}/{deviceClass}", id.Kind.ToString());
        Assert.Equal(text, id.ToString());
        Assert.True(CdiDeviceId.TryParse(text, out CdiDeviceId again));
        Assert.Equal(id, again);
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("/class=name", "it starts with '/', so it has no vendor")]
    [InlineData("vendor.com/class", "missing '=' between kind and device name")]
    [InlineData("vendor.com=name", "missing '/' between vendor and class")]
    [InlineData("a/class=name", "vendor \"a\" is too short: at least 2 characters")]
    [InlineData("vendor.com/c=name", "class \"c\" is too short: at least 2 characters")]
    [InlineData("1vendor/class=name", "vendor \"1vendor\" must start with a letter")]
    [InlineData("vendor-/class=name", "vendor \"vendor-\" must end with a letter or digit")]
    [InlineData("ven dor/class=name", "vendor \"ven dor\" has invalid character ' ' at index 3")]
    [InlineData("v\u00ebndor/class=name", "has invalid character U+00EB at index 1")]
    [InlineData("vendor.com/a/b=name", "class \"a/b\" has invalid character '/' at index 1")]
    [InlineData("vendor.com/_class=name", "class \"_class\" must start with a letter")]
    [InlineData("vendor.com/class=", "device name is empty")]
    [InlineData("vendor.com/class=-gpu", "device name \"-gpu\" must start with a letter or digit")]
    [InlineData("vendor.com/class=gpu.", "device name \"gpu.\" must end with a letter or digit")]
    [InlineData("vendor.com/class=gpu=1", "device name \"gpu=1\" has invalid character '=' at index 3")]
    [InlineData("vendor.com/class=gpu/1", "device name \"gpu/1\" has invalid character '/' at index 3")]
    [InlineData("vendor.com/class=gpu 1", "invalid character ' ' at index 3")]
    public void Parse_rejects_invalid_names_with_a_precise_message(string text, string reason)
    {
        Assert.False(CdiDeviceId.TryParse(text, out CdiDeviceId id));
        Assert.Equal(default, id);

        FormatException error = Assert.Throws<FormatException>(() => CdiDeviceId.Parse(text));
        Assert.StartsWith($"\"{text}\" is not a qualified CDI device name (vendor/class=name): ", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_null_throws_ArgumentNullException_and_TryParse_returns_false()
    {
        Assert.Throws<ArgumentNullException>(() => CdiDeviceId.Parse(null!));
        Assert.False(CdiDeviceId.TryParse(null, out _));
    }

    [Fact]
    public void Vendor_may_have_253_characters_and_class_63()
    {
        string vendor = new('v', 253);
        string deviceClass = new('c', 63);

        Assert.True(CdiDeviceId.TryParse($"{vendor}/{deviceClass}=d", out _));

        FormatException longVendor = Assert.Throws<FormatException>(() => CdiDeviceId.Parse($"{vendor}v/{deviceClass}=d"));
        Assert.Contains("is too long: 254 characters, at most 253", longVendor.Message, StringComparison.Ordinal);
        FormatException longClass = Assert.Throws<FormatException>(() => CdiDeviceId.Parse($"{vendor}/{deviceClass}c=d"));
        Assert.Contains("is too long: 64 characters, at most 63", longClass.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Name_checks_follow_the_rules()
    {
        Assert.True(CdiNames.IsValidVendor("k8s.gpu.example.com"));
        Assert.False(CdiNames.IsValidVendor("x"));
        Assert.False(CdiNames.IsValidVendor(null));
        Assert.True(CdiNames.IsValidClass("gpu.mig"));
        Assert.False(CdiNames.IsValidClass("gpu:mig"));
        Assert.True(CdiNames.IsValidDeviceName("0"));
        Assert.True(CdiNames.IsValidDeviceName("mig-1g.5gb:0_a"));
        Assert.False(CdiNames.IsValidDeviceName("gpu_"));
        Assert.False(CdiNames.IsValidDeviceName(""));
    }

    [Fact]
    public void Constructors_validate_their_parts()
    {
        var id = new CdiDeviceId("vendor.com", "gpu", "gpu-0");
        Assert.Equal("vendor.com/gpu=gpu-0", id.ToString());
        Assert.Equal(id, CdiKind.Parse("vendor.com/gpu").Device("gpu-0"));

        ArgumentException vendor = Assert.Throws<ArgumentException>(() => new CdiDeviceId("v", "gpu", "gpu-0"));
        Assert.Equal("vendor", vendor.ParamName);
        ArgumentException deviceClass = Assert.Throws<ArgumentException>(() => new CdiKind("vendor.com", "g/pu"));
        Assert.Equal("deviceClass", deviceClass.ParamName);
        ArgumentException name = Assert.Throws<ArgumentException>(() => new CdiDeviceId("vendor.com", "gpu", "gpu 0"));
        Assert.Equal("name", name.ParamName);
        Assert.Throws<ArgumentException>(() => new CdiDeviceId(default, "gpu-0"));
        Assert.Equal(string.Empty, default(CdiDeviceId).ToString());
    }

    [Fact]
    public void Kind_parses_at_the_first_slash()
    {
        CdiKind kind = CdiKind.Parse("k8s.gpu.example.com/gpu");
        Assert.Equal("k8s.gpu.example.com", kind.Vendor);
        Assert.Equal("gpu", kind.Class);

        Assert.False(CdiKind.TryParse("a/b/c", out _));
        FormatException error = Assert.Throws<FormatException>(() => CdiKind.Parse("vendor.com/b/c"));
        Assert.Contains("class \"b/c\" has invalid character '/'", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing '/'", Assert.Throws<FormatException>(() => CdiKind.Parse("vendor.com")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vendor.com/gpu=0", true)]
    [InlineData("vendor.com/gpu=", true)]
    [InlineData("gpu0", false)]
    [InlineData("gpu=0", false)]
    [InlineData("/gpu=0", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsQualified_tells_qualified_from_bare_names(string? text, bool expected) =>
        Assert.Equal(expected, CdiDeviceId.IsQualified(text));

    [Fact]
    public void Ids_compare_by_value()
    {
        Assert.Equal(CdiDeviceId.Parse("vendor.com/gpu=0"), new CdiDeviceId("vendor.com", "gpu", "0"));
        Assert.NotEqual(CdiDeviceId.Parse("vendor.com/gpu=0"), CdiDeviceId.Parse("vendor.com/gpu=1"));
        Assert.Single(new HashSet<CdiDeviceId> { CdiDeviceId.Parse("vendor.com/gpu=0"), CdiDeviceId.Parse("vendor.com/gpu=0") });
    }
}

public class AnnotationTests
{
    private static readonly CdiDeviceId Gpu0 = CdiDeviceId.Parse("vendor.com/gpu=gpu-0");
    private static readonly CdiDeviceId Gpu1 = CdiDeviceId.Parse("vendor.com/gpu=gpu-1");

    [Fact]
    public void Create_builds_key_and_comma_separated_value()
    {
        KeyValuePair<string, string> annotation = CdiAnnotations.Create("gpu.example.com", "claim/1234", [Gpu0, Gpu1]);

        Assert.Equal("cdi.k8s.io/gpu.example.com_claim_1234", annotation.Key);
        Assert.Equal("vendor.com/gpu=gpu-0,vendor.com/gpu=gpu-1", annotation.Value);
    }

    [Fact]
    public void Key_after_the_prefix_is_at_most_63_characters()
    {
        string plugin = new('p', 30);
        Assert.Equal(63, CdiAnnotations.CreateKey(plugin, new string('d', 32))[CdiAnnotations.Prefix.Length..].Length);

        ArgumentException error = Assert.Throws<ArgumentException>(() => CdiAnnotations.CreateKey(plugin, new string('d', 33)));
        Assert.Contains("64 characters, at most 63", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-plugin", "id", "must start and end with a letter or digit")]
    [InlineData("plugin", "id-", "must start and end with a letter or digit")]
    [InlineData("plug in", "id", "invalid character ' '")]
    public void Key_must_use_the_allowed_characters(string plugin, string deviceId, string reason)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => CdiAnnotations.CreateKey(plugin, deviceId));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Value_needs_at_least_one_device() =>
        Assert.Throws<ArgumentException>(() => CdiAnnotations.CreateValue([]));

    [Fact]
    public void Parse_reads_every_cdi_annotation_and_ignores_others()
    {
        var annotations = new Dictionary<string, string>
        {
            ["cdi.k8s.io/plugin_a"] = "vendor.com/gpu=gpu-0,vendor.com/gpu=gpu-1",
            ["other.io/x"] = "not a device",
            ["cdi.k8s.io/plugin_b"] = "vendor.com/gpu=gpu-1",
        };

        Assert.Equal([Gpu0, Gpu1], CdiAnnotations.Parse(annotations));
    }

    [Fact]
    public void One_invalid_name_fails_the_whole_set()
    {
        var annotations = new Dictionary<string, string>
        {
            ["cdi.k8s.io/plugin_a"] = "vendor.com/gpu=gpu-0",
            ["cdi.k8s.io/plugin_b"] = "vendor.com/gpu=gpu-1,gpu-2",
        };

        FormatException error = Assert.Throws<FormatException>(() => CdiAnnotations.Parse(annotations));
        Assert.Contains("cdi.k8s.io/plugin_b", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"gpu-2\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_rejects_an_invalid_key() =>
        Assert.Throws<FormatException>(() => CdiAnnotations.Parse([new("cdi.k8s.io/-bad", "vendor.com/gpu=0")]));
}

public class VersionTypeTests
{
    [Fact]
    public void Parses_released_versions_with_optional_v()
    {
        Assert.Equal(CdiVersion.V0_5_0, CdiVersion.Parse("0.5.0"));
        Assert.Equal(CdiVersion.V1_1_0, CdiVersion.Parse("v1.1.0"));
        Assert.Equal("1.1.0", CdiVersion.Latest.ToString());
        Assert.Equal(10, CdiVersion.All.Count);
        Assert.True(CdiVersion.V0_8_0 < CdiVersion.V1_0_0);
        Assert.Throws<FormatException>(() => CdiVersion.Parse("0.9.0"));
        Assert.Throws<FormatException>(() => CdiVersion.Parse("1.1"));
        Assert.False(CdiVersion.TryParse("", out _));
    }
}
