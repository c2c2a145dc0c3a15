using System.Text.Json.Nodes;
using k8s.Models;
using NvidiaGpuDriver.Discovery;
using NvidiaGpuDriver.Nvml;

namespace NvidiaGpuDriver.Tests;

public sealed class SnapshotAndDiscoveryTests
{
    [Fact]
    public void The_real_H100_is_published_with_NVIDIAs_attribute_names_types_and_values()
    {
        DiscoveryResult result = DeviceDiscovery.Discover(NvmlSnapshot.Load(Fixtures.Shared(Fixtures.RealH100)), "/nonexistent-sys");

        AllocatableDevice gpu = Assert.Single(result.Devices);
        V1Device device = gpu.ToV1Device();
        Assert.Equal("gpu-0", device.Name);
        Assert.Equal("gpu", device.Attributes["type"].StringValue);
        Assert.Equal("GPU-8272c72e-3ba8-6fe5-e94c-756c25c6a98e", device.Attributes["uuid"].StringValue);
        Assert.Equal("NVIDIA H100 80GB HBM3", device.Attributes["productName"].StringValue);
        Assert.Equal("Nvidia", device.Attributes["brand"].StringValue);
        Assert.Equal("Hopper", device.Attributes["architecture"].StringValue);
        Assert.Equal("9.0.0", device.Attributes["cudaComputeCapability"].Version);
        Assert.Equal("580.159.4", device.Attributes["driverVersion"].Version);
        Assert.Equal("13.0.0", device.Attributes["cudaDriverVersion"].Version);
        Assert.Equal("0000:00:06.0", device.Attributes["resource.kubernetes.io/pciBusID"].StringValue);
        Assert.False(device.Attributes.ContainsKey("resource.kubernetes.io/pcieRoot")); // no sysfs here: left out
        Assert.Equal("81559Mi", device.Capacity["memory"].Value.ToString());
        Assert.Equal(85520809984m, device.Capacity["memory"].Value.ToDecimal());
        Assert.Equal(9, device.Attributes.Count);
        // multiprocessors and numaNode are refused by this card (ERR:); discovery does not need them.
        Assert.Empty(result.Problems);
    }

    [Fact]
    public void The_eight_GPU_node_gives_eight_devices_with_lowercase_pci_ids_and_their_pcie_roots()
    {
        using var sys = new TempRoot();
        // sysfs: /sys/bus/pci/devices/<bdf> -> ../../../devices/pci0000:<bus>/.../<bdf>
        foreach ((string bdf, string root) in new[] { ("0000:18:00.0", "pci0000:15"), ("0000:9a:00.0", "pci0000:97") })
        {
            string target = Path.Combine(sys.Path, "devices", root, "0000:" + root[^2..] + ":01.0", bdf);
            Directory.CreateDirectory(target);
            Directory.CreateDirectory(Path.Combine(sys.Path, "bus/pci/devices"));
            File.CreateSymbolicLink(Path.Combine(sys.Path, "bus/pci/devices", bdf), Path.GetRelativePath(Path.Combine(sys.Path, "bus/pci/devices"), target));
        }

        DiscoveryResult result = DeviceDiscovery.Discover(NvmlSnapshot.Load(Fixtures.Shared(Fixtures.Dgx)), sys.Path);

        Assert.Equal(["gpu-0", "gpu-1", "gpu-2", "gpu-3", "gpu-4", "gpu-5", "gpu-6", "gpu-7"], result.Devices.Select(d => d.Name));
        Assert.Equal(8, result.Devices.Select(d => d.Uuid).Distinct().Count());
        Assert.Equal(["0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:5d:00.0", "0000:9a:00.0", "0000:ab:00.0", "0000:ba:00.0", "0000:db:00.0"],
            result.Devices.Select(d => d.Attributes[DeviceDiscovery.PciBusIdAttribute].StringValue));
        Assert.Equal("pci0000:15", result.Devices[0].Attributes[DeviceDiscovery.PcieRootAttribute].StringValue);
        Assert.Equal("pci0000:97", result.Devices[4].Attributes[DeviceDiscovery.PcieRootAttribute].StringValue);
        Assert.False(result.Devices[1].Attributes.ContainsKey(DeviceDiscovery.PcieRootAttribute));
        Assert.Empty(result.Problems);
    }

