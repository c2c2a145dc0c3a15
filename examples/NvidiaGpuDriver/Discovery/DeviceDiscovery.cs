using System.Globalization;
using DraSdk.ResourceSlices;
using k8s.Models;
using NvidiaGpuDriver.Nvml;

namespace NvidiaGpuDriver.Discovery;

internal enum GpuDeviceType
{
    Gpu,
    Mig,
}

/// <summary>One device the driver publishes: a full GPU (<c>gpu-&lt;minor&gt;</c>) or an existing MIG device.</summary>
internal sealed record AllocatableDevice(
    string Name,
    GpuDeviceType Type,
    string Uuid,
    int GpuMinor,
    string GpuUuid,
    IReadOnlyList<string> CapabilityDevices,
    IReadOnlyDictionary<string, V1DeviceAttribute> Attributes,
    IReadOnlyDictionary<string, ResourceQuantity> Capacity)
{
    /// <summary>The device as resource.k8s.io/v1 publishes it.</summary>
    public V1Device ToV1Device(IReadOnlyList<V1DeviceTaint>? taints = null) => new()
    {
        Name = Name,
        Attributes = Attributes.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal),
        Capacity = Capacity.ToDictionary(c => c.Key, c => new V1DeviceCapacity { Value = c.Value }, StringComparer.Ordinal),
        Taints = taints is { Count: > 0 } ? [.. taints] : null,
    };
}

/// <summary>What discovery found, and what it had to leave out and why.</summary>
internal sealed record DiscoveryResult(NvmlSnapshot Snapshot, IReadOnlyList<AllocatableDevice> Devices, IReadOnlyList<string> Problems);

/// <summary>
/// From NVML's answers to the devices NVIDIA's driver publishes: full GPUs, or on a GPU in MIG mode its existing MIG
/// devices. A GPU whose identity NVML refuses is left out with a problem; an attribute NVML refuses is left out of that
/// device only.
/// </summary>
internal static class DeviceDiscovery
{
    public const string PciBusIdAttribute = StandardDeviceAttributes.PciBusIdName;
    public const string PcieRootAttribute = StandardDeviceAttributes.PcieRootName;

