using System.Text;

namespace DraSdk.Cdi.Internal;

/// <summary>
/// Checks a spec the way the runtimes' CDI library does on load and write, plus the checks it leaves out (absolute
/// paths, hook timeouts, interface names, annotation keys, duplicates across spec and device edits).
/// </summary>
internal sealed class SpecValidator
{
    /// <summary>The most bytes of annotation keys plus values in one map, as Kubernetes allows.</summary>
    internal const int MaxAnnotationBytes = 256 * 1024;

    /// <summary>Linux interface names are at most IFNAMSIZ - 1 characters.</summary>
    internal const int MaxInterfaceNameLength = 15;

    private readonly List<CdiValidationError> _errors = [];

    private SpecValidator()
    {
    }

    /// <param name="spec">The spec.</param>
    /// <param name="strictVendor">Require a lowercase DNS subdomain vendor (for specs this library writes).</param>
    public static IReadOnlyList<CdiValidationError> Validate(CdiSpec spec, bool strictVendor)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var validator = new SpecValidator();
        validator.Run(spec, strictVendor);
        return validator._errors;
    }

    private void Add(string field, string message) => _errors.Add(new CdiValidationError(field, message));

    private void Run(CdiSpec spec, bool strictVendor)
    {
        if (spec.Version is { } version && spec.Version < CdiVersion.V0_3_0)
        {
            Add("cdiVersion", $"cdiVersion {version} is no longer valid; the lowest is {CdiVersion.V0_3_0}");
        }

        if (!CdiKind.TryParse(spec.Kind, out CdiKind kind, out string? kindError))
        {
            Add("kind", $"\"{spec.Kind}\" is not a valid kind (vendor/class): {kindError}");
        }
        else if (strictVendor && CdiNames.StrictVendorError(kind.Vendor) is { } vendorError)
        {
            Add("kind", vendorError);
        }

        CheckAnnotations(spec.Annotations, "annotations");

        var specNodePaths = new Dictionary<string, string>(StringComparer.Ordinal);
        var specMountPaths = new Dictionary<string, string>(StringComparer.Ordinal);
        if (spec.ContainerEdits is { } specEdits)
        {
            CheckEdits(specEdits, "containerEdits", specNodePaths, specMountPaths);
        }

        IReadOnlyList<CdiDevice>? devices = spec.Devices;
        if (devices is null || devices.Count == 0)
        {
            Add("devices", "a spec needs at least one device");
            devices = [];
        }

        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < devices.Count; i++)
        {
            string path = $"devices[{i}]";
            CdiDevice? device = devices[i];
            if (device is null)
            {
                Add(path, "is null");
                continue;
            }

            if (CdiNames.DeviceNameError(device.Name) is { } nameError)
            {
                Add($"{path}.name", nameError);
            }
            else if (!names.TryAdd(device.Name, i))
            {
                Add($"{path}.name", $"multiple devices named \"{device.Name}\" (also devices[{names[device.Name]}])");
            }

            CheckAnnotations(device.Annotations, $"{path}.annotations");
            if (device.ContainerEdits is null || device.ContainerEdits.IsEmpty)
            {
                Add($"{path}.containerEdits", "a device's container edits must not be empty");
            }
            else
            {
                CheckEdits(device.ContainerEdits, $"{path}.containerEdits",
                    new Dictionary<string, string>(specNodePaths, StringComparer.Ordinal),
                    new Dictionary<string, string>(specMountPaths, StringComparer.Ordinal));
            }
        }

        if (spec.Version is { } requested && requested >= CdiVersion.V0_3_0)
        {
            CdiVersionRequirement required = MinimumVersion.Compute(spec);
            if (requested < required.Version)
            {
                Add("cdiVersion", $"cdiVersion {requested} is below the {required.Version} the content needs: {required}");
            }
        }
    }

    private void CheckEdits(ContainerEdits edits, string path, Dictionary<string, string> nodePaths, Dictionary<string, string> mountPaths)
    {
        CheckEnv(edits.Env, $"{path}.env");

        IReadOnlyList<DeviceNode> nodes = edits.DeviceNodes ?? [];
        for (int i = 0; i < nodes.Count; i++)
        {
            CheckDeviceNode(nodes[i], $"{path}.deviceNodes[{i}]", nodePaths);
        }

        IReadOnlyList<Hook> hooks = edits.Hooks ?? [];
        for (int i = 0; i < hooks.Count; i++)
        {
            CheckHook(hooks[i], $"{path}.hooks[{i}]");
        }

        IReadOnlyList<Mount> mounts = edits.Mounts ?? [];
        for (int i = 0; i < mounts.Count; i++)
        {
            CheckMount(mounts[i], $"{path}.mounts[{i}]", mountPaths);
        }

        if (edits.IntelRdt is { ClosId: { Length: > 0 } closId } && ClosIdError(closId) is { } closError)
        {
            Add($"{path}.intelRdt.closID", closError);
        }

        if (edits.IntelRdt?.Schemata is { } schemata)
        {
            for (int i = 0; i < schemata.Count; i++)
            {
                if (schemata[i] is null)
                {
                    Add($"{path}.intelRdt.schemata[{i}]", "is null");
                }
            }
        }

        IReadOnlyList<LinuxNetDevice> netDevices = edits.NetDevices ?? [];
        var hostNames = new Dictionary<string, int>(StringComparer.Ordinal);
        var containerNames = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < netDevices.Count; i++)
        {
            string at = $"{path}.netDevices[{i}]";
            if (netDevices[i] is not { } net)
            {
                Add(at, "is null");
                continue;
            }

            if (CheckInterfaceName(net.HostInterfaceName, $"{at}.hostInterfaceName") && !hostNames.TryAdd(net.HostInterfaceName, i))
            {
                Add($"{at}.hostInterfaceName", $"duplicate host interface \"{net.HostInterfaceName}\" (also {path}.netDevices[{hostNames[net.HostInterfaceName]}])");
            }

            if (CheckInterfaceName(net.Name, $"{at}.name") && !containerNames.TryAdd(net.Name, i))
            {
                Add($"{at}.name", $"duplicate interface name \"{net.Name}\" (also {path}.netDevices[{containerNames[net.Name]}])");
            }
        }
    }

    private void CheckEnv(IReadOnlyList<string>? env, string path)
    {
        if (env is null)
        {
            return;
        }

        for (int i = 0; i < env.Count; i++)
        {
            string? entry = env[i];
            if (entry is null)
            {
                Add($"{path}[{i}]", "is null");
            }
            else if (entry.IndexOf('=', StringComparison.Ordinal) <= 0)
            {
                Add($"{path}[{i}]", $"\"{entry}\" is not KEY=VALUE (a non-empty key followed by '=')");
            }
        }
    }

    private void CheckDeviceNode(DeviceNode? node, string path, Dictionary<string, string> seenPaths)
    {
        if (node is null)
        {
            Add(path, "is null");
            return;
        }

        if (CheckAbsolute(node.Path, $"{path}.path", "the device node's path in the container") &&
            !seenPaths.TryAdd(node.Path, $"{path}.path"))
        {
            Add($"{path}.path", $"\"{node.Path}\" is also set by {seenPaths[node.Path]}; the later one would replace it");
        }

        if (!string.IsNullOrEmpty(node.HostPath) && node.HostPath[0] != '/')
        {
            Add($"{path}.hostPath", $"\"{node.HostPath}\" must be an absolute host path");
        }

        if (!string.IsNullOrEmpty(node.Type) && node.Type is not ("b" or "c" or "u" or "p"))
        {
            Add($"{path}.type", $"\"{node.Type}\" is not a device type: use b (block), c or u (character) or p (FIFO)");
        }

        if (!string.IsNullOrEmpty(node.Permissions) && !node.Permissions.All(c => c is 'r' or 'w' or 'm'))
        {
            Add($"{path}.permissions", $"\"{node.Permissions}\" must use only the letters r, w and m");
        }

        if (node.Major < 0)
        {
            Add($"{path}.major", $"{node.Major} is negative");
        }

        if (node.Minor < 0)
        {
            Add($"{path}.minor", $"{node.Minor} is negative");
        }

        if (node.FileMode is > 0x1FF)
        {
            Add($"{path}.fileMode", $"{node.FileMode} (octal {Convert.ToString(node.FileMode.Value, 8)}) has bits beyond the permission bits 0777");
        }
    }

    private void CheckHook(Hook? hook, string path)
    {
        if (hook is null)
        {
            Add(path, "is null");
            return;
        }

        if (!CdiHookNames.IsValid(hook.HookName))
        {
            Add($"{path}.hookName", $"\"{hook.HookName}\" is not a hook name: use prestart, createRuntime, createContainer, startContainer, poststart or poststop");
        }

        CheckAbsolute(hook.Path, $"{path}.path", "the hook's path");
        CheckEnv(hook.Env, $"{path}.env");
        if (hook.Timeout is <= 0)
        {
            Add($"{path}.timeout", $"{hook.Timeout} must be greater than 0 seconds");
        }
    }

    private void CheckMount(Mount? mount, string path, Dictionary<string, string> seenPaths)
    {
        if (mount is null)
        {
            Add(path, "is null");
            return;
        }

        if (string.IsNullOrEmpty(mount.HostPath))
        {
            Add($"{path}.hostPath", "is empty");
        }

        if (CheckAbsolute(mount.ContainerPath, $"{path}.containerPath", "the mount's path in the container") &&
            !seenPaths.TryAdd(mount.ContainerPath, $"{path}.containerPath"))
        {
            Add($"{path}.containerPath", $"\"{mount.ContainerPath}\" is also mounted by {seenPaths[mount.ContainerPath]}; the later one would replace it");
        }

        if (mount.Options is { } options && options.Any(o => o is null))
        {
            Add($"{path}.options", "holds a null option");
        }
    }

    private bool CheckAbsolute(string? value, string field, string what)
    {
        if (string.IsNullOrEmpty(value))
        {
            Add(field, "is empty");
            return false;
        }

        if (value[0] != '/')
        {
            Add(field, $"\"{value}\" must be absolute ({what})");
            return false;
        }

        return true;
    }

    private bool CheckInterfaceName(string? name, string field)
    {
        if (string.IsNullOrEmpty(name))
        {
            Add(field, "is empty");
            return false;
        }

        if (name.Length > MaxInterfaceNameLength)
        {
            Add(field, $"\"{name}\" is {name.Length} characters; Linux interface names are at most {MaxInterfaceNameLength}");
        }
        else if (name is "." or ".." || name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            Add(field, $"\"{name}\" is not a valid interface name (no '/', ':', whitespace; not '.' or '..')");
        }

        return true;
    }

    private static string? ClosIdError(string closId)
    {
        if (closId == "/")
        {
            return null;
        }

        if (closId.Length >= 4096 || closId is "." or ".." || closId.Contains('/', StringComparison.Ordinal) ||
            closId.Contains('\n', StringComparison.Ordinal))
        {
            return $"\"{closId}\" must be \"/\" or a file name (under 4096 characters, not . or .., no '/' or newline)";
        }

        return null;
    }

    private void CheckAnnotations(IReadOnlyDictionary<string, string>? annotations, string path)
    {
        if (annotations is null)
        {
            return;
        }

        long total = 0;
        foreach ((string key, string value) in annotations)
        {
            total += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value ?? string.Empty);
            if (AnnotationKeyError(key) is { } error)
            {
                Add($"{path}[\"{key}\"]", error);
            }
            else if (value is null)
            {
                Add($"{path}[\"{key}\"]", "the value is null");
            }
        }

        if (total > MaxAnnotationBytes)
        {
            Add(path, $"keys and values total {total} bytes, more than {MaxAnnotationBytes}");
        }
    }

    /// <summary>Kubernetes qualified-name rules for an annotation key: [DNS-subdomain prefix '/'] name.</summary>
    internal static string? AnnotationKeyError(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "the key is empty";
        }

        string name = key;
        int slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            string prefix = key[..slash];
            name = key[(slash + 1)..];
            if (!IsDnsSubdomain(prefix))
            {
                return $"the key prefix \"{prefix}\" must be a lowercase DNS subdomain of at most 253 characters";
            }
        }

        if (name.Length == 0 || name.Length > 63)
        {
            return $"the key name \"{name}\" must be 1 to 63 characters";
        }

        if (!CdiNames.IsAsciiAlnum(name[0]) || !CdiNames.IsAsciiAlnum(name[^1]) ||
            !name.All(c => CdiNames.IsAsciiAlnum(c) || c is '-' or '_' or '.'))
        {
            return $"the key name \"{name}\" must be letters, digits, '-', '_', '.', starting and ending with a letter or digit";
        }

        return null;
    }

    private static bool IsDnsSubdomain(string value)
    {
        if (value.Length == 0 || value.Length > 253)
        {
            return false;
        }

        foreach (string label in value.Split('.'))
        {
            if (label.Length == 0 || label.Length > 63 || !IsLowerAlnum(label[0]) || !IsLowerAlnum(label[^1]) ||
                !label.All(c => IsLowerAlnum(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLowerAlnum(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);
}
