using System.Globalization;
using System.Text.Json.Nodes;

namespace NvidiaGpuDriver.Nvml;

/// <summary>
/// Asks NVML everything the snapshot format holds, one call at a time: a refused call becomes an <c>ERR:</c> value of
/// that field, never a failure of the GPU or of the node.
/// </summary>
internal static class NvmlCapture
{
    /// <summary>GPU-instance profile indexes asked for (NVML_GPU_INSTANCE_PROFILE_1_SLICE .. the newest known).</summary>
    public const int ProfileCount = 12;

    public static JsonObject Capture(NvmlLibrary nvml, string procRoot)
    {
        var root = new JsonObject
        {
            ["driverVersion"] = SnapshotFields.ToNode(nvml.DriverVersion(), v => v),
            ["cudaDriverVersion"] = SnapshotFields.ToNode(nvml.CudaDriverVersion(), v => v),
            ["nvmlVersion"] = SnapshotFields.ToNode(nvml.NvmlVersion(), v => v),
        };
        var devices = new JsonArray();
        Answer<int> count = nvml.DeviceCount();
        if (!count.HasValue)
        {
            throw new NvmlException($"NVML could not count the GPUs: {count.Error}");
        }

        for (int i = 0; i < count.Value; i++)
        {
            devices.Add(CaptureDevice(nvml, i, procRoot));
        }

        root["devices"] = devices;
        return root;
    }

    private static JsonObject CaptureDevice(NvmlLibrary nvml, int index, string procRoot)
    {
        var d = new JsonObject { ["index"] = index };
        Answer<nint> handle = nvml.DeviceHandle(index);
        if (!handle.HasValue)
        {
            // The GPU is there but NVML cannot open it (e.g. lost): record why; discovery skips it.
            d["uuid"] = NvmlSnapshot.ErrorPrefix + handle.Error;
            d["minor"] = NvmlSnapshot.ErrorPrefix + handle.Error;
            return d;
        }

        nint h = handle.Value;
        d["name"] = SnapshotFields.ToNode(nvml.Name(h), v => v);
        d["uuid"] = SnapshotFields.ToNode(nvml.Uuid(h), v => v);
        d["serial"] = SnapshotFields.ToNode(nvml.Serial(h), v => v);
        Answer<int> minor = nvml.MinorNumber(h);
        d["minor"] = SnapshotFields.ToNode(minor, v => v);
        d["brand"] = SnapshotFields.ToNode(nvml.Brand(h), v => v);
        d["architecture"] = SnapshotFields.ToNode(nvml.Architecture(h), v => v);
        d["computeCapability"] = SnapshotFields.ToNode(nvml.ComputeCapability(h), v => new JsonArray(v.Major, v.Minor));
        Answer<NvmlMemory> memory = nvml.Memory(h);
        d["memoryTotal"] = SnapshotFields.ToNode(memory, v => (long)v.Total);
        d["memoryFree"] = SnapshotFields.ToNode(memory, v => (long)v.Free);
        var pci = nvml.PciInfo(h);
        d["pciBusId"] = SnapshotFields.ToNode(pci, v => v.BusId);
        d["pciBusIdLegacy"] = SnapshotFields.ToNode(pci, v => v.BusIdLegacy);
        d["pciDeviceId"] = SnapshotFields.ToNode(pci, v => (long)v.DeviceId);
        d["pciSubSystemId"] = SnapshotFields.ToNode(pci, v => (long)v.SubSystemId);
        Answer<(int Current, int Pending)> migMode = nvml.MigMode(h);
        d["migMode"] = SnapshotFields.ToNode(migMode, v => new JsonArray(v.Current, v.Pending));
        d["maxMigDeviceCount"] = SnapshotFields.ToNode(nvml.MaxMigDeviceCount(h), v => v);
        d["boardPartNumber"] = SnapshotFields.ToNode(nvml.BoardPartNumber(h), v => v);
        d["vbios"] = SnapshotFields.ToNode(nvml.VbiosVersion(h), v => v);
        d["powerLimit"] = SnapshotFields.ToNode(nvml.PowerLimit(h), v => v);
        d["computeMode"] = SnapshotFields.ToNode(nvml.ComputeMode(h), v => v);
        d["multiprocessors"] = SnapshotFields.ToNode(nvml.Attributes(h), v => (int)v.MultiprocessorCount);
        d["persistenceMode"] = SnapshotFields.ToNode(nvml.PersistenceMode(h), v => v);
        d["numaNode"] = SnapshotFields.ToNode(nvml.NumaNode(h), v => v);
        d["nvlink"] = SnapshotFields.ToNode(nvml.NvLinks(h), v => new JsonArray([.. v.Select(l => (JsonNode)new JsonObject { ["link"] = l.Link, ["state"] = l.State })]));

        var profiles = new JsonArray();
        var profileNames = new Dictionary<int, string>();
        for (int p = 0; p < ProfileCount; p++)
        {
            Answer<NvmlGpuInstanceProfileInfo> info = nvml.GpuInstanceProfileInfo(h, p);
            if (!info.HasValue)
            {
                profiles.Add(new JsonObject { ["profile"] = p, ["err"] = NvmlSnapshot.ErrorPrefix + info.Error });
                continue;
            }

            NvmlGpuInstanceProfileInfo v = info.Value;
            profileNames[(int)v.Id] = MigProfileName(p, (int)v.SliceCount, (long)v.MemorySizeMB);
            profiles.Add(new JsonObject
            {
                ["profile"] = p,
                ["id"] = v.Id,
                ["sliceCount"] = v.SliceCount,
                ["instanceCount"] = v.InstanceCount,
                ["memorySizeMB"] = v.MemorySizeMB,
                ["multiprocessorCount"] = v.MultiprocessorCount,
                ["copyEngineCount"] = v.CopyEngineCount,
                ["decoderCount"] = v.DecoderCount,
                ["encoderCount"] = v.EncoderCount,
                ["jpegCount"] = v.JpegCount,
                ["ofaCount"] = v.OfaCount,
            });
        }

        d["migProfiles"] = profiles;
        if (migMode is { HasValue: true, Value.Current: 1 })
        {
            d["migDevices"] = CaptureMigDevices(nvml, h, minor, profileNames, procRoot);
        }

        return d;
    }

