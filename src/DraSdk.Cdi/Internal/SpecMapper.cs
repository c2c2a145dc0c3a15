using System.Globalization;

namespace DraSdk.Cdi.Internal;

/// <summary>
/// Maps a <see cref="SpecNode"/> tree onto the spec model the way the runtimes' strict decoder does: field names match
/// case-insensitively, unknown fields are errors, <c>null</c> means "not set", numbers must be integers in range.
/// Unlike that decoder it reports every problem, each with its field path and line.
/// </summary>
internal sealed class SpecMapper
{
    private static readonly string[] SpecFields = ["cdiVersion", "kind", "annotations", "devices", "containerEdits"];
    private static readonly string[] DeviceFields = ["name", "annotations", "containerEdits"];
    private static readonly string[] EditsFields = ["env", "deviceNodes", "hooks", "mounts", "intelRdt", "additionalGids", "netDevices"];
    private static readonly string[] DeviceNodeFields = ["path", "hostPath", "type", "major", "minor", "fileMode", "permissions", "uid", "gid"];
    private static readonly string[] MountFields = ["hostPath", "containerPath", "options", "type"];
    private static readonly string[] HookFields = ["hookName", "path", "args", "env", "timeout"];
    private static readonly string[] IntelRdtFields = ["closID", "l3CacheSchema", "memBwSchema", "schemata", "enableMonitoring"];
    private static readonly string[] NetDeviceFields = ["hostInterfaceName", "name"];

    private readonly string _source;
    private readonly List<CdiSpecError> _errors;

    private SpecMapper(string source, List<CdiSpecError> errors)
    {
        _source = source;
        _errors = errors;
    }

    /// <summary>Where each mapped field is, for the line numbers of validation errors.</summary>
    public Dictionary<string, (int Line, int Column)> Positions { get; } = new(StringComparer.Ordinal);

    /// <summary>The spec, or <see langword="null"/> when <paramref name="errors"/> got structural problems.</summary>
    public static CdiSpec? Map(SpecNode root, string source, List<CdiSpecError> errors, out Dictionary<string, (int Line, int Column)> positions)
    {
        var mapper = new SpecMapper(source, errors);
        int before = errors.Count;
        CdiSpec? spec = mapper.MapSpec(root);
        positions = mapper.Positions;
        return errors.Count == before ? spec : null;
    }

    private void Error(string? field, string message, SpecNode at) =>
        _errors.Add(new CdiSpecError(_source, field, message, at.Line, at.Column));

    private static string Join(string path, string field) => path.Length == 0 ? field : $"{path}.{field}";

    private CdiSpec? MapSpec(SpecNode root)
    {
        Dictionary<string, (SpecNode Node, string Path)>? fields = Fields(root, string.Empty, SpecFields);
        if (fields is null)
        {
            return null;
        }

        CdiVersion? version = null;
        if (Get(fields, "cdiVersion") is { } versionField && String(versionField.Node, versionField.Path) is { } versionText)
        {
            if (CdiVersion.TryParse(versionText, out CdiVersion parsed))
            {
                version = parsed;
            }
            else
            {
                Error(versionField.Path, $"{SpecNode.Quote(versionText)} is not a released CDI spec version ({CdiVersion.All[0]} to {CdiVersion.Latest}): invalid version", versionField.Node);
            }
        }
        else if (Get(fields, "cdiVersion") is null)
        {
            Error("cdiVersion", "is missing; every spec needs its version, e.g. \"0.5.0\"", root);
        }

        string kind = Get(fields, "kind") is { } kindField ? String(kindField.Node, kindField.Path) ?? string.Empty : string.Empty;
        return new CdiSpec
        {
            Version = version,
            Kind = kind,
            Annotations = Get(fields, "annotations") is { } annotations ? StringMap(annotations.Node, annotations.Path) : null,
            Devices = Get(fields, "devices") is { } devices ? List(devices.Node, devices.Path, MapDevice) ?? [] : [],
            ContainerEdits = Get(fields, "containerEdits") is { } edits ? MapEdits(edits.Node, edits.Path) : null,
        };
    }