    public static DiscoveryResult Discover(NvmlSnapshot snapshot, string sysfsRoot)
    {
        var problems = new List<string>();
        var devices = new List<AllocatableDevice>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var uuids = new HashSet<string>(StringComparer.Ordinal);

        // Node-wide versions, shared by every device.
        var common = new Dictionary<string, V1DeviceAttribute>(StringComparer.Ordinal);
        Answer<string> driver = snapshot.DriverVersion;
        if (driver.HasValue && NvidiaAttributes.DriverVersion(driver.Value) is { } driverVersion)
        {
            common["driverVersion"] = new V1DeviceAttribute { Version = driverVersion };
        }
        else
        {
            problems.Add($"driverVersion: {(driver.HasValue ? $"'{driver.Value}' is not a version" : driver.Describe())}; attribute driverVersion left out");
        }

        Answer<int> cuda = snapshot.CudaDriverVersion;
        if (cuda.HasValue && NvidiaAttributes.CudaVersion(cuda.Value) is { } cudaVersion)
        {
            common["cudaDriverVersion"] = new V1DeviceAttribute { Version = cudaVersion };
        }
        else
        {
            problems.Add($"cudaDriverVersion: {(cuda.HasValue ? $"{cuda.Value} is not a CUDA version" : cuda.Describe())}; attribute cudaDriverVersion left out");
        }

        foreach (GpuRecord gpu in snapshot.Devices)
        {
            Answer<string> uuid = gpu.Uuid;
            Answer<int> minor = gpu.Minor;
            if (!uuid.HasValue || string.IsNullOrWhiteSpace(uuid.Value) || !minor.HasValue || minor.Value < 0)
            {
                problems.Add($"{gpu.Path}: GPU left out: uuid {uuid.Describe()}, minor {minor.Describe()}");
                continue;
            }

            string name = $"gpu-{minor.Value.ToString(CultureInfo.InvariantCulture)}";
            if (!uuids.Add(uuid.Value) || names.Contains(name))
            {
                problems.Add($"{gpu.Path} ({uuid.Value}): GPU left out: its uuid or minor number {minor.Value} repeats an earlier GPU's");
                continue;
            }

            string label = $"{gpu.Path} ({uuid.Value})";
            Dictionary<string, V1DeviceAttribute> gpuAttributes = GpuAttributes(gpu, label, sysfsRoot, common, problems);
            if (gpu.MigEnabled)
            {
                foreach (string malformed in gpu.MalformedMigDevices)
                {
                    problems.Add(malformed + "; left out");
                }

                foreach (MigDeviceRecord mig in gpu.MigDevices)
                {
                    if (MigDevice(mig, minor.Value, uuid.Value, gpuAttributes, problems) is { } device)
                    {
                        if (!names.Add(device.Name) || !uuids.Add(device.Uuid))
                        {
                            problems.Add($"{mig.Path}: MIG device left out: its name {device.Name} or uuid repeats an earlier device's");
                            continue;
                        }

                        devices.Add(device);
                    }
                }

                continue; // static MIG: a GPU in MIG mode is not published as a full GPU
            }

            names.Add(name);
            var attributes = new Dictionary<string, V1DeviceAttribute>(StringComparer.Ordinal) { ["type"] = Str("gpu"), ["uuid"] = Str(uuid.Value) };
            foreach ((string key, V1DeviceAttribute value) in gpuAttributes)
            {
                attributes[key] = value;
            }

            var capacity = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
            Answer<long> memory = gpu.MemoryTotal;
            if (memory is { HasValue: true, Value: > 0 })
            {
                capacity["memory"] = Bytes(memory.Value);
            }
            else
            {
                problems.Add($"{label}: memoryTotal {memory.Describe()}; capacity memory left out");
            }

            devices.Add(new AllocatableDevice(name, GpuDeviceType.Gpu, uuid.Value, minor.Value, uuid.Value, [], attributes, capacity));
        }

        return new DiscoveryResult(snapshot, devices, problems);
    }

    /// <summary>The attributes a GPU and its MIG devices share: product, versions, PCI.</summary>
    private static Dictionary<string, V1DeviceAttribute> GpuAttributes(GpuRecord gpu, string label, string sysfsRoot, Dictionary<string, V1DeviceAttribute> common, List<string> problems)
    {
        var attributes = new Dictionary<string, V1DeviceAttribute>(StringComparer.Ordinal);
        Answer<string> name = gpu.Name;
        if (name.HasValue)
        {
            attributes["productName"] = Str(name.Value);
        }
        else
        {
            problems.Add($"{label}: name {name.Describe()}; attribute productName left out");
        }

        Answer<int> brand = gpu.Brand;
        if (brand.HasValue && NvidiaAttributes.BrandName(brand.Value) is { } brandName)
        {
            attributes["brand"] = Str(brandName);
        }
        else
        {
            problems.Add($"{label}: brand {brand.Describe()} is not a known NVML brand; attribute brand left out");
        }

        Answer<int> architecture = gpu.Architecture;
        if (architecture.HasValue && NvidiaAttributes.ArchitectureName(architecture.Value) is { } architectureName)
        {
            attributes["architecture"] = Str(architectureName);
        }
        else
        {
            problems.Add($"{label}: architecture {architecture.Describe()} is not a known NVML architecture; attribute architecture left out");
        }

        Answer<(int Major, int Minor)> cc = gpu.ComputeCapability;
        if (cc.HasValue && NvidiaAttributes.ComputeCapability(cc.Value.Major, cc.Value.Minor) is { } ccVersion)
        {
            attributes["cudaComputeCapability"] = new V1DeviceAttribute { Version = ccVersion };
        }
        else
        {
            problems.Add($"{label}: computeCapability {cc.Describe()}; attribute cudaComputeCapability left out");
        }

        foreach ((string key, V1DeviceAttribute value) in common)
        {
            attributes[key] = value;
        }

        Answer<string> bus = gpu.PciBusId;
        if (bus.HasValue && StandardDeviceAttributes.NormalizePciBusId(bus.Value) is { } pciBusId)
        {
            attributes[PciBusIdAttribute] = StandardDeviceAttributes.PciBusId(pciBusId);
            if (new StandardDeviceAttributes(sysfsRoot).TryGetPcieRoot(pciBusId, out V1DeviceAttribute? root))
            {
                attributes[PcieRootAttribute] = root;
            }
        }
        else
        {
            problems.Add($"{label}: pciBusId {bus.Describe()} is not a PCI address; attributes {PciBusIdAttribute} and {PcieRootAttribute} left out");
        }

        return attributes;
    }

