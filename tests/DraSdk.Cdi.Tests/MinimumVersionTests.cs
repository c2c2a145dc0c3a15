namespace DraSdk.Cdi.Tests;

/// <summary>One test per minimum-version rule, each checking the version and the field reported.</summary>
public class MinimumVersionTests
{
    private static CdiSpec WithDeviceEdits(ContainerEdits edits) => Specs.Minimal() with { Devices = [Specs.Device("dev0", edits)] };

    private static void AssertRequires(CdiSpec spec, CdiVersion version, string field)
    {
        CdiVersionRequirement requirement = spec.GetMinimumVersion();
        Assert.Equal(version, requirement.Version);
        Assert.Equal(field, requirement.Field);
        Assert.StartsWith($"{field} requires {version} (", requirement.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Floor_is_0_3_0_with_no_field()
    {
        CdiVersionRequirement requirement = Specs.Minimal().GetMinimumVersion();

        Assert.Equal(CdiVersion.V0_3_0, requirement.Version);
        Assert.Null(requirement.Field);
        Assert.Equal(CdiVersionRequirement.Floor, requirement);
    }

    [Fact]
    public void Dotted_vendor_alone_stays_at_the_floor() =>
        Assert.Equal(CdiVersion.V0_3_0, Specs.Minimal("k8s.gpu.example.com/gpu").GetMinimumVersion().Version);

    [Fact]
    public void Mount_type_requires_0_4_0() =>
        AssertRequires(WithDeviceEdits(new() { Mounts = [new() { HostPath = "tmpfs", ContainerPath = "/t", Type = "tmpfs" }] }),
            CdiVersion.V0_4_0, "devices[0].containerEdits.mounts[0].type");

    [Fact]
    public void Mount_type_in_spec_level_edits_requires_0_4_0() =>
        AssertRequires(Specs.Minimal() with { ContainerEdits = new() { Mounts = [new() { HostPath = "/a", ContainerPath = "/a" }, new() { HostPath = "tmpfs", ContainerPath = "/t", Type = "tmpfs" }] } },
            CdiVersion.V0_4_0, "containerEdits.mounts[1].type");

    [Fact]
    public void Empty_mount_type_does_not_count() =>
        Assert.Equal(CdiVersion.V0_3_0, WithDeviceEdits(new() { Mounts = [new() { HostPath = "/a", ContainerPath = "/a", Type = "" }] }).GetMinimumVersion().Version);

    [Fact]
    public void Device_name_starting_with_a_digit_requires_0_5_0() =>
        AssertRequires(Specs.Minimal() with { Devices = [Specs.Device("gpu0"), Specs.Device("7f3e-gpu0")] },
            CdiVersion.V0_5_0, "devices[1].name");

    [Fact]
    public void Device_node_host_path_requires_0_5_0()
    {
        CdiSpec spec = Specs.Minimal() with
        {
            Devices =
            [
                Specs.Device("a"),
                Specs.Device("b"),
                Specs.Device("c", new() { DeviceNodes = [new() { Path = "/dev/c", HostPath = "/dev/host-c" }] }),
            ],
        };

        AssertRequires(spec, CdiVersion.V0_5_0, "devices[2].containerEdits.deviceNodes[0].hostPath");
        Assert.Equal("devices[2].containerEdits.deviceNodes[0].hostPath requires 0.5.0 (a device node hostPath)", spec.GetMinimumVersion().ToString());
    }

    [Fact]
    public void Empty_host_path_does_not_count() =>
        Assert.Equal(CdiVersion.V0_3_0, WithDeviceEdits(new() { DeviceNodes = [new() { Path = "/dev/x", HostPath = "" }] }).GetMinimumVersion().Version);

    [Fact]
    public void Spec_annotations_require_0_6_0() =>
        AssertRequires(Specs.Minimal() with { Annotations = new Dictionary<string, string> { ["a"] = "b" } },
            CdiVersion.V0_6_0, "annotations");

    [Fact]
    public void Device_annotations_require_0_6_0() =>
        AssertRequires(Specs.Minimal() with { Devices = [Specs.Device("dev0") with { Annotations = new Dictionary<string, string> { ["a"] = "b" } }] },
            CdiVersion.V0_6_0, "devices[0].annotations");

    [Fact]
    public void Empty_annotations_do_not_count() =>
        Assert.Equal(CdiVersion.V0_3_0, (Specs.Minimal() with { Annotations = new Dictionary<string, string>() }).GetMinimumVersion().Version);

    [Fact]
    public void Dot_in_the_class_requires_0_6_0() =>
        AssertRequires(Specs.Minimal("vendor.com/gpu.mig"), CdiVersion.V0_6_0, "kind");

    [Fact]
    public void Empty_intel_rdt_requires_0_7_0() =>
        AssertRequires(WithDeviceEdits(new() { IntelRdt = new() }), CdiVersion.V0_7_0, "devices[0].containerEdits.intelRdt");

    [Fact]
    public void Additional_gids_require_0_7_0() =>
        AssertRequires(WithDeviceEdits(new() { AdditionalGids = [0] }), CdiVersion.V0_7_0, "devices[0].containerEdits.additionalGids");

    [Fact]
    public void Empty_additional_gids_do_not_count() =>
        Assert.Equal(CdiVersion.V0_3_0, WithDeviceEdits(new() { Env = ["A=1"], AdditionalGids = [] }).GetMinimumVersion().Version);

    [Fact]
    public void Net_devices_require_1_1_0() =>
        AssertRequires(WithDeviceEdits(new() { NetDevices = [new() { HostInterfaceName = "eth1", Name = "net0" }] }),
            CdiVersion.V1_1_0, "devices[0].containerEdits.netDevices");

    [Fact]
    public void Empty_schemata_requires_1_1_0() =>
        AssertRequires(Specs.Minimal() with { ContainerEdits = new() { IntelRdt = new() { Schemata = [] } } },
            CdiVersion.V1_1_0, "containerEdits.intelRdt.schemata");

    [Fact]
    public void Enable_monitoring_requires_1_1_0() =>
        AssertRequires(WithDeviceEdits(new() { IntelRdt = new() { ClosId = "c", EnableMonitoring = true } }),
            CdiVersion.V1_1_0, "devices[0].containerEdits.intelRdt.enableMonitoring");

    [Fact]
    public void Newest_rule_wins_and_its_first_field_is_reported()
    {
        CdiSpec spec = Specs.Minimal("vendor.com/gpu.mig") with
        {
            Devices =
            [
                Specs.Device("0", new() { DeviceNodes = [new() { Path = "/dev/a", HostPath = "/dev/a" }] }),
                Specs.Device("b", new() { AdditionalGids = [44] }),
                Specs.Device("c", new() { IntelRdt = new() }),
            ],
        };

        AssertRequires(spec, CdiVersion.V0_7_0, "devices[1].containerEdits.additionalGids");
    }

    [Fact]
    public void Every_field_spec_requires_1_1_0() =>
        Assert.Equal(CdiVersion.V1_1_0, Specs.EveryField().GetMinimumVersion().Version);

    [Fact]
    public void Typical_gpu_spec_requires_0_5_0_for_host_paths() =>
        AssertRequires(Specs.Gpu(), CdiVersion.V0_5_0, "containerEdits.deviceNodes[0].hostPath");
}
