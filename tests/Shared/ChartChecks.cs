using System.Text.Json;
using Json.Schema;
using k8s.Models;

namespace DraSdk.Tests.Shared;

/// <summary>
/// The operator knobs every DraSdk chart has (the reference NVIDIA driver's and the template's), set all at once and
/// checked where Kubernetes reads them, and the chart's <c>values.schema.json</c> applied as Helm applies it.
/// </summary>
internal static class ChartChecks
{
    /// <summary>Every knob set to a value other than its default, as an operator's values file would.</summary>
    public const string EveryKnobYaml = """
        imagePullSecrets:
        - name: regcred
        tolerations:
        - key: example.com/accelerator
          operator: Exists
          effect: NoSchedule
        nodeSelector:
          kubernetes.io/os: linux
          example.com/accelerator: "true"
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
              - matchExpressions:
                - key: kubernetes.io/arch
                  operator: In
                  values: [amd64, arm64]
        resources:
          requests:
            cpu: 50m
            memory: 128Mi
          limits:
            memory: 1Gi
        priorityClassName: accelerator-drivers
        serviceAccount:
          create: true
          name: custom-sa
          annotations:
            example.com/role: driver
        podAnnotations:
          example.com/owner: team-a
        podLabels:
          team: accelerators
        updateStrategy:
          type: RollingUpdate
          rollingUpdate:
            maxSurge: 0
            maxUnavailable: 1
        healthPort: 9443
        metrics:
          enabled: true
          port: 9400
        """;

    public static Dictionary<string, object?> EveryKnob => Values(EveryKnobYaml);

    /// <summary>A values document (YAML) as Helm types it.</summary>
    public static Dictionary<string, object?> Values(string yaml) => (Dictionary<string, object?>)HelmTemplate.LoadYaml(yaml)!;

