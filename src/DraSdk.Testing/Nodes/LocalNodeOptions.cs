using Microsoft.Extensions.Hosting;

namespace DraSdk.Testing;

/// <summary>What a <see cref="LocalNode"/> runs: which driver, how its host is composed, and where its directories go.</summary>
public sealed class LocalNodeOptions
{
    /// <summary>The API server the node and its driver use (it outlives the node, so a second start is a restart).</summary>
    public required InMemoryKubernetesApiServer ApiServer { get; init; }

    /// <summary>The driver's name, as it registers with the kubelet.</summary>
    public required string DriverName { get; init; }

    /// <summary>
    /// Composes the driver on the host, as the driver's <c>Program.cs</c> does (e.g. <c>b =&gt; b.AddMyDriver()</c>).
    /// It runs after the node's settings are in <see cref="HostApplicationBuilder.Configuration"/> and the in-memory
    /// API server's client is registered as <c>IKubernetes</c>.
    /// </summary>
    public required Action<HostApplicationBuilder> ConfigureHost { get; init; }

    /// <summary>
    /// A short directory for the node's kubelet directories and the CDI specs (Unix socket paths are limited to 107
    /// bytes); it outlives the node. <see cref="LocalNode.NewRootDirectory"/> makes one.
    /// </summary>
    public required string RootDirectory { get; init; }

    /// <summary>The node's name (<c>NODE_NAME</c>); its Node object is created when missing.</summary>
    public string NodeName { get; init; } = "node-a";

    /// <summary>
    /// More settings for the driver's configuration, as environment variables would give them (e.g. <c>NUM_DEVICES</c>).
    /// </summary>
    public IDictionary<string, string?> Configuration { get; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>
    /// Whether to create a DeviceClass named after the driver that selects all its devices
    /// (<c>device.driver == '&lt;driver&gt;'</c>), when it is missing; on by default.
    /// </summary>
    public bool CreateDeviceClass { get; init; } = true;

    /// <summary>How long <see cref="LocalNode.StartAsync"/> waits for the fake kubelet to register the driver.</summary>
    public TimeSpan RegistrationTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