    private static JsonArray CaptureMigDevices(NvmlLibrary nvml, nint parent, Answer<int> parentMinor, Dictionary<int, string> profileNames, string procRoot)
    {
        var migs = new JsonArray();
        Answer<int> max = nvml.MaxMigDeviceCount(parent);
        for (int i = 0; i < (max.HasValue ? max.Value : 0); i++)
        {
            Answer<nint> handle = nvml.MigDeviceHandle(parent, i);
            if (!handle.HasValue)
            {
                continue; // NotFound: no MIG device at this index
            }

            nint m = handle.Value;
            var mig = new JsonObject { ["index"] = i, ["uuid"] = SnapshotFields.ToNode(nvml.Uuid(m), v => v) };
            Answer<int> giId = nvml.GpuInstanceId(m);
            Answer<int> ciId = nvml.ComputeInstanceId(m);
            Answer<NvmlGpuInstanceInfo> gi = giId.HasValue ? nvml.GpuInstanceInfo(parent, giId.Value) : Answer<NvmlGpuInstanceInfo>.Failed(giId.Error!);
            Answer<NvmlComputeInstanceInfo> ci = giId.HasValue && ciId.HasValue ? nvml.ComputeInstanceInfo(parent, giId.Value, ciId.Value) : Answer<NvmlComputeInstanceInfo>.Failed(ciId.Error ?? giId.Error!);
            mig["profile"] = SnapshotFields.ToNode(gi, v => profileNames.TryGetValue((int)v.ProfileId, out string? name) ? name : $"gi-profile-{v.ProfileId}");
            mig["giProfileId"] = SnapshotFields.ToNode(gi, v => v.ProfileId);
            mig["ciProfileId"] = SnapshotFields.ToNode(ci, v => v.ProfileId);
            mig["giId"] = SnapshotFields.ToNode(giId, v => v);
            mig["ciId"] = SnapshotFields.ToNode(ciId, v => v);
            mig["placementStart"] = SnapshotFields.ToNode(gi, v => v.PlacementStart);
            mig["placementSize"] = SnapshotFields.ToNode(gi, v => v.PlacementSize);
            mig["memoryTotal"] = SnapshotFields.ToNode(nvml.Memory(m), v => (long)v.Total);
            Answer<NvmlDeviceAttributes> attributes = nvml.Attributes(m);
            mig["multiprocessors"] = SnapshotFields.ToNode(attributes, v => v.MultiprocessorCount);
            mig["copyEngines"] = SnapshotFields.ToNode(attributes, v => v.SharedCopyEngineCount);
            mig["decoders"] = SnapshotFields.ToNode(attributes, v => v.SharedDecoderCount);
            mig["encoders"] = SnapshotFields.ToNode(attributes, v => v.SharedEncoderCount);
            mig["jpegEngines"] = SnapshotFields.ToNode(attributes, v => v.SharedJpegCount);
            mig["ofaEngines"] = SnapshotFields.ToNode(attributes, v => v.SharedOfaCount);
            if (parentMinor.HasValue && giId.HasValue && ciId.HasValue)
            {
                mig["capabilityDevices"] = CapabilityDevices(procRoot, parentMinor.Value, giId.Value, ciId.Value);
            }

            migs.Add(mig);
        }

        return migs;
    }

    /// <summary>
    /// The <c>/dev/nvidia-caps</c> nodes of a MIG device, from the <c>access</c> files of its GPU and compute instance
    /// under <c>/proc/driver/nvidia/capabilities/gpu&lt;minor&gt;/mig</c> (their <c>DeviceFileMinor</c>).
    /// </summary>
    private static JsonNode CapabilityDevices(string procRoot, int minor, int giId, int ciId)
    {
        string gi = Path.Combine(procRoot, "driver/nvidia/capabilities", $"gpu{minor}", "mig", $"gi{giId}");
        var nodes = new JsonArray();
        foreach (string access in new[] { Path.Combine(gi, "access"), Path.Combine(gi, $"ci{ciId}", "access") })
        {
            try
            {
                foreach (string line in File.ReadLines(access))
                {
                    if (line.StartsWith("DeviceFileMinor:", StringComparison.Ordinal)
                        && int.TryParse(line.AsSpan("DeviceFileMinor:".Length).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int capMinor))
                    {
                        nodes.Add($"/dev/nvidia-caps/nvidia-cap{capMinor}");
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return JsonValue.Create(NvmlSnapshot.ErrorPrefix + $"NotReadable:{access}: {ex.Message}");
            }
        }

        return nodes;
    }

    /// <summary>
    /// A GPU-instance profile's name as nvidia-smi shows it: <c>&lt;slices&gt;g.&lt;memory GB, rounded up&gt;gb</c>, with
    /// <c>+me</c> for the media-extension revisions (profile indexes 7 and 8).
    /// </summary>
    public static string MigProfileName(int profileIndex, int sliceCount, long memorySizeMB)
    {
        long gb = (memorySizeMB + 1023) / 1024;
        string name = string.Create(CultureInfo.InvariantCulture, $"{sliceCount}g.{gb}gb");
        return profileIndex is 7 or 8 ? name + "+me" : name;
    }
}