    [Fact]
    public void A_GPU_in_MIG_mode_publishes_its_MIG_devices_and_not_itself()
    {
        DiscoveryResult result = DeviceDiscovery.Discover(NvmlSnapshot.Load(Fixtures.Shared(Fixtures.Mig)), "/nonexistent-sys");

        Assert.Equal(["gpu-0-mig-3g40gb-9-4", "gpu-0-mig-2g20gb-14-0", "gpu-0-mig-1g10gb-19-2", "gpu-0-mig-1g10gb-19-3"], result.Devices.Select(d => d.Name));
        Assert.All(result.Devices, d => Assert.Equal(GpuDeviceType.Mig, d.Type));
        V1Device mig = result.Devices[0].ToV1Device();
        Assert.Equal("mig", mig.Attributes["type"].StringValue);
        Assert.Equal("MIG-c7ff839c-55e5-57ba-bd95-75b7d443f0c2", mig.Attributes["uuid"].StringValue);
        Assert.Equal("GPU-8272c72e-3ba8-6fe5-e94c-756c25c6a98e", mig.Attributes["parentUUID"].StringValue);
        Assert.Equal("3g.40gb", mig.Attributes["profile"].StringValue);
        Assert.Equal("NVIDIA H100 80GB HBM3", mig.Attributes["productName"].StringValue);
        Assert.Equal("580.159.4", mig.Attributes["driverVersion"].Version);
        Assert.Equal("60", mig.Capacity["multiprocessors"].Value.ToString());
        Assert.Equal("3", mig.Capacity["copyEngines"].Value.ToString());
        Assert.Equal("3", mig.Capacity["decoders"].Value.ToString());
        Assert.Equal("0", mig.Capacity["encoders"].Value.ToString());
        Assert.Equal("3", mig.Capacity["jpegEngines"].Value.ToString());
        Assert.Equal("0", mig.Capacity["ofaEngines"].Value.ToString());
        Assert.Equal(42412802048m, mig.Capacity["memory"].Value.ToDecimal());
        Assert.Equal(["memorySlice4", "memorySlice5", "memorySlice6", "memorySlice7"], mig.Capacity.Keys.Where(k => k.StartsWith("memorySlice", StringComparison.Ordinal)));
        Assert.Equal(["/dev/nvidia-caps/nvidia-cap48", "/dev/nvidia-caps/nvidia-cap49"], result.Devices[0].CapabilityDevices);
        Assert.Equal(0, result.Devices[0].GpuMinor);
    }

    [Theory]
    [InlineData("580.159.04", "580.159.4")]
    [InlineData("550.54", "550.54.0")]
    [InlineData("535.104.05", "535.104.5")]
    [InlineData("abc", null)]
    [InlineData("1.2.3.4", null)]
    public void Driver_versions_are_written_as_NVIDIAs_driver_writes_them(string nvml, string? expected) =>
        Assert.Equal(expected, NvidiaAttributes.DriverVersion(nvml));

    [Theory]
    [InlineData(13000, "13.0.0")]
    [InlineData(12040, "12.4.0")]
    [InlineData(12020, "12.2.0")]
    [InlineData(0, null)]
    public void Cuda_versions_are_semantic_versions(int nvml, string? expected) => Assert.Equal(expected, NvidiaAttributes.CudaVersion(nvml));

    [Theory]
    [InlineData("00000000:00:06.0", "0000:00:06.0")]
    [InlineData("00000000:2A:00.0", "0000:2a:00.0")]
    [InlineData("0000:DB:00.0", "0000:db:00.0")]
    [InlineData("00010000:01:00.0", null)]
    [InlineData("garbage", null)]
    public void Pci_bus_ids_take_the_kubernetes_form(string nvml, string? expected) => Assert.Equal(expected, DraSdk.ResourceSlices.StandardDeviceAttributes.NormalizePciBusId(nvml));

    [Theory]
    [InlineData(14, "Nvidia")]
    [InlineData(2, "Tesla")]
    [InlineData(13, "NvidiaRTX")]
    [InlineData(0, "Unknown")]
    [InlineData(99, null)]
    public void Brands_take_NVIDIAs_names(int brand, string? expected) => Assert.Equal(expected, NvidiaAttributes.BrandName(brand));

