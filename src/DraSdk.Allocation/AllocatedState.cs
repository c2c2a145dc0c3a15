using k8s.Models;

namespace DraSdk.Allocation;

/// <summary>
/// The devices that are already in use: exclusively allocated devices, the share IDs of shared
/// devices and the capacity those shares consume. Devices allocated with admin access are not in use.
/// </summary>
public sealed class AllocatedState
{
    private readonly HashSet<DeviceId> _devices = [];
    private readonly HashSet<(DeviceId Device, string ShareId)> _shares = [];
    private readonly Dictionary<DeviceId, Dictionary<string, decimal>> _capacity = [];

    /// <summary>Builds the state from claims; those without <c>status.allocation</c> are skipped.</summary>
    /// <param name="claims">Claims, allocated or not.</param>
    /// <returns>The devices in use by the allocated claims.</returns>
    public static AllocatedState FromClaims(IEnumerable<Resourcev1ResourceClaim> claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var state = new AllocatedState();
        foreach (var claim in claims)
        {
            if (claim?.Status?.Allocation is { } allocation)
            {
                state.Add(allocation);
            }
        }
        return state;
    }

    /// <summary>The number of exclusively allocated devices.</summary>
    public int DeviceCount => _devices.Count;

    /// <summary>Marks the devices of an allocation result as in use.</summary>
    /// <param name="allocation">An allocation result, for example one returned by <see cref="Allocator.Allocate"/>.</param>
    public void Add(V1AllocationResult allocation)
    {
        ArgumentNullException.ThrowIfNull(allocation);
        foreach (var result in allocation.Devices?.Results ?? [])
        {
            if (result is null || result.AdminAccess == true)
            {
                continue;
            }
            var id = new DeviceId(result.Driver ?? "", result.Pool ?? "", result.Device ?? "");
            if (!string.IsNullOrEmpty(result.ShareID))
            {
                _shares.Add((id, result.ShareID));
                if (!_capacity.TryGetValue(id, out var consumed))
                {
                    consumed = new Dictionary<string, decimal>(StringComparer.Ordinal);
                    _capacity[id] = consumed;
                }
                foreach (var (name, quantity) in result.ConsumedCapacity ?? new Dictionary<string, ResourceQuantity>())
                {
                    consumed[name] = consumed.GetValueOrDefault(name) + (quantity?.ToDecimal() ?? 0);
                }
            }
            else
            {
                _devices.Add(id);
            }
        }
    }

    /// <summary>Marks one device as exclusively in use.</summary>
    /// <param name="device">The device.</param>
    public void AddDevice(DeviceId device) => _devices.Add(device);

    /// <summary>Whether the device is exclusively allocated.</summary>
    /// <param name="device">The device.</param>
    /// <returns>True when in use.</returns>
    public bool IsAllocated(DeviceId device) => _devices.Contains(device);

    internal bool HasShares(DeviceId device) => _capacity.ContainsKey(device);

    internal bool HasShareId(DeviceId device, string shareId) => _shares.Contains((device, shareId));

    internal Dictionary<string, decimal>? ConsumedCapacity(DeviceId device) => _capacity.GetValueOrDefault(device);

    /// <summary>Whether the device is allocated in any way (exclusively or shared): it then consumes counters.</summary>
    internal bool IsAllocatedAnyWay(DeviceId device) => _devices.Contains(device) || _capacity.ContainsKey(device);
}
