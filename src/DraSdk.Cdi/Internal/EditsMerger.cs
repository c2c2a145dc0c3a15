namespace DraSdk.Cdi.Internal;

/// <summary>
/// Merges container edits in the order the runtimes apply them: for each requested device, its spec's spec-level
/// edits the first time a device of that spec comes up, then the device's own edits. Environment variables are
/// last-wins per name (kept at the first name's position); a device node or mount replaces an earlier one with the
/// same container path; hooks add up in order; additional gids add up without 0 or repeats; a later
/// <c>intelRdt</c> replaces an earlier one; a network device replaces an earlier one with the same host interface.
/// Mounts end up sorted by the depth of their container path (parents before children), stable otherwise.
/// </summary>
internal sealed class EditsMerger
{
    private readonly OrderedDictionary<string, string> _env = new(StringComparer.Ordinal);
    private readonly List<DeviceNode> _nodes = [];
    private readonly List<Hook> _hooks = [];
    private readonly List<Mount> _mounts = [];
    private readonly List<uint> _gids = [];
    private readonly List<LinuxNetDevice> _netDevices = [];
    private IntelRdt? _intelRdt;

    public void Apply(ContainerEdits? edits)
    {
        if (edits is null)
        {
            return;
        }

        foreach (string entry in edits.Env ?? [])
        {
            int equals = entry.IndexOf('=', StringComparison.Ordinal);
            _env[equals < 0 ? entry : entry[..equals]] = entry;
        }

        foreach (DeviceNode node in edits.DeviceNodes ?? [])
        {
            _nodes.RemoveAll(n => n.Path == node.Path);
            _nodes.Add(node);
        }

        _hooks.AddRange(edits.Hooks ?? []);
        foreach (Mount mount in edits.Mounts ?? [])
        {
            _mounts.RemoveAll(m => m.ContainerPath == mount.ContainerPath);
            _mounts.Add(mount);
        }

        if (edits.IntelRdt is not null)
        {
            _intelRdt = edits.IntelRdt;
        }

        foreach (uint gid in edits.AdditionalGids ?? [])
        {
            if (gid != 0 && !_gids.Contains(gid))
            {
                _gids.Add(gid);
            }
        }

        foreach (LinuxNetDevice net in edits.NetDevices ?? [])
        {
            _netDevices.RemoveAll(n => n.HostInterfaceName == net.HostInterfaceName);
            _netDevices.Add(net);
        }
    }

    public ContainerEdits Build() => new()
    {
        Env = _env.Count == 0 ? null : [.. _env.Values],
        DeviceNodes = _nodes.Count == 0 ? null : [.. _nodes],
        Hooks = _hooks.Count == 0 ? null : [.. _hooks],
        Mounts = _mounts.Count == 0 ? null : [.. _mounts.OrderBy(m => Depth(m.ContainerPath))],
        IntelRdt = _intelRdt,
        AdditionalGids = _gids.Count == 0 ? null : [.. _gids],
        NetDevices = _netDevices.Count == 0 ? null : [.. _netDevices],
    };

    internal static int Depth(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).Count(segment => segment != ".");
}