    private static AllocatableDevice? MigDevice(MigDeviceRecord mig, int parentMinor, string parentUuid, Dictionary<string, V1DeviceAttribute> parent, List<string> problems)
    {
        Answer<string> uuid = mig.Uuid;
        Answer<string> profile = mig.Profile;
        Answer<int> giProfileId = mig.GiProfileId;
        Answer<int> start = mig.PlacementStart;
        Answer<int> size = mig.PlacementSize;
        if (!uuid.HasValue || !profile.HasValue || !giProfileId.HasValue || !start.HasValue)
        {
            problems.Add($"{mig.Path}: MIG device left out: uuid {uuid.Describe()}, profile {profile.Describe()}, giProfileId {giProfileId.Describe()}, placementStart {start.Describe()}");
            return null;
        }

        string profileName = profile.Value.Replace(".", string.Empty, StringComparison.Ordinal).Replace('+', '-').ToLowerInvariant();
        string name = string.Create(CultureInfo.InvariantCulture, $"gpu-{parentMinor}-mig-{profileName}-{giProfileId.Value}-{start.Value}");
        string label = $"{mig.Path} ({uuid.Value})";
        var attributes = new Dictionary<string, V1DeviceAttribute>(StringComparer.Ordinal)
        {
            ["type"] = Str("mig"),
            ["uuid"] = Str(uuid.Value),
            ["parentUUID"] = Str(parentUuid),
            ["profile"] = Str(profile.Value),
        };
        foreach ((string key, V1DeviceAttribute value) in parent)
        {
            attributes[key] = value;
        }

        var capacity = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        void Count(string capacityName, Answer<int> value)
        {
            if (value is { HasValue: true, Value: >= 0 })
            {
                capacity[capacityName] = new ResourceQuantity(value.Value.ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                problems.Add($"{label}: {capacityName} {value.Describe()}; capacity {capacityName} left out");
            }
        }

        Count("multiprocessors", mig.Multiprocessors);
        Count("copyEngines", mig.CopyEngines);
        Count("decoders", mig.Decoders);
        Count("encoders", mig.Encoders);
        Count("jpegEngines", mig.JpegEngines);
        Count("ofaEngines", mig.OfaEngines);
        Answer<long> memory = mig.MemoryTotal;
        if (memory is { HasValue: true, Value: > 0 })
        {
            capacity["memory"] = Bytes(memory.Value);
        }
        else
        {
            problems.Add($"{label}: memoryTotal {memory.Describe()}; capacity memory left out");
        }

        if (size is { HasValue: true, Value: > 0 and <= 8 })
        {
            for (int slice = start.Value; slice < start.Value + size.Value; slice++)
            {
                capacity[string.Create(CultureInfo.InvariantCulture, $"memorySlice{slice}")] = new ResourceQuantity("1");
            }
        }

        Answer<IReadOnlyList<string>> caps = mig.CapabilityDevices;
        if (caps.Error is not null)
        {
            problems.Add($"{label}: capabilityDevices {caps.Error}; its CDI spec will lack the MIG capability nodes");
        }

        return new AllocatableDevice(name, GpuDeviceType.Mig, uuid.Value, parentMinor, parentUuid, caps.HasValue ? caps.Value : [], attributes, capacity);
    }

    private static V1DeviceAttribute Str(string value) => new() { StringValue = value };

    private static ResourceQuantity Bytes(long bytes) => new(bytes, 0, ResourceQuantity.SuffixFormat.BinarySI);
}