    private CdiDevice? MapDevice(SpecNode node, string path)
    {
        Dictionary<string, (SpecNode Node, string Path)>? fields = Fields(node, path, DeviceFields);
        if (fields is null)
        {
            return null;
        }

        return new CdiDevice
        {
            Name = Get(fields, "name") is { } name ? String(name.Node, name.Path) ?? string.Empty : string.Empty,
            Annotations = Get(fields, "annotations") is { } annotations ? StringMap(annotations.Node, annotations.Path) : null,
            ContainerEdits = (Get(fields, "containerEdits") is { } edits ? MapEdits(edits.Node, edits.Path) : null) ?? new ContainerEdits(),
        };
    }

    private ContainerEdits? MapEdits(SpecNode node, string path)
    {
        Dictionary<string, (SpecNode Node, string Path)>? fields = Fields(node, path, EditsFields);
        if (fields is null)
        {
            return null;
        }

        return new ContainerEdits
        {
            Env = Get(fields, "env") is { } env ? StringList(env.Node, env.Path) : null,
            DeviceNodes = Get(fields, "deviceNodes") is { } nodes ? List(nodes.Node, nodes.Path, MapDeviceNode) : null,
            Hooks = Get(fields, "hooks") is { } hooks ? List(hooks.Node, hooks.Path, MapHook) : null,
            Mounts = Get(fields, "mounts") is { } mounts ? List(mounts.Node, mounts.Path, MapMount) : null,
            IntelRdt = Get(fields, "intelRdt") is { } rdt ? MapIntelRdt(rdt.Node, rdt.Path) : null,
            AdditionalGids = Get(fields, "additionalGids") is { } gids
                ? List(gids.Node, gids.Path, (n, p) => Integer(n, p, 0, uint.MaxValue) is { } gid ? (uint?)gid : null)?.Select(g => g!.Value).ToList()
                : null,
            NetDevices = Get(fields, "netDevices") is { } net ? List(net.Node, net.Path, MapNetDevice) : null,
        };
    }

    private DeviceNode? MapDeviceNode(SpecNode node, string path)
    {
        Dictionary<string, (SpecNode Node, string Path)>? f = Fields(node, path, DeviceNodeFields);
        if (f is null)
        {
            return null;
        }

        return new DeviceNode
        {
            Path = OptionalString(f, "path") ?? string.Empty,
            HostPath = OptionalString(f, "hostPath"),
            Type = OptionalString(f, "type"),
            Major = OptionalInteger(f, "major", long.MinValue, long.MaxValue),
            Minor = OptionalInteger(f, "minor", long.MinValue, long.MaxValue),
            FileMode = (uint?)OptionalInteger(f, "fileMode", 0, uint.MaxValue),
            Permissions = OptionalString(f, "permissions"),
            Uid = (uint?)OptionalInteger(f, "uid", 0, uint.MaxValue),
            Gid = (uint?)OptionalInteger(f, "gid", 0, uint.MaxValue),
        };
    }

    private Mount? MapMount(SpecNode node, string path)
    {
        Dictionary<string, (SpecNode Node, string Path)>? f = Fields(node, path, MountFields);
        if (f is null)
        {
            return null;
        }

        return new Mount
        {
            HostPath = OptionalString(f, "hostPath") ?? string.Empty,
            ContainerPath = OptionalString(f, "containerPath") ?? string.Empty,
            Options = Get(f, "options") is { } options ? StringList(options.Node, options.Path) : null,
            Type = OptionalString(f, "type"),
        };
    }

    private Hook? MapHook(SpecNode node, string path)
    {
        Dictionary<string, (SpecNode Node, string Path)>? f = Fields(node, path, HookFields);
        if (f is null)
        {
            return null;
        }

        return new Hook
        {
            HookName = OptionalString(f, "hookName") ?? string.Empty,
            Path = OptionalString(f, "path") ?? string.Empty,
            Args = Get(f, "args") is { } args ? StringList(args.Node, args.Path) : null,
            Env = Get(f, "env") is { } env ? StringList(env.Node, env.Path) : null,
            Timeout = (int?)OptionalInteger(f, "timeout", int.MinValue, int.MaxValue),
        };
    }