    [Theory]
    [InlineData(7, "Ampere")]
    [InlineData(8, "Ada Lovelace")]
    [InlineData(9, "Hopper")]
    [InlineData(10, "Blackwell")]
    [InlineData(42, null)]
    public void Architectures_take_NVIDIAs_names(int architecture, string? expected) => Assert.Equal(expected, NvidiaAttributes.ArchitectureName(architecture));

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object with a \"devices\" array, not an array")]
    [InlineData("{\"driverVersion\":\"580.159.04\"}", "has no \"devices\" array (found null or nothing)")]
    [InlineData("{\"devices\":{}}", "has no \"devices\" array (found an object)")]
    [InlineData("{\"devices\":[42]}", "devices[0] must be an object, not the number 42")]
    [InlineData("{\"devices\":[],\"events\":[{\"uuid\":\"GPU-1\",\"type\":\"meltdown\"}]}", "events[0].type: must be xid, gpuLost, removed or recovered, not 'meltdown'")]
    [InlineData("{\"devices\":[],\"events\":[{\"uuid\":\"GPU-1\",\"type\":\"xid\"}]}", "events[0].xid: required for an xid event")]
    [InlineData("{\"devices\":[],\"events\":[{\"type\":\"gpuLost\"}]}", "events[0].uuid: required")]
    public void A_malformed_snapshot_is_one_clear_error(string json, string expected)
    {
        SnapshotFormatException ex = Assert.Throws<SnapshotFormatException>(() => NvmlSnapshot.Parse(json, "bad.json"));
        Assert.Contains("bad.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_snapshot_file_is_a_clear_error() =>
        Assert.Contains("cannot read the NVML snapshot /nonexistent/nvml.json", Assert.Throws<SnapshotFormatException>(() => NvmlSnapshot.Load("/nonexistent/nvml.json")).Message, StringComparison.Ordinal);

    [Fact]
    public void NVML_errors_and_bad_values_leave_out_one_GPU_or_one_attribute_and_the_other_GPUs_keep_working()
    {
        using var root = new TempRoot();
        string path = Fixtures.Edited(root, Fixtures.Dgx, json =>
        {
            JsonArray devices = json["devices"]!.AsArray();
            devices[1]!["uuid"] = "ERR:NVMLError_GpuIsLost:GPU is lost";             // identity refused: GPU left out
            devices[2]!["memoryTotal"] = "ERR:NVMLError_Unknown:Unknown Error";       // one capacity left out
            devices[3]!["brand"] = 99;                                                // unknown enum: attribute left out
            devices[4]!["computeCapability"] = "nine";                                // wrong type: attribute left out
            devices[5]!["minor"] = 0;                                                 // duplicate minor: left out
            devices[6]!["name"] = null;
        });

        DiscoveryResult result = DeviceDiscovery.Discover(NvmlSnapshot.Load(path), "/nonexistent-sys");

        Assert.Equal(["gpu-0", "gpu-2", "gpu-3", "gpu-4", "gpu-6", "gpu-7"], result.Devices.Select(d => d.Name));
        Assert.Contains(result.Problems, p => p.StartsWith("devices[1]: GPU left out: uuid NVMLError_GpuIsLost:GPU is lost", StringComparison.Ordinal));
        Assert.False(result.Devices[1].Capacity.ContainsKey("memory"));
        Assert.Contains(result.Problems, p => p.Contains("memoryTotal NVMLError_Unknown:Unknown Error; capacity memory left out", StringComparison.Ordinal));
        Assert.False(result.Devices[2].Attributes.ContainsKey("brand"));
        Assert.Contains(result.Problems, p => p.Contains("brand 99 is not a known NVML brand", StringComparison.Ordinal));
        Assert.False(result.Devices[3].Attributes.ContainsKey("cudaComputeCapability"));
        Assert.Contains(result.Problems, p => p.Contains("devices[4].computeCapability: expected two integers, got the string \"nine\"", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Contains("devices[5]", StringComparison.Ordinal) && p.Contains("repeats an earlier GPU's", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Contains("devices[6].name: null", StringComparison.Ordinal));
        Assert.True(result.Devices[4].Attributes.ContainsKey("uuid"));
    }

    [Fact]
    public void Broken_MIG_entries_are_left_out_with_where_they_are()
    {
        using var root = new TempRoot();
        string path = Fixtures.Edited(root, Fixtures.Mig, json =>
        {
            JsonArray migs = json["devices"]![0]!["migDevices"]!.AsArray();
            migs[1]!["uuid"] = "ERR:NVMLError_NotFound:Not Found";
            migs[2]!["multiprocessors"] = "ERR:NVMLError_NotSupported:Not Supported";
            migs.Add(7);
        });

        DiscoveryResult result = DeviceDiscovery.Discover(NvmlSnapshot.Load(path), "/x");

        Assert.Equal(["gpu-0-mig-3g40gb-9-4", "gpu-0-mig-1g10gb-19-2", "gpu-0-mig-1g10gb-19-3"], result.Devices.Select(d => d.Name));
        Assert.False(result.Devices[1].Capacity.ContainsKey("multiprocessors"));
        Assert.Contains(result.Problems, p => p.StartsWith("devices[0].migDevices[1]: MIG device left out: uuid NVMLError_NotFound", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.StartsWith("devices[0].migDevices[4]: must be an object", StringComparison.Ordinal));
    }

    [Fact]
    public void A_snapshot_reads_back_exactly_as_written_and_the_drivers_own_capture_reads_like_the_fixture()
    {
        foreach (string path in new[] { Fixtures.Shared(Fixtures.RealH100), Fixtures.Shared(Fixtures.Mig), Fixtures.Shared(Fixtures.Dgx), Fixtures.Local("h100-captured-by-driver.json") })
        {
            NvmlSnapshot snapshot = NvmlSnapshot.Load(path);
            NvmlSnapshot again = NvmlSnapshot.Parse(snapshot.ToJson(), "again");
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(path)), again.Root), path);
        }

        // Captured by this driver's `capture` on a real H100 (another card of the same model): same fields, same
        // refusals (ERR:), same MIG profile table as the pynvml fixture.
        JsonObject captured = NvmlSnapshot.Load(Fixtures.Local("h100-captured-by-driver.json")).Devices[0].Json;
        JsonObject fixture = NvmlSnapshot.Load(Fixtures.Shared(Fixtures.RealH100)).Devices[0].Json;
        Assert.Equal(fixture.Select(p => p.Key).Order(), captured.Select(p => p.Key).Order());
        foreach (string same in new[] { "name", "brand", "architecture", "computeCapability", "memoryTotal", "pciBusId", "pciBusIdLegacy", "migMode", "multiprocessors", "numaNode", "migProfiles" })
        {
            Assert.True(JsonNode.DeepEquals(fixture[same], captured[same]), same);
        }
    }

    [Fact]
    public void The_kind_snapshot_has_seven_GPUs_and_four_MIG_devices()
    {
        DiscoveryResult result = DeviceDiscovery.Discover(NvmlSnapshot.Load(Fixtures.KindSnapshot), "/x");
        Assert.Equal(7, result.Devices.Count(d => d.Type == GpuDeviceType.Gpu));
        Assert.Equal(4, result.Devices.Count(d => d.Type == GpuDeviceType.Mig));
        Assert.All(result.Devices.Where(d => d.Type == GpuDeviceType.Mig), d => Assert.StartsWith("gpu-7-mig-", d.Name, StringComparison.Ordinal));
        Assert.Empty(result.Problems);
    }

    [Fact]
    public void Without_NVML_opening_it_fails_with_where_it_looked()
    {
        using var root = new TempRoot();
        NvmlException ex = Assert.Throws<NvmlException>(() => NvmlLibrary.Open(root.Path));
        Assert.Contains($"tried {root.Path}/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("NVIDIA_DRIVER_ROOT", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_library_that_is_not_NVML_is_one_clear_error_not_a_crash()
    {
        string? libc = new[] { "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6" }.FirstOrDefault(File.Exists);
        Assert.SkipWhen(libc is null, "no libc.so.6 to stand in for a wrong library");
        using var root = new TempRoot();
        Directory.CreateDirectory(Path.Combine(root.Path, "usr/lib64"));
        File.CreateSymbolicLink(Path.Combine(root.Path, "usr/lib64", NvmlLibrary.LibraryName), libc!);

        NvmlException ex = Assert.Throws<NvmlException>(() => NvmlLibrary.Open(root.Path));

        Assert.Equal($"{root.Path}/usr/lib64/libnvidia-ml.so.1 has no function nvmlInit_v2: the NVIDIA driver is too old for this driver (or the file is not NVML)", ex.Message);
    }

    [Theory]
    [InlineData(0, 1, 9984, "1g.10gb")]
    [InlineData(1, 2, 20096, "2g.20gb")]
    [InlineData(2, 3, 40448, "3g.40gb")]
    [InlineData(4, 7, 81152, "7g.80gb")]
    [InlineData(7, 1, 9984, "1g.10gb+me")]
    [InlineData(9, 1, 20096, "1g.20gb")]
    public void Capture_names_MIG_profiles_as_nvidia_smi_does(int index, int slices, long memoryMb, string expected) =>
        Assert.Equal(expected, NvmlCapture.MigProfileName(index, slices, memoryMb));
}
