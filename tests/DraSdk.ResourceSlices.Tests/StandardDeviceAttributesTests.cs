using k8s.Models;

namespace DraSdk.ResourceSlices.Tests;

public sealed class StandardDeviceAttributesTests : IDisposable
{
    private readonly string _sys = Path.Combine(Path.GetTempPath(), "drs-sys-" + Guid.NewGuid().ToString("N")[..8]);

    public StandardDeviceAttributesTests()
    {
        string device = Path.Combine(_sys, "devices", "pci0000:3a", "0000:3a:00.0", "0000:3b:00.0");
        Directory.CreateDirectory(device);
        string links = Path.Combine(_sys, "bus", "pci", "devices");
        Directory.CreateDirectory(links);
        File.CreateSymbolicLink(Path.Combine(links, "0000:3b:00.0"), "../../../devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0");
        File.CreateSymbolicLink(Path.Combine(links, "0000:99:00.0"), "../../../somewhere/else/0000:99:00.0");
    }

    [Fact]
    public void The_PCIe_root_is_read_from_the_sysfs_link()
    {
        var attributes = new Dictionary<string, V1DeviceAttribute>();
        new StandardDeviceAttributes(_sys).AddPciAttributes(attributes, "0000:3b:00.0");

        Assert.Equal("0000:3b:00.0", attributes["resource.kubernetes.io/pciBusID"].StringValue);
        Assert.Equal("pci0000:3a", attributes["resource.kubernetes.io/pcieRoot"].StringValue);
    }

    [Theory]
    [InlineData("3b:00.0")]
    [InlineData("0000:3B:00.0")]
    [InlineData("0000:3b:00")]
    public void Addresses_must_have_the_full_lower_case_form(string address) =>
        Assert.Contains("dddd:bb:dd.f", Assert.Throws<ArgumentException>(() => StandardDeviceAttributes.PciBusId(address)).Message, StringComparison.Ordinal);

    [Fact]
    public void A_missing_device_or_a_link_outside_a_PCI_root_is_an_error()
    {
        var sysfs = new StandardDeviceAttributes(_sys);
        Assert.Contains("not a symbolic link", Assert.Throws<InvalidOperationException>(() => sysfs.PcieRoot("0000:3c:00.0")).Message, StringComparison.Ordinal);
        Assert.Contains("not under a PCI root", Assert.Throws<InvalidOperationException>(() => sysfs.PcieRoot("0000:99:00.0")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryGetPcieRoot_leaves_the_attribute_out_where_sysfs_cannot_tell()
    {
        var sysfs = new StandardDeviceAttributes(_sys);

        Assert.True(sysfs.TryGetPcieRoot("0000:3b:00.0", out V1DeviceAttribute? root));
        Assert.Equal("pci0000:3a", root.StringValue);
        Assert.False(sysfs.TryGetPcieRoot("0000:3c:00.0", out _));
        Assert.False(sysfs.TryGetPcieRoot("0000:99:00.0", out _));
        Assert.False(new StandardDeviceAttributes(Path.Combine(_sys, "no-such-sysfs")).TryGetPcieRoot("0000:3b:00.0", out _));
        Assert.Throws<ArgumentException>(() => sysfs.TryGetPcieRoot("3b:00.0", out _));
    }

    [Theory]
    [InlineData("0000:3b:00.0", "0000:3b:00.0")]
    [InlineData("00000000:3B:00.0", "0000:3b:00.0")]
    [InlineData(" 0000:18:1F.7\n", "0000:18:1f.7")]
    [InlineData("00010000:3b:00.0", null)]
    [InlineData("3b:00.0", null)]
    [InlineData("0000:3b:00.8", null)]
    [InlineData("0000:3b:20.0", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Addresses_from_other_tools_are_normalized_or_refused(string? reported, string? expected) =>
        Assert.Equal(expected, StandardDeviceAttributes.NormalizePciBusId(reported));

    public void Dispose() => Directory.Delete(_sys, recursive: true);
}
