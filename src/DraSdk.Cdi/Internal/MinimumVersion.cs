namespace DraSdk.Cdi.Internal;

/// <summary>
/// The minimum cdiVersion rules: the newest version whose rule matches wins; within it, the first matching field in
/// document order (kind, annotations, spec edits, then each device's name, annotations and edits) is reported.
/// </summary>
internal static class MinimumVersion
{
    public static CdiVersionRequirement Compute(CdiSpec spec)
    {
        CdiVersionRequirement best = CdiVersionRequirement.Floor;
        foreach (CdiVersionRequirement found in FindAll(spec))
        {
            if (found.Version > best.Version)
            {
                best = found;
            }
        }

        return best;
    }

    /// <summary>Every field that needs more than 0.3.0, in document order.</summary>
    public static IEnumerable<CdiVersionRequirement> FindAll(CdiSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string? kind = spec.Kind;
        int slash = kind?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (slash >= 0 && kind!.IndexOf('.', slash + 1) >= 0)
        {
            yield return new(CdiVersion.V0_6_0, "kind", "a '.' in the class name");
        }

        if (spec.Annotations is { Count: > 0 })
        {
            yield return new(CdiVersion.V0_6_0, "annotations", "spec annotations");
        }

        if (spec.ContainerEdits is { } specEdits)
        {
            foreach (CdiVersionRequirement found in InEdits(specEdits, "containerEdits"))
            {
                yield return found;
            }
        }

        IReadOnlyList<CdiDevice> devices = spec.Devices ?? [];
        for (int i = 0; i < devices.Count; i++)
        {
            CdiDevice? device = devices[i];
            if (device is null)
            {
                continue;
            }

            string path = $"devices[{i}]";
            if (device.Name is { Length: > 0 } name && char.IsAsciiDigit(name[0]))
            {
                yield return new(CdiVersion.V0_5_0, $"{path}.name", "a device name starting with a digit");
            }

            if (device.Annotations is { Count: > 0 })
            {
                yield return new(CdiVersion.V0_6_0, $"{path}.annotations", "device annotations");
            }

            if (device.ContainerEdits is { } edits)
            {
                foreach (CdiVersionRequirement found in InEdits(edits, $"{path}.containerEdits"))
                {
                    yield return found;
                }
            }
        }
    }

    private static IEnumerable<CdiVersionRequirement> InEdits(ContainerEdits edits, string path)
    {
        IReadOnlyList<DeviceNode> nodes = edits.DeviceNodes ?? [];
        for (int i = 0; i < nodes.Count; i++)
        {
            if (nodes[i] is { HostPath.Length: > 0 })
            {
                yield return new(CdiVersion.V0_5_0, $"{path}.deviceNodes[{i}].hostPath", "a device node hostPath");
            }
        }

        IReadOnlyList<Mount> mounts = edits.Mounts ?? [];
        for (int i = 0; i < mounts.Count; i++)
        {
            if (mounts[i] is { Type.Length: > 0 })
            {
                yield return new(CdiVersion.V0_4_0, $"{path}.mounts[{i}].type", "a mount type");
            }
        }

        if (edits.IntelRdt is { } rdt)
        {
            yield return new(CdiVersion.V0_7_0, $"{path}.intelRdt", "intelRdt");
            if (rdt.Schemata is not null)
            {
                yield return new(CdiVersion.V1_1_0, $"{path}.intelRdt.schemata", "intelRdt schemata");
            }

            if (rdt.EnableMonitoring)
            {
                yield return new(CdiVersion.V1_1_0, $"{path}.intelRdt.enableMonitoring", "intelRdt enableMonitoring");
            }
        }

        if (edits.AdditionalGids is { Count: > 0 })
        {
            yield return new(CdiVersion.V0_7_0, $"{path}.additionalGids", "additionalGids");
        }

        if (edits.NetDevices is { Count: > 0 })
        {
            yield return new(CdiVersion.V1_1_0, $"{path}.netDevices", "netDevices");
        }
    }
}
