namespace DraSdk.Cdi.Tests;

public class ValidationTests
{
    private static void AssertErrors(CdiSpec spec, params (string Field, string Contains)[] expected)
    {
        IReadOnlyList<CdiValidationError> errors = spec.Validate();
        Assert.True(expected.Length == errors.Count,
            $"Expected {expected.Length} errors, got {errors.Count}:\n  {string.Join("\n  ", errors)}");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Field, errors[i].Field);
            Assert.Contains(expected[i].Contains, errors[i].Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Valid_specs_have_no_errors()
    {
        Assert.Empty(Specs.Minimal().Validate());
        Assert.Empty(Specs.Gpu().Validate());
        Assert.Empty(Specs.EveryField().Validate());
    }

    [Fact]
    public void Every_problem_is_reported_with_its_field_path()
    {
        CdiSpec spec = new()
        {
            Kind = "vendor.com/gpu",
            Devices =
            [
                Specs.Device("gpu-", new()
                {
                    Env = ["=x", "NOEQUALS", "EMPTY="],
                    DeviceNodes =
                    [
                        new() { Path = "dev/nvidia0", Type = "x", Permissions = "rwx" },
                        new() { Path = "/dev/nvidia1", HostPath = "dev/nvidia1", Permissions = "none", FileMode = Convert.ToUInt32("4755", 8) },
                    ],
                }),
                Specs.Device("gpu-1", new()),
                Specs.Device("gpu-2", new()
                {
                    Hooks = [new() { HookName = "preStart", Path = "hook", Timeout = 0, Env = ["NOEQ"] }],
                    Mounts = [new() { HostPath = "", ContainerPath = "relative" }],
                    IntelRdt = new() { ClosId = "a/b" },
                    NetDevices =
                    [
                        new() { HostInterfaceName = "eth1", Name = "net0" },
                        new() { HostInterfaceName = "eth1", Name = "a-very-long-interface" },
                        new() { HostInterfaceName = "", Name = "net0" },
                    ],
                }),
                Specs.Device("gpu-1"),
            ],
        };

        AssertErrors(spec,
            ("devices[0].name", "must end with a letter or digit"),
            ("devices[0].containerEdits.env[0]", "\"=x\" is not KEY=VALUE"),
            ("devices[0].containerEdits.env[1]", "\"NOEQUALS\" is not KEY=VALUE"),
            ("devices[0].containerEdits.deviceNodes[0].path", "must be absolute"),
            ("devices[0].containerEdits.deviceNodes[0].type", "\"x\" is not a device type"),
            ("devices[0].containerEdits.deviceNodes[0].permissions", "\"rwx\" must use only the letters r, w and m"),
            ("devices[0].containerEdits.deviceNodes[1].hostPath", "must be an absolute host path"),
            ("devices[0].containerEdits.deviceNodes[1].permissions", "\"none\""),
            ("devices[0].containerEdits.deviceNodes[1].fileMode", "octal 4755"),
            ("devices[1].containerEdits", "must not be empty"),
            ("devices[2].containerEdits.hooks[0].hookName", "\"preStart\" is not a hook name"),
            ("devices[2].containerEdits.hooks[0].path", "must be absolute"),
            ("devices[2].containerEdits.hooks[0].env[0]", "is not KEY=VALUE"),
            ("devices[2].containerEdits.hooks[0].timeout", "must be greater than 0"),
            ("devices[2].containerEdits.mounts[0].hostPath", "is empty"),
            ("devices[2].containerEdits.mounts[0].containerPath", "must be absolute"),
            ("devices[2].containerEdits.intelRdt.closID", "must be \"/\" or a file name"),
            ("devices[2].containerEdits.netDevices[1].hostInterfaceName", "duplicate host interface \"eth1\" (also devices[2].containerEdits.netDevices[0])"),
            ("devices[2].containerEdits.netDevices[1].name", "at most 15"),
            ("devices[2].containerEdits.netDevices[2].hostInterfaceName", "is empty"),
            ("devices[2].containerEdits.netDevices[2].name", "duplicate interface name \"net0\""),
            ("devices[3].name", "multiple devices named \"gpu-1\" (also devices[1])"));
    }

    [Fact]
    public void Spec_needs_a_valid_kind_and_a_device()
    {
        AssertErrors(new CdiSpec { Kind = "vendor.com", Devices = [] },
            ("kind", "missing '/' between vendor and class"),
            ("devices", "at least one device"));
        AssertErrors(Specs.Minimal("vendor.com/a/b"), ("kind", "class \"a/b\" has invalid character '/'"));
        AssertErrors(Specs.Minimal("v/gpu"), ("kind", "at least 2 characters"));
    }

    [Fact]
    public void Written_vendor_must_be_a_lowercase_dns_subdomain() =>
        AssertErrors(Specs.Minimal("Vendor_X/gpu"), ("kind", "must be a lowercase DNS subdomain"));

    [Fact]
    public void Spec_level_edits_may_be_empty_and_are_checked() =>
        AssertErrors(Specs.Minimal() with { ContainerEdits = new() { Env = ["BAD"] } }, ("containerEdits.env[0]", "is not KEY=VALUE"));

    [Fact]
    public void Device_edits_must_not_duplicate_spec_level_paths()
    {
        CdiSpec spec = Specs.Minimal() with
        {
            ContainerEdits = new() { DeviceNodes = [new() { Path = "/dev/ctl" }], Mounts = [new() { HostPath = "/lib", ContainerPath = "/lib" }] },
            Devices =
            [
                Specs.Device("a", new() { DeviceNodes = [new() { Path = "/dev/ctl" }] }),
                Specs.Device("b", new() { Mounts = [new() { HostPath = "/lib2", ContainerPath = "/lib" }] }),
            ],
        };

        AssertErrors(spec,
            ("devices[0].containerEdits.deviceNodes[0].path", "also set by containerEdits.deviceNodes[0].path"),
            ("devices[1].containerEdits.mounts[0].containerPath", "also mounted by containerEdits.mounts[0].containerPath"));
    }

    [Fact]
    public void Annotation_keys_follow_kubernetes_rules()
    {
        CdiSpec spec = Specs.Minimal() with
        {
            Annotations = new Dictionary<string, string>
            {
                ["example.com/ok"] = "1",
                ["Example.com/x"] = "2",
                ["-bad"] = "3",
                [new string('k', 64)] = "4",
            },
            Devices = [Specs.Device("dev0") with { Annotations = new Dictionary<string, string> { ["a/b/c"] = "x" } }],
        };

        AssertErrors(spec,
            ("annotations[\"Example.com/x\"]", "prefix \"Example.com\" must be a lowercase DNS subdomain"),
            ("annotations[\"-bad\"]", "must be letters, digits"),
            ($"annotations[\"{new string('k', 64)}\"]", "must be 1 to 63 characters"),
            ("devices[0].annotations[\"a/b/c\"]", "key name \"b/c\""));
    }

    [Fact]
    public void Annotations_total_at_most_256_KiB() =>
        AssertErrors(Specs.Minimal() with { Annotations = new Dictionary<string, string> { ["big"] = new string('x', 256 * 1024) } },
            ("annotations", "more than 262144"));

    [Fact]
    public void Set_version_below_the_content_minimum_is_an_error()
    {
        CdiSpec spec = Specs.Gpu() with { Version = CdiVersion.V0_4_0 };
        AssertErrors(spec, ("cdiVersion", "cdiVersion 0.4.0 is below the 0.5.0 the content needs: containerEdits.deviceNodes[0].hostPath requires 0.5.0"));
        AssertErrors(Specs.Minimal() with { Version = CdiVersion.V0_2_0 }, ("cdiVersion", "no longer valid"));
    }

    [Fact]
    public void Exception_message_lists_every_error()
    {
        var error = new CdiValidationException([new("devices[0].name", "bad"), new("kind", "worse")]);
        Assert.Contains("2 problems", error.Message, StringComparison.Ordinal);
        Assert.Contains("devices[0].name: bad", error.Message, StringComparison.Ordinal);
        Assert.Contains("kind: worse", error.Message, StringComparison.Ordinal);
    }
}
