using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>A validated deep copy of the driver's resources, with each slice's content normalized for comparison.</summary>
internal sealed partial class DesiredState
{
    private DesiredState(long version, IReadOnlyList<DesiredPool> pools)
    {
        Version = version;
        Pools = pools;
    }

    /// <summary>Increases with each update; a sync of version N publishes everything given up to N.</summary>
    public long Version { get; }

    /// <summary>The pools, ordered by name.</summary>
    public IReadOnlyList<DesiredPool> Pools { get; }

    /// <summary>Validates and copies <paramref name="resources"/>.</summary>
    /// <exception cref="ArgumentException">The resources are not valid.</exception>
    public static DesiredState Create(DriverResources resources, string driverName, string nodeName, long version)
    {
        ArgumentNullException.ThrowIfNull(resources);
        if (resources.Pools is null)
        {
            throw new ArgumentException("DriverResources.Pools must not be null.", nameof(resources));
        }

        var pools = new List<DesiredPool>(resources.Pools.Count);
        foreach ((string poolName, Pool? pool) in resources.Pools.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (ValidatePoolName(poolName) is { } problem)
            {
                throw new ArgumentException($"Pool name '{poolName}' is not valid: {problem}.", nameof(resources));
            }

            if (pool?.Slices is null || pool.Slices.Count == 0)
            {
                throw new ArgumentException(
                    $"Pool '{poolName}' has no slices; give it at least one slice (a slice may have no devices).", nameof(resources));
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var slices = new List<DesiredSlice>(pool.Slices.Count);
            for (int i = 0; i < pool.Slices.Count; i++)
            {
                Slice? slice = pool.Slices[i];
                if (slice?.Devices is null)
                {
                    throw new ArgumentException($"Slice {i} of pool '{poolName}' is null or has null Devices.", nameof(resources));
                }

                foreach (V1Device? device in slice.Devices)
                {
                    if (device is null || string.IsNullOrEmpty(device.Name))
                    {
                        throw new ArgumentException($"Slice {i} of pool '{poolName}' has a device that is null or has no name.", nameof(resources));
                    }

                    if (!seen.Add(device.Name))
                    {
                        throw new ArgumentException($"Device '{device.Name}' appears more than once in pool '{poolName}'.", nameof(resources));
                    }
                }

                // A deep copy, so that the driver may change its objects afterwards.
                List<V1Device> devices = KubernetesJson.Deserialize<List<V1Device>>(KubernetesJson.Serialize(slice.Devices)) ?? [];
                var spec = new V1ResourceSliceSpec { Driver = driverName, NodeName = nodeName, Devices = devices };
                slices.Add(new DesiredSlice(devices, SliceContent.Of(spec)));
            }

            pools.Add(new DesiredPool(poolName, slices));
        }

        return new DesiredState(version, pools);
    }

    /// <summary>Pool names: at most 253 characters, '/'-separated DNS subdomains.</summary>
    internal static string? ValidatePoolName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "it must not be empty";
        }

        if (name.Length > 253)
        {
            return $"it must be no more than 253 characters (it has {name.Length})";
        }

        return name.Split('/').All(segment => DnsSubdomainPattern().IsMatch(segment))
            ? null
            : "it must consist of DNS subdomains (lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character), optionally separated by '/'";
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomainPattern();
}

/// <summary>A pool to publish.</summary>
internal sealed record DesiredPool(string Name, IReadOnlyList<DesiredSlice> Slices);

/// <summary>A slice to publish: its devices and the normalized content they must compare equal to.</summary>
internal sealed record DesiredSlice(IList<V1Device> Devices, JsonNode Content);
