using System.Text.Json.Serialization.Metadata;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace DraSdk.KubeletPlugin;

/// <summary>
/// A claim the kubelet asked this driver to prepare: fetched from the API server, checked to be allocated and
/// to have the expected UID, with only this driver's allocated devices and opaque configs.
/// </summary>
public sealed class PreparableClaim
{
    internal PreparableClaim(Resourcev1ResourceClaim claim, string driverName)
    {
        Claim = claim;
        Reference = new ClaimReference(claim.Metadata.NamespaceProperty, claim.Metadata.Name, claim.Metadata.Uid);
        V1DeviceAllocationResult? devices = claim.Status?.Allocation?.Devices;
        Devices = devices?.Results?.Where(r => r.Driver == driverName).ToArray() ?? [];
        Configs = SelectConfigs(devices?.Config, driverName);
    }

    /// <summary>
    /// Makes the driver's view of an allocated claim, as the SDK does on NodePrepareResources; for driver tests that
    /// call a driver directly.
    /// </summary>
    /// <param name="claim">An allocated claim with namespace, name and UID.</param>
    /// <param name="driverName">The driver whose devices and configs to select.</param>
    /// <exception cref="ArgumentException">The claim is not allocated or lacks its identity.</exception>
    public static PreparableClaim FromAllocatedClaim(Resourcev1ResourceClaim claim, string driverName)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentException.ThrowIfNullOrEmpty(driverName);
        if (string.IsNullOrEmpty(claim.Metadata?.Uid) || string.IsNullOrEmpty(claim.Metadata.Name) || string.IsNullOrEmpty(claim.Metadata.NamespaceProperty))
        {
            throw new ArgumentException("The claim needs metadata.namespace, metadata.name and metadata.uid.", nameof(claim));
        }

        if (claim.Status?.Allocation is null)
        {
            throw new ArgumentException($"Resource claim {claim.Metadata.NamespaceProperty}/{claim.Metadata.Name} is not allocated.", nameof(claim));
        }

        return new PreparableClaim(claim, driverName);
    }

    /// <summary>The claim's namespace, name and UID.</summary>
    public ClaimReference Reference { get; }

    /// <summary>The claim's UID, the key of results.</summary>
    public string Uid => Reference.Uid;

    /// <summary>The full claim as read from the API server.</summary>
    public Resourcev1ResourceClaim Claim { get; }

    /// <summary>The devices allocated to this claim from this driver, in allocation order.</summary>
    public IReadOnlyList<V1DeviceRequestAllocationResult> Devices { get; }

    /// <summary>
    /// This driver's opaque configurations, in precedence order: class configs first, then claim configs,
    /// each in the order given, so a later entry overrides an earlier one.
    /// </summary>
    public IReadOnlyList<OpaqueDeviceConfig> Configs { get; }

    /// <summary>The configurations that apply to one allocated device, in precedence order (the last one wins).</summary>
    /// <param name="device">One of <see cref="Devices"/>.</param>
    public IReadOnlyList<OpaqueDeviceConfig> ConfigsFor(V1DeviceRequestAllocationResult device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return [.. Configs.Where(c => c.AppliesTo(device.Request))];
    }

    /// <summary>
    /// The configuration of type <typeparamref name="T"/> that applies to <paramref name="device"/>: every applicable
    /// config of this driver is checked (its <c>apiVersion</c> and <c>kind</c>, then its fields, strictly) and the last
    /// one in precedence order wins (class configs, then claim configs). Null when none applies.
    /// </summary>
    /// <typeparam name="T">The driver's configuration type.</typeparam>
    /// <param name="device">One of <see cref="Devices"/>.</param>
    /// <param name="typeInfo">Its source-generated metadata.</param>
    /// <param name="apiVersion">The <c>apiVersion</c> every config must have.</param>
    /// <param name="kind">The <c>kind</c> every config must have.</param>
    /// <exception cref="OpaqueConfigException">A config is not a valid <typeparamref name="T"/>; the message names where in the claim.</exception>
    public T? GetConfig<T>(V1DeviceRequestAllocationResult device, JsonTypeInfo<T> typeInfo, string apiVersion, string kind)
        where T : class
    {
        T? result = null;
        foreach (OpaqueDeviceConfig config in ConfigsFor(device))
        {
            config.EnsureType(apiVersion, kind);
            result = config.Deserialize(typeInfo);
        }

        return result;
    }

    private static OpaqueDeviceConfig[] SelectConfigs(IList<V1DeviceAllocationConfiguration>? configs, string driverName)
    {
        if (configs is null || configs.Count == 0)
        {
            return [];
        }

        var selected = new List<OpaqueDeviceConfig>();
        for (int i = 0; i < configs.Count; i++)
        {
            V1DeviceAllocationConfiguration config = configs[i];
            if (config.Opaque is null || config.Opaque.Driver != driverName)
            {
                continue;
            }

            ConfigSource source = config.Source == "FromClass" ? ConfigSource.FromClass : ConfigSource.FromClaim;
            selected.Add(new OpaqueDeviceConfig(i, source, [.. config.Requests ?? []], ToJsonElement(config.Opaque.Parameters)));
        }

        // Stable sort: class configs before claim configs, original order within each.
        return [.. selected.OrderBy(c => c.Source == ConfigSource.FromClass ? 0 : 1)];
    }

    private static JsonElement ToJsonElement(object? parameters) => parameters switch
    {
        JsonElement element => element.Clone(),
        null => default,
        _ => JsonDocument.Parse(KubernetesJson.Serialize(parameters)).RootElement.Clone(),
    };
}