    private IntelRdt? MapIntelRdt(SpecNode node, string path)
    {
        Dictionary<string, (SpecNode Node, string Path)>? f = Fields(node, path, IntelRdtFields);
        if (f is null)
        {
            return null;
        }

        return new IntelRdt
        {
            ClosId = OptionalString(f, "closID"),
            L3CacheSchema = OptionalString(f, "l3CacheSchema"),
            MemBwSchema = OptionalString(f, "memBwSchema"),
            Schemata = Get(f, "schemata") is { } schemata ? StringList(schemata.Node, schemata.Path) : null,
            EnableMonitoring = Get(f, "enableMonitoring") is { } monitoring && Boolean(monitoring.Node, monitoring.Path) == true,
        };
    }

    private LinuxNetDevice? MapNetDevice(SpecNode node, string path)
    {
        Dictionary<string, (SpecNode Node, string Path)>? f = Fields(node, path, NetDeviceFields);
        if (f is null)
        {
            return null;
        }

        return new LinuxNetDevice
        {
            HostInterfaceName = OptionalString(f, "hostInterfaceName") ?? string.Empty,
            Name = OptionalString(f, "name") ?? string.Empty,
        };
    }

    /// <summary>
    /// The fields of an object, keyed by their canonical name. Keys match case-insensitively (as Go's decoder does);
    /// unknown keys and two keys naming the same field are errors. Null values are left out (Go leaves the field unset).
    /// </summary>
    private Dictionary<string, (SpecNode Node, string Path)>? Fields(SpecNode node, string path, string[] known)
    {
        Positions[path] = (node.Line, node.Column);
        if (node.Kind != SpecNodeKind.Mapping)
        {
            Error(path.Length == 0 ? null : path, $"expected an object, got {node.Describe()}", node);
            return null;
        }

        var fields = new Dictionary<string, (SpecNode Node, string Path)>(StringComparer.Ordinal);
        var keys = new Dictionary<string, SpecNode>(StringComparer.Ordinal);
        foreach ((SpecNode key, SpecNode value) in node.Entries!)
        {
            string? name = Array.Find(known, k => string.Equals(k, key.Text, StringComparison.OrdinalIgnoreCase));
            if (name is null)
            {
                string hint = key.Text is "enableCMT" or "enableMBM" ? " (removed in CDI 1.1.0)" : string.Empty;
                Error(Join(path, key.Text), $"unknown field {SpecNode.Quote(key.Text)}{hint}; the fields here are {string.Join(", ", known)}", key);
                continue;
            }

            if (keys.TryGetValue(name, out SpecNode? other))
            {
                Error(Join(path, name), $"{SpecNode.Quote(key.Text)} and {SpecNode.Quote(other.Text)} (line {other.Line}) both set this field", key);
                continue;
            }

            keys[name] = key;
            string fieldPath = Join(path, name);
            Positions[fieldPath] = (value.Line, value.Column);
            if (!value.IsNull)
            {
                fields[name] = (value, fieldPath);
            }
        }

        return fields;
    }

    private static (SpecNode Node, string Path)? Get(Dictionary<string, (SpecNode Node, string Path)> fields, string name) =>
        fields.TryGetValue(name, out (SpecNode Node, string Path) field) ? field : null;

    private string? OptionalString(Dictionary<string, (SpecNode Node, string Path)> fields, string name) =>
        Get(fields, name) is { } field ? String(field.Node, field.Path) : null;

    private long? OptionalInteger(Dictionary<string, (SpecNode Node, string Path)> fields, string name, long min, long max) =>
        Get(fields, name) is { } field ? Integer(field.Node, field.Path, min, max) : null;

    private string? String(SpecNode node, string path)
    {
        if (node.Kind == SpecNodeKind.Scalar && node.ScalarType is ScalarType.String or ScalarType.Plain)
        {
            // A plain YAML scalar where a string is expected is the string as written (gpu0, 0123, true).
            return node.Text;
        }

        Error(path, $"expected a string, got {node.Describe()}", node);
        return null;
    }

