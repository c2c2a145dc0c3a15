namespace DraSdk.KubeletPlugin;

/// <summary>
/// Settings of a DRA driver's kubelet plugin. Bound, in increasing precedence, from the conventional
/// environment variables (<c>DRIVER_NAME</c>, <c>NODE_NAME</c>, <c>KUBECONFIG</c>, <c>KUBELET_REGISTRAR_DIRECTORY_PATH</c>,
/// <c>KUBELET_PLUGINS_DIRECTORY_PATH</c>, <c>CDI_ROOT</c>, <c>POD_UID</c>, <c>HEALTH_PORT</c>, <c>METRICS_PORT</c>,
/// <c>HTTP_BIND_ADDRESS</c>: <see cref="DraDriverSettings"/>), the <c>DraDriver</c> configuration section,
/// and the delegate given to <c>AddDraDriver</c>.
/// </summary>
public sealed class DraDriverOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "DraDriver";

    /// <summary>The kubelet's default plugin registration directory.</summary>
    public const string DefaultRegistrarDirectoryPath = "/var/lib/kubelet/plugins_registry";

    /// <summary>The kubelet's default plugins directory; a driver's data directory is <c>&lt;this&gt;/&lt;driver name&gt;</c>.</summary>
    public const string DefaultKubeletPluginsDirectoryPath = "/var/lib/kubelet/plugins";

    /// <summary>The default directory for transient CDI specs.</summary>
    public const string DefaultCdiRoot = "/var/run/cdi";

    /// <summary>The driver name, a DNS subdomain such as <c>gpu.example.com</c>. Required.</summary>
    public string DriverName { get; set; } = string.Empty;

    /// <summary>The node this instance runs on (<c>NODE_NAME</c>, usually from the downward API). Needed to publish ResourceSlices.</summary>
    public string? NodeName { get; set; }

    /// <summary>A kubeconfig file (<c>KUBECONFIG</c>); when unset, the in-cluster service account is used.</summary>
    public string? KubeconfigPath { get; set; }

    /// <summary>Where the kubelet looks for registration sockets (<c>KUBELET_REGISTRAR_DIRECTORY_PATH</c>).</summary>
    public string RegistrarDirectoryPath { get; set; } = DefaultRegistrarDirectoryPath;

    /// <summary>The kubelet's plugins directory (<c>KUBELET_PLUGINS_DIRECTORY_PATH</c>).</summary>
    public string KubeletPluginsDirectoryPath { get; set; } = DefaultKubeletPluginsDirectoryPath;

    /// <summary>
    /// The driver's own data directory, which holds the DRA socket, the serialization lock and the checkpoint.
    /// Defaults to <c>&lt;KubeletPluginsDirectoryPath&gt;/&lt;DriverName&gt;</c>.
    /// </summary>
    public string? PluginDataDirectoryPath { get; set; }

    /// <summary>Where the driver writes CDI specs (<c>CDI_ROOT</c>).</summary>
    public string CdiRoot { get; set; } = DefaultCdiRoot;

    /// <summary>
    /// The pod UID (<c>POD_UID</c>). When set, sockets get per-pod names so that two instances can run side by side
    /// during a rolling update (kubelet 1.33+), and calls are serialized across instances with a file lock.
    /// </summary>
    public string? PodUid { get; set; }

    /// <summary>Whether prepare and unprepare calls run one at a time. Default: true.</summary>
    public bool SerializeCalls { get; set; } = true;

    /// <summary>Where the cross-instance lock file <c>serialize.lock</c> lives; defaults to the plugin data directory.</summary>
    public string? LockDirectoryPath { get; set; }

    /// <summary>Whether to serve and advertise DRA v1 (<c>v1.DRAPlugin</c>). Default: true.</summary>
    public bool ServeV1 { get; set; } = true;

    /// <summary>Whether to serve and advertise DRA v1beta1 (<c>v1beta1.DRAPlugin</c>) for older kubelets. Default: true.</summary>
    public bool ServeV1Beta1 { get; set; } = true;

    /// <summary>
    /// How long after it starts serving the driver waits for the kubelet to register it before it logs a warning; while it
    /// stays unregistered it warns again at doubling intervals, up to every 10 minutes. A kubelet registers a running
    /// driver within about a second, so a warning means the kubelet cannot reach or refused it (the message says which).
    /// Default: 1 minute; <see cref="Timeout.InfiniteTimeSpan"/> turns the warnings off.
    /// </summary>
    public TimeSpan RegistrationWarningDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long shutdown waits for calls in flight before closing the sockets. Default: 5 seconds.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The TCP port (<c>HEALTH_PORT</c>) of the HTTP probes: <c>/livez</c> answers 200 while the driver serves its kubelet
    /// sockets (an API server outage does not fail it), <c>/readyz</c> 200 while the kubelet has the driver registered
    /// and every health check tagged <c>ready</c> passes, else 503. Null (the default): no probe port. 0: any free port.
    /// </summary>
    public int? HealthPort { get; set; }

    /// <summary>
    /// The TCP port (<c>METRICS_PORT</c>) of <c>/metrics</c>: the SDK's meters (and every meter named <c>DraSdk.*</c> or in
    /// <see cref="MetricsMeterNames"/>) in the Prometheus text format. Null (the default): no metrics port. It may be the
    /// same as <see cref="HealthPort"/>; 0: any free port.
    /// </summary>
    public int? MetricsPort { get; set; }

    /// <summary>More meters (exact names) that <c>/metrics</c> exports, besides the SDK's <c>DraSdk.*</c>.</summary>
    public IList<string> MetricsMeterNames { get; } = [];

    /// <summary>The IP address the probe and metrics ports listen on (<c>HTTP_BIND_ADDRESS</c>); null: all interfaces.</summary>
    public string? HttpBindAddress { get; set; }

    /// <summary>The effective plugin data directory.</summary>
    public string EffectivePluginDataDirectoryPath =>
        PluginDataDirectoryPath ?? Path.Combine(KubeletPluginsDirectoryPath, DriverName);
}
