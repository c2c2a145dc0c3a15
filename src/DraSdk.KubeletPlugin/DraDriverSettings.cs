namespace DraSdk.KubeletPlugin;

/// <summary>
/// The environment variables every DraSdk driver reads (bound into <see cref="DraDriverOptions"/> by <c>AddDraDriver</c>),
/// declared once: <see cref="DriverCommandLine"/> lists them in the driver's <c>--help</c>.
/// </summary>
public static class DraDriverSettings
{
    /// <summary><c>DRIVER_NAME</c>: the driver name, for drivers that let the environment choose it (not listed by default).</summary>
    public static DriverSetting<string?> DriverName { get; } =
        DriverSetting.Text("DRIVER_NAME", null, "The DRA driver name, a DNS subdomain of at most 63 characters.");

    /// <summary><c>NODE_NAME</c>: the node, required to run as a kubelet plugin.</summary>
    public static DriverSetting<string?> NodeName { get; } =
        DriverSetting.Text("NODE_NAME", null, "The node this instance serves; required (the DaemonSet sets it from fieldRef spec.nodeName).");

    /// <summary><c>KUBECONFIG</c>: a kubeconfig file; the in-cluster service account when unset.</summary>
    public static DriverSetting<string?> Kubeconfig { get; } =
        DriverSetting.Text("KUBECONFIG", null, "A kubeconfig file for the API server; unset: the pod's service account (in-cluster).");

    /// <summary><c>KUBELET_REGISTRAR_DIRECTORY_PATH</c>.</summary>
    public static DriverSetting<string?> RegistrarDirectory { get; } =
        DriverSetting.Path("KUBELET_REGISTRAR_DIRECTORY_PATH", DraDriverOptions.DefaultRegistrarDirectoryPath, "Where the kubelet looks for plugin registration sockets.");

    /// <summary><c>KUBELET_PLUGINS_DIRECTORY_PATH</c>.</summary>
    public static DriverSetting<string?> PluginsDirectory { get; } =
        DriverSetting.Path("KUBELET_PLUGINS_DIRECTORY_PATH", DraDriverOptions.DefaultKubeletPluginsDirectoryPath, "The kubelet's plugins directory; the driver's socket and checkpoint go in <this>/<driver name>.");

    /// <summary><c>CDI_ROOT</c>.</summary>
    public static DriverSetting<string?> CdiRoot { get; } =
        DriverSetting.Path("CDI_ROOT", DraDriverOptions.DefaultCdiRoot, "Where the driver writes CDI specs for the container runtime.");

    /// <summary><c>POD_UID</c>: per-pod socket names for rolling updates.</summary>
    public static DriverSetting<string?> PodUid { get; } =
        DriverSetting.Text("POD_UID", null, "The pod's UID (fieldRef metadata.uid); set: per-pod socket names, so that two instances can overlap in a rolling update.");

    /// <summary><c>HEALTH_PORT</c>: the TCP port of <c>/livez</c> and <c>/readyz</c>.</summary>
    public static DriverSetting<int?> HealthPort { get; } =
        DriverSetting.Port("HEALTH_PORT", "TCP port for the kubelet's HTTP probes: /livez (serving the kubelet sockets) and /readyz (registered by the kubelet).");

    /// <summary><c>METRICS_PORT</c>: the TCP port of <c>/metrics</c>.</summary>
    public static DriverSetting<int?> MetricsPort { get; } =
        DriverSetting.Port("METRICS_PORT", "TCP port for /metrics (Prometheus text format); may equal HEALTH_PORT.");

    /// <summary><c>HTTP_BIND_ADDRESS</c>: where the probe and metrics ports listen.</summary>
    public static DriverSetting<string?> HttpBindAddress { get; } =
        DriverSetting.Text("HTTP_BIND_ADDRESS", null, "The IP address the probe and metrics ports listen on; unset: all interfaces.",
            value => System.Net.IPAddress.TryParse(value, out _) ? null : "must be an IP address such as 0.0.0.0, :: or 127.0.0.1");

    /// <summary>The settings <see cref="DriverCommandLine"/> lists for every driver (all of the above but <see cref="DriverName"/>).</summary>
    public static IReadOnlyList<DriverSetting> Standard { get; } =
        [NodeName, Kubeconfig, RegistrarDirectory, PluginsDirectory, CdiRoot, PodUid, HealthPort, MetricsPort, HttpBindAddress];
}