    /// <summary>What values.schema.json says of the values files merged in order and then the overrides: nothing when they are valid.</summary>
    public static List<string> SchemaErrors(string chartDirectory, string[] valuesFiles, IReadOnlyDictionary<string, object?>? overrides = null)
    {
        object? values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (string file in valuesFiles)
        {
            values = HelmTemplate.Merge(values, HelmTemplate.LoadYaml(File.ReadAllText(file)));
        }

        if (overrides is not null)
        {
            // As Helm coalesces: a null removes the key.
            values = HelmTemplate.Merge(values, overrides);
            RemoveNulls(values);
        }

        var schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(chartDirectory, "values.schema.json")));
        using JsonDocument document = JsonDocument.Parse(HelmTemplate.ToJsonNode(values)!.ToJsonString());
        EvaluationResults results = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return [];
        }

        List<string> errors = [.. (results.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))];
        return errors.Count > 0 ? errors : ["invalid"];
    }

    /// <summary>The DaemonSet and its neighbours have every knob of <see cref="EveryKnobYaml"/> where Kubernetes expects it.</summary>
    public static void AssertEveryKnob(List<object> objects, string chartName, string releaseNamespace)
    {
        V1DaemonSet daemonSet = objects.OfType<V1DaemonSet>().Single();
        V1PodSpec pod = daemonSet.Spec.Template.Spec;
        V1Container container = pod.Containers.Single();

        Assert.Equal(["regcred"], pod.ImagePullSecrets.Select(s => s.Name));
        V1Toleration toleration = Assert.Single(pod.Tolerations);
        Assert.Equal(("example.com/accelerator", "Exists", "NoSchedule"), (toleration.Key, toleration.OperatorProperty, toleration.Effect));
        Assert.Equal(new Dictionary<string, string> { ["kubernetes.io/os"] = "linux", ["example.com/accelerator"] = "true" }, pod.NodeSelector);
        V1NodeSelectorRequirement arch = pod.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms.Single().MatchExpressions.Single();
        Assert.Equal(("kubernetes.io/arch", "In"), (arch.Key, arch.OperatorProperty));
        Assert.Equal(["amd64", "arm64"], arch.Values);
        Assert.Equal("50m", container.Resources.Requests["cpu"].ToString());
        Assert.Equal("128Mi", container.Resources.Requests["memory"].ToString());
        Assert.Equal("1Gi", container.Resources.Limits["memory"].ToString());
        Assert.Equal("accelerator-drivers", pod.PriorityClassName);

        // The service account: named, annotated, and the one the RBAC binding and the admission policy name.
        Assert.Equal("custom-sa", pod.ServiceAccountName);
        V1ServiceAccount account = objects.OfType<V1ServiceAccount>().Single();
        Assert.Equal(("custom-sa", releaseNamespace), (account.Metadata.Name, account.Metadata.NamespaceProperty));
        Assert.Equal("driver", account.Metadata.Annotations["example.com/role"]);
        Assert.Equal("custom-sa", objects.OfType<V1ClusterRoleBinding>().Single().Subjects.Single().Name);
        Assert.Contains($"system:serviceaccount:{releaseNamespace}:custom-sa\"", objects.OfType<V1ValidatingAdmissionPolicy>().Single().Spec.MatchConditions.Single().Expression, StringComparison.Ordinal);

        // Pod metadata: the operator's labels and annotations beside the chart's; the selector still matches.
        IDictionary<string, string> labels = daemonSet.Spec.Template.Metadata.Labels;
        Assert.Equal("accelerators", labels["team"]);
        Assert.All(daemonSet.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, labels[l.Key]));
        Assert.Equal(chartName, daemonSet.Spec.Selector.MatchLabels["app.kubernetes.io/name"]);
        IDictionary<string, string> annotations = daemonSet.Spec.Template.Metadata.Annotations;
        Assert.Equal("team-a", annotations["example.com/owner"]);
        Assert.Equal(("true", "9400", "/metrics"), (annotations["prometheus.io/scrape"], annotations["prometheus.io/port"], annotations["prometheus.io/path"]));

        Assert.Equal("RollingUpdate", daemonSet.Spec.UpdateStrategy.Type);
        Assert.Equal(("0", "1"), (daemonSet.Spec.UpdateStrategy.RollingUpdate.MaxSurge.Value, daemonSet.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable.Value));

        // Probes on the health port, the metrics port, and the driver told both.
        Assert.Equal([("health", 9443), ("metrics", 9400)], container.Ports.Select(p => (p.Name, p.ContainerPort)));
        Assert.All(container.Ports, p => Assert.Equal("TCP", p.Protocol));
        Assert.Equal(("/livez", "health"), (container.LivenessProbe.HttpGet.Path, container.LivenessProbe.HttpGet.Port.Value));
        Assert.Equal(("/readyz", "health"), (container.ReadinessProbe.HttpGet.Path, container.ReadinessProbe.HttpGet.Port.Value));
        Assert.Equal("9443", container.Env.Single(e => e.Name == "HEALTH_PORT").Value);
        Assert.Equal("9400", container.Env.Single(e => e.Name == "METRICS_PORT").Value);
    }

    /// <summary>The defaults: probes on 8081, no metrics endpoint, every node, node-critical, the chart's own service account.</summary>
    public static void AssertDefaults(List<object> objects, string chartName)
    {
        V1DaemonSet daemonSet = objects.OfType<V1DaemonSet>().Single();
        V1PodSpec pod = daemonSet.Spec.Template.Spec;
        V1Container container = pod.Containers.Single();

        Assert.Equal(chartName, pod.ServiceAccountName);
        Assert.Equal(chartName, objects.OfType<V1ServiceAccount>().Single().Metadata.Name);
        Assert.Equal("system-node-critical", pod.PriorityClassName);
        Assert.Equal("Exists", Assert.Single(pod.Tolerations).OperatorProperty);
        Assert.Null(pod.ImagePullSecrets);
        Assert.Null(pod.Affinity);
        Assert.Null(daemonSet.Spec.Template.Metadata.Annotations);
        Assert.Equal(("10m", "64Mi", "256Mi"), (container.Resources.Requests["cpu"].ToString(), container.Resources.Requests["memory"].ToString(), container.Resources.Limits["memory"].ToString()));
        Assert.Equal(("1", "0"), (daemonSet.Spec.UpdateStrategy.RollingUpdate.MaxSurge.Value, daemonSet.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable.Value));
        Assert.Equal([("health", 8081)], container.Ports.Select(p => (p.Name, p.ContainerPort)));
        Assert.Equal("/livez", container.LivenessProbe.HttpGet.Path);
        Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal("8081", container.Env.Single(e => e.Name == "HEALTH_PORT").Value);
        Assert.DoesNotContain(container.Env, e => e.Name == "METRICS_PORT");
    }

    /// <summary>Without a health port: no probes, no port, no HEALTH_PORT; with an existing service account: none created.</summary>
    public static void AssertNoProbesAndExistingServiceAccount(List<object> objects)
    {
        V1PodSpec pod = objects.OfType<V1DaemonSet>().Single().Spec.Template.Spec;
        V1Container container = pod.Containers.Single();
        Assert.Null(container.LivenessProbe);
        Assert.Null(container.ReadinessProbe);
        Assert.Null(container.Ports);
        Assert.DoesNotContain(container.Env, e => e.Name == "HEALTH_PORT");
        Assert.Empty(objects.OfType<V1ServiceAccount>());
        Assert.Equal("existing-sa", pod.ServiceAccountName);
        Assert.Equal("existing-sa", objects.OfType<V1ClusterRoleBinding>().Single().Subjects.Single().Name);
    }

    /// <summary>Values the schema must refuse, each with the location the refusal names.</summary>
    /// <summary>The values of <c>resourceApiVersion</c>: what Kubernetes 1.34+, 1.33 and 1.32 serve.</summary>
    public static TheoryData<string> ResourceApiVersions() => ["resource.k8s.io/v1", "resource.k8s.io/v1beta2", "resource.k8s.io/v1beta1"];

    /// <summary>Renders the chart's DeviceClasses in <paramref name="apiVersion"/>: every one of them, and nothing else of resource.k8s.io.</summary>
    public static void AssertDeviceClassesIn(List<object> objects, string apiVersion)
    {
        List<k8s.IKubernetesObject> classes = [.. objects.OfType<k8s.IKubernetesObject>().Where(o => o.Kind == "DeviceClass")];
        Assert.NotEmpty(classes);
        Assert.All(classes, c => Assert.Equal(apiVersion, c.ApiVersion));
        Assert.All(objects.OfType<k8s.IKubernetesObject>().Where(o => o.ApiVersion.StartsWith("resource.k8s.io/", StringComparison.Ordinal)), o => Assert.Equal(apiVersion, o.ApiVersion));
    }

    public static TheoryData<string, string> BadValues() => new()
    {
        { "resourceApiVersion: resource.k8s.io/v1alpha3", "/resourceApiVersion" },
        { "image: {pullPolicy: Sometimes}", "/image/pullPolicy" },
        { "healthPort: http", "/healthPort" },
        { "metrics: {port: 70000}", "/metrics/port" },
        { "metrics: {enabled: \"yes\"}", "/metrics/enabled" },
        { "logLevel: Verbose", "/logLevel" },
        { "nodeselector: {a: b}", "/nodeselector" },
        { "tolerations: all", "/tolerations" },
        { "imagePullSecrets: [regcred]", "/imagePullSecrets/0" },
        { "serviceAccount: {create: \"false\"}", "/serviceAccount/create" },
        { "updateStrategy: {type: Recreate}", "/updateStrategy/type" },
        { "kubeletPluginsDirectoryPath: var/lib/kubelet/plugins", "/kubeletPluginsDirectoryPath" },
    };

    /// <summary>
    /// The DeviceClasses declare <c>extendedResourceName</c> only where a value names one (the DRAExtendedResource
    /// bridge, off by default), exactly as given.
    /// </summary>
    public static void AssertExtendedResourceNames(List<object> objects, IReadOnlyDictionary<string, string?> expectedByClass)
    {
        Dictionary<string, string?> rendered = objects.OfType<V1DeviceClass>().ToDictionary(c => c.Metadata.Name, c => (string?)c.Spec.ExtendedResourceName);
        Assert.Equal(expectedByClass.OrderBy(p => p.Key, StringComparer.Ordinal), rendered.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    /// <summary>Extended resource names the charts' schemas refuse: not domain-qualified, in kubernetes.io, a quota name, a space.</summary>
    public static TheoryData<string> BadExtendedResourceNames() => new() { "gpu", "kubernetes.io/gpu", "node.kubernetes.io/gpu", "requests.example.com/gpu", "example.com/ gpu", "Example.com/gpu" };

    private static void RemoveNulls(object? value)
    {
        if (value is Dictionary<string, object?> map)
        {
            foreach (string key in map.Where(p => p.Value is null).Select(p => p.Key).ToList())
            {
                map.Remove(key);
            }

            foreach (object? item in map.Values)
            {
                RemoveNulls(item);
            }
        }
    }
}
