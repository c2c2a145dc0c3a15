using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>
/// A validated deep copy of the driver's resources, split into the ResourceSlices to publish, each with its content
/// normalized for comparison.
/// </summary>
internal sealed class DesiredState
{
    private DesiredState(long version, IReadOnlyDictionary<string, DesiredPool> pools)
    {
        Version = version;
        Pools = pools;
    }

    /// <summary>Increases with each update; a sync of version N publishes everything given up to N.</summary>
    public long Version { get; }

    /// <summary>The pools by name.</summary>
    public IReadOnlyDictionary<string, DesiredPool> Pools { get; }

    /// <summary>Validates, copies and splits <paramref name="resources"/>.</summary>
    /// <param name="resources">The driver's resources.</param>
    /// <param name="driverName">The driver.</param>
    /// <param name="nodeName">The node of a node-local publisher; null for network-attached pools.</param>
    /// <param name="version">The update's version.</param>
    /// <param name="listTypeAttributes">Whether list-type attributes may be published (<see cref="ResourceSlicePublisherOptions.ListTypeAttributes"/>).</param>
    /// <exception cref="ArgumentException">The resources are not valid.</exception>
    public static DesiredState Create(DriverResources resources, string driverName, string? nodeName, long version, bool listTypeAttributes = false)
    {
        ResourceValidation.Validate(resources, driverName, nodeName, listTypeAttributes);
        var pools = new Dictionary<string, DesiredPool>(StringComparer.Ordinal);
        foreach ((string poolName, Pool pool) in resources.Pools)
        {
            var slices = new List<DesiredSlice>();
            foreach (Slice slice in pool.Slices)
            {
                // A deep copy, so that the driver may change its objects afterwards.
                List<V1Device> devices = Copy(slice.Devices);
                List<V1CounterSet> counters = Copy(slice.SharedCounters);
                foreach (V1DeviceTaint taint in devices.SelectMany(d => d.Taints ?? []))
                {
                    // The API server keeps seconds only.
                    if (taint.TimeAdded is { } added)
                    {
                        taint.TimeAdded = new DateTime(added.Ticks - (added.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
                    }
                }

                foreach (SlicePart part in SliceSplitter.Split(devices, counters))
                {
                    var spec = new V1ResourceSliceSpec
                    {
                        Driver = driverName,
                        NodeName = nodeName,
                        NodeSelector = nodeName is null ? Copy(pool.NodeSelector) : null,
                        AllNodes = nodeName is null && pool.AllNodes ? true : null,
                        PerDeviceNodeSelection = nodeName is null && slice.PerDeviceNodeSelection ? true : null,
                        Devices = part.Devices.Count == 0 ? null : part.Devices,
                        SharedCounters = part.CounterSets.Count == 0 ? null : part.CounterSets,
                    };
                    slices.Add(new DesiredSlice(spec, SliceContent.Of(spec)));
                }
            }

            pools[poolName] = new DesiredPool(poolName, pool.Generation, slices);
        }

        return new DesiredState(version, pools);
    }

    private static List<T> Copy<T>(IReadOnlyList<T> items) =>
        items.Count == 0 ? [] : KubernetesJson.Deserialize<List<T>>(KubernetesJson.Serialize(items)) ?? [];

    private static T? Copy<T>(T? item)
        where T : class => item is null ? null : KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(item));
}

/// <summary>A pool to publish: its ResourceSlices in index order, and the lowest generation the driver asked for.</summary>
internal sealed record DesiredPool(string Name, long MinGeneration, IReadOnlyList<DesiredSlice> Slices);

/// <summary>One ResourceSlice to publish: its spec without <c>pool</c>, and the normalized content it must compare equal to.</summary>
internal sealed record DesiredSlice(V1ResourceSliceSpec Spec, JsonNode Content);