    private long? Integer(SpecNode node, string path, long min, long max)
    {
        long value;
        if (node.Kind == SpecNodeKind.Scalar && node.ScalarType == ScalarType.Number)
        {
            if (!long.TryParse(node.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
            {
                Error(path, $"expected an integer from {min} to {max}, got {node.Describe()}", node);
                return null;
            }
        }
        else if (node.Kind == SpecNodeKind.Scalar && node.ScalarType == ScalarType.Plain)
        {
            if (!TryParseYamlInteger(node.Text, out value))
            {
                Error(path, $"expected an integer from {min} to {max}, got {node.Describe()}", node);
                return null;
            }
        }
        else
        {
            Error(path, $"expected an integer from {min} to {max}, got {node.Describe()}", node);
            return null;
        }

        if (value < min || value > max)
        {
            Error(path, $"{value} is out of range: expected an integer from {min} to {max}", node);
            return null;
        }

        return value;
    }

    /// <summary>YAML 1.1 integers as the runtimes' YAML parser reads them: decimal, 0x hex, 0o or leading-0 octal, 0b binary, '_' separators.</summary>
    internal static bool TryParseYamlInteger(string text, out long value)
    {
        value = 0;
        string s = text.Replace("_", string.Empty, StringComparison.Ordinal);
        bool negative = false;
        if (s.Length > 0 && s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s.Length == 0)
        {
            return false;
        }

        int radix = 10;
        if (s.Length > 2 && s[0] == '0' && s[1] is 'x' or 'X')
        {
            radix = 16;
            s = s[2..];
        }
        else if (s.Length > 2 && s[0] == '0' && s[1] is 'o' or 'O')
        {
            radix = 8;
            s = s[2..];
        }
        else if (s.Length > 2 && s[0] == '0' && s[1] is 'b' or 'B')
        {
            radix = 2;
            s = s[2..];
        }
        else if (s.Length > 1 && s[0] == '0')
        {
            radix = 8;
            s = s[1..];
        }

        ulong magnitude = 0;
        foreach (char c in s)
        {
            int digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'f' => c - 'a' + 10,
                >= 'A' and <= 'F' => c - 'A' + 10,
                _ => 99,
            };
            if (digit >= radix)
            {
                return false;
            }

            if (magnitude > (ulong.MaxValue - (ulong)digit) / (ulong)radix)
            {
                return false;
            }

            magnitude = (magnitude * (ulong)radix) + (ulong)digit;
        }

        if (negative)
        {
            if (magnitude > (ulong)long.MaxValue + 1)
            {
                return false;
            }

            value = magnitude == (ulong)long.MaxValue + 1 ? long.MinValue : -(long)magnitude;
            return true;
        }

        if (magnitude > long.MaxValue)
        {
            return false;
        }

        value = (long)magnitude;
        return true;
    }

    private bool? Boolean(SpecNode node, string path)
    {
        if (node.Kind == SpecNodeKind.Scalar && node.ScalarType is ScalarType.Boolean or ScalarType.Plain)
        {
            switch (node.Text)
            {
                case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "y" or "Y":
                    return true;
                case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "n" or "N":
                    return false;
            }
        }

        Error(path, $"expected true or false, got {node.Describe()}", node);
        return null;
    }

    private List<T>? List<T>(SpecNode node, string path, Func<SpecNode, string, T?> item)
    {
        if (node.Kind != SpecNodeKind.Sequence)
        {
            Error(path, $"expected a list, got {node.Describe()}", node);
            return null;
        }

        var list = new List<T>(node.Items!.Count);
        for (int i = 0; i < node.Items.Count; i++)
        {
            string at = $"{path}[{i}]";
            SpecNode child = node.Items[i];
            Positions[at] = (child.Line, child.Column);
            if (child.IsNull)
            {
                Error(at, "is null", child);
                continue;
            }

            if (item(child, at) is { } value)
            {
                list.Add(value);
            }
        }

        return list;
    }

    private List<string>? StringList(SpecNode node, string path) => List(node, path, String);

    private Dictionary<string, string>? StringMap(SpecNode node, string path)
    {
        Positions[path] = (node.Line, node.Column);
        if (node.Kind != SpecNodeKind.Mapping)
        {
            Error(path, $"expected an object of strings, got {node.Describe()}", node);
            return null;
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((SpecNode key, SpecNode value) in node.Entries!)
        {
            string at = $"{path}[\"{key.Text}\"]";
            Positions[at] = (key.Line, key.Column);
            if (key.ScalarType is not (ScalarType.String or ScalarType.Plain) || key.IsNull)
            {
                Error(at, $"expected a string key, got {key.Describe()}", key);
            }
            else if (value.IsNull)
            {
                // Go decodes null into a map[string]string as "".
                map[key.Text] = string.Empty;
            }
            else if (String(value, at) is { } text)
            {
                map[key.Text] = text;
            }
        }

        return map;
    }
}
