using k8s;
using k8s.Models;
using DraSdk.Tests.Shared;

namespace NvidiaGpuDriver.Tests;

/// <summary>
/// Everything under deployments/ that can be checked without a cluster: every manifest and demo spec parses as the
/// Kubernetes types without losing a field, the chart renders to the static manifest, the kind config and Dockerfile.
/// </summary>
public sealed class DeploymentTests
{
    private static string Deployments => Path.Combine(Fixtures.RepositoryRoot, "examples", "NvidiaGpuDriver", "deployments");

    public static TheoryData<string> Manifests()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(Deployments, "static"), "*.yaml").Concat(Directory.GetFiles(Path.Combine(Deployments, "demo"), "*.yaml")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(Deployments, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Every_manifest_parses_as_Kubernetes_types_without_losing_a_field(string relativePath)
    {
        List<object> objects = KubernetesManifests.LoadLossless(File.ReadAllText(Path.Combine(Deployments, relativePath)), relativePath);

        Assert.NotEmpty(objects);
    }

    private static string Chart => Path.Combine(Deployments, "helm", "nvidia-gpu-driver");

    private static string[] DefaultValues => [Path.Combine(Chart, "values.yaml")];

    [Fact]
    public void The_static_manifest_is_the_chart_rendered_with_the_kind_values()
    {
        // UPDATE_STATIC_MANIFEST=1 rewrites it (what `helm template` gives, for `kubectl apply -f` without helm).
        string staticManifest = Path.Combine(Deployments, "static", "nvidia-gpu-driver.yaml");
        string[] kindValues = [Path.Combine(Chart, "values.yaml"), Path.Combine(Chart, "values-kind.yaml")];
        if (Environment.GetEnvironmentVariable("UPDATE_STATIC_MANIFEST") == "1")
        {
            string header = "# nvidia-gpu-driver for kind: the Helm chart ../helm/nvidia-gpu-driver rendered with values.yaml + values-kind.yaml,\n" +
                "# namespace nvidia-dra-driver (UPDATE_STATIC_MANIFEST=1 dotnet test tests/NvidiaGpuDriver.Tests rewrites it; `helm template` gives the same).\n" +
                "# Apply with: kubectl apply -f nvidia-gpu-driver.yaml\n";
            IEnumerable<string> documents = HelmTemplate.RenderChart(Chart, "nvidia-dra-driver", "nvidia-gpu-driver", kindValues).Select(t => $"# Source: nvidia-gpu-driver/{t.Template}\n{t.Yaml}");
            File.WriteAllText(staticManifest, header + "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: nvidia-dra-driver\n---\n" + string.Join("---\n", documents));
        }

        var rendered = new List<object> { new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "nvidia-dra-driver" } } };
        rendered.AddRange(KubernetesManifests.RenderChart(Chart, "nvidia-dra-driver", "nvidia-gpu-driver", kindValues));

        List<object> shipped = KubernetesYaml.LoadAllFromString(File.ReadAllText(staticManifest));
        Assert.Equal(rendered.Select(o => KubernetesJson.Serialize(o)), shipped.Select(o => KubernetesJson.Serialize(o)));

        // The pieces the issue asks for.
        V1DaemonSet daemonSet = shipped.OfType<V1DaemonSet>().Single();
        V1Container container = daemonSet.Spec.Template.Spec.Containers.Single();
        Assert.Equal("replay:/opt/nvidia-gpu-driver/snapshots/kind-node.json", container.Env.Single(e => e.Name == "DEVICE_SOURCE").Value);
        Assert.Equal("/", container.Env.Single(e => e.Name == "NVIDIA_DRIVER_ROOT").Value);
        Assert.Equal("spec.nodeName", container.Env.Single(e => e.Name == "NODE_NAME").ValueFrom.FieldRef.FieldPath);
        Assert.Equal(["/var/lib/kubelet/plugins_registry", "/var/lib/kubelet/plugins", "/var/run/cdi", "/", "/dev"], daemonSet.Spec.Template.Spec.Volumes.Select(v => v.HostPath.Path));
        V1ClusterRole role = shipped.OfType<V1ClusterRole>().Single();
        Assert.Equal(["get"], role.Rules.Single(r => r.Resources.Contains("resourceclaims")).Verbs);
        V1PolicyRule claimStatus = role.Rules.Single(r => r.Resources.Contains("resourceclaims/status")); // claim device status, nothing more
        Assert.Equal(["resourceclaims/status"], claimStatus.Resources);
        Assert.Equal(["patch"], claimStatus.Verbs);
        Assert.DoesNotContain(role.Rules, r => r.Verbs.Contains("*") || r.Resources.Contains("*"));
        Assert.Equal(["gpu.nvidia.com", "mig.nvidia.com"], shipped.OfType<V1DeviceClass>().Select(c => c.Metadata.Name));
        V1ValidatingAdmissionPolicy policy = shipped.OfType<V1ValidatingAdmissionPolicy>().Single();
        Assert.Contains("system:serviceaccount:nvidia-dra-driver:nvidia-gpu-driver", policy.Spec.MatchConditions.Single().Expression, StringComparison.Ordinal);
        Assert.Equal(policy.Metadata.Name, shipped.OfType<V1ValidatingAdmissionPolicyBinding>().Single().Spec.PolicyName);
    }

    [Fact]
    public void The_kind_config_enables_DRA_and_CDI_and_labels_a_GPU_worker()
    {
        var config = (Dictionary<object, object>)KubernetesManifests.LoadYaml(Path.Combine(Deployments, "kind", "kind-config.yaml"));

        Assert.Equal("kind.x-k8s.io/v1alpha4", config["apiVersion"]);
        Assert.Equal("Cluster", config["kind"]);
        Assert.Equal("true", ((Dictionary<object, object>)config["featureGates"])["DynamicResourceAllocation"]);
        Assert.Contains("enable_cdi = true", (string)((List<object>)config["containerdConfigPatches"])[0], StringComparison.Ordinal);
        var nodes = (List<object>)config["nodes"];
        Assert.Contains(nodes.Cast<Dictionary<object, object>>(), n => (string)n["role"] == "worker" && n.ContainsKey("labels"));
    }

    [Fact]
    public void The_Dockerfile_publishes_the_driver_self_contained_and_ships_the_replay_snapshot()
    {
        string dockerfile = File.ReadAllText(Path.Combine(Deployments, "Dockerfile"));

        Assert.Contains("dotnet publish examples/NvidiaGpuDriver/NvidiaGpuDriver.csproj -c Release -r \"$RID\" --self-contained -o /out", dockerfile, StringComparison.Ordinal);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/runtime-deps:10.0", dockerfile, StringComparison.Ordinal);
        Assert.Contains("ENTRYPOINT [\"/opt/nvidia-gpu-driver/nvidia-gpu-driver\"]", dockerfile, StringComparison.Ordinal);
        // The snapshot the kind values point at is published with the driver.
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "snapshots", "kind-node.json")));
        foreach (string script in new[] { "build-image.sh", "create-cluster.sh", "load-image.sh", "install.sh", "demo.sh", "up.sh", "down.sh" })
        {
            Assert.True(File.Exists(Path.Combine(Deployments, "scripts", script)), script);
        }
    }

    [Fact]
    public void With_default_values_the_chart_probes_the_driver_and_runs_on_every_node()
    {
        ChartChecks.AssertDefaults(KubernetesManifests.RenderChart(Chart, "gpus", "nvidia-gpu-driver", DefaultValues), "nvidia-gpu-driver");
    }

    [Theory]
    [MemberData(nameof(ChartChecks.ResourceApiVersions), MemberType = typeof(ChartChecks))]
    public void The_device_classes_are_rendered_in_the_version_the_cluster_serves(string apiVersion)
    {
        Dictionary<string, object?> values = ChartChecks.Values($"resourceApiVersion: {apiVersion}");
        Assert.Empty(ChartChecks.SchemaErrors(Chart, DefaultValues, values));

        ChartChecks.AssertDeviceClassesIn(KubernetesManifests.RenderChart(Chart, "gpus", "nvidia-gpu-driver", DefaultValues, values), apiVersion);
    }

    [Fact]
    public void Every_operator_knob_lands_where_Kubernetes_reads_it()
    {
        Assert.Empty(ChartChecks.SchemaErrors(Chart, DefaultValues, ChartChecks.EveryKnob));

        ChartChecks.AssertEveryKnob(KubernetesManifests.RenderChart(Chart, "gpus", "nvidia-gpu-driver", DefaultValues, ChartChecks.EveryKnob), "nvidia-gpu-driver", "gpus");
    }

    [Fact]
    public void Without_a_health_port_there_are_no_probes_and_an_existing_service_account_is_used()
    {
        Dictionary<string, object?> values = ChartChecks.Values("healthPort: null\nserviceAccount: {create: false, name: existing-sa}");
        Assert.Empty(ChartChecks.SchemaErrors(Chart, DefaultValues, values));

        ChartChecks.AssertNoProbesAndExistingServiceAccount(KubernetesManifests.RenderChart(Chart, "gpus", "nvidia-gpu-driver", DefaultValues, values));
    }

    [Fact]
    public void An_existing_service_account_must_be_named()
    {
        var error = Assert.Throws<InvalidOperationException>(() => KubernetesManifests.RenderChart(Chart, "gpus", "nvidia-gpu-driver", DefaultValues, ChartChecks.Values("serviceAccount: {create: false}")));

        Assert.Contains("serviceAccount.name is required when serviceAccount.create is false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_DeviceClasses_declare_an_extended_resource_name_only_when_a_value_sets_one()
    {
        ChartChecks.AssertExtendedResourceNames(KubernetesManifests.RenderChart(Chart, "gpus", "nvidia-gpu-driver", DefaultValues),
            new Dictionary<string, string?> { ["gpu.nvidia.com"] = null, ["mig.nvidia.com"] = null });

        // Pods asking for nvidia.com/gpu get whole GPUs from DRA where no device plugin advertises it; MIG stays claim-only.
        Dictionary<string, object?> values = ChartChecks.Values("deviceClasses: {gpu: {extendedResourceName: nvidia.com/gpu}}");
        Assert.Empty(ChartChecks.SchemaErrors(Chart, DefaultValues, values));
        ChartChecks.AssertExtendedResourceNames(KubernetesManifests.RenderChart(Chart, "gpus", "nvidia-gpu-driver", DefaultValues, values),
            new Dictionary<string, string?> { ["gpu.nvidia.com"] = "nvidia.com/gpu", ["mig.nvidia.com"] = null });

        values = ChartChecks.Values("deviceClasses: {gpu: {extendedResourceName: nvidia.com/gpu}, mig: {extendedResourceName: nvidia.com/mig-1g.10gb}}");
        Assert.Empty(ChartChecks.SchemaErrors(Chart, DefaultValues, values));
        ChartChecks.AssertExtendedResourceNames(KubernetesManifests.RenderChart(Chart, "gpus", "nvidia-gpu-driver", DefaultValues, values),
            new Dictionary<string, string?> { ["gpu.nvidia.com"] = "nvidia.com/gpu", ["mig.nvidia.com"] = "nvidia.com/mig-1g.10gb" });
    }

    [Theory]
    [MemberData(nameof(ChartChecks.BadExtendedResourceNames), MemberType = typeof(ChartChecks))]
    public void The_schema_refuses_a_name_that_is_not_an_extended_resource_name(string name)
    {
        List<string> errors = ChartChecks.SchemaErrors(Chart, DefaultValues, ChartChecks.Values($"deviceClasses: {{gpu: {{extendedResourceName: \"{name}\"}}}}"));

        Assert.Contains(errors, e => e.StartsWith("/deviceClasses/gpu/extendedResourceName:", StringComparison.Ordinal));
    }

    [Fact]
    public void The_values_files_fit_the_schema()
    {
        Assert.Empty(ChartChecks.SchemaErrors(Chart, DefaultValues));
        Assert.Empty(ChartChecks.SchemaErrors(Chart, [.. DefaultValues, Path.Combine(Chart, "values-kind.yaml")]));
    }

    [Theory]
    [MemberData(nameof(ChartChecks.BadValues), MemberType = typeof(ChartChecks))]
    public void The_schema_refuses_a_bad_value(string values, string location)
    {
        List<string> errors = ChartChecks.SchemaErrors(Chart, DefaultValues, ChartChecks.Values(values));

        Assert.Contains(errors, e => e.StartsWith(location + ":", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("up.sh", "", "", "docker or podman (or set CONTAINER_TOOL), kind, kubectl")]
    [InlineData("up.sh", "kind", "", "docker or podman (or set CONTAINER_TOOL), kubectl")]
    [InlineData("up.sh", "docker kind", "podman", "podman (named by CONTAINER_TOOL), kubectl")]
    [InlineData("build-image.sh", "kind kubectl helm", "", "docker or podman (or set CONTAINER_TOOL)")]
    [InlineData("create-cluster.sh", "podman kubectl", "", "kind")]
    [InlineData("load-image.sh", "kind", "", "docker or podman (or set CONTAINER_TOOL)")]
    [InlineData("install.sh", "helm", "", "kubectl")]
    [InlineData("demo.sh", "docker kind helm", "", "kubectl")]
    [InlineData("down.sh", "docker", "", "kind")]
    public void A_script_names_every_missing_prerequisite_before_doing_anything(string script, string tools, string containerTool, string missing)
    {
        DeploymentScripts.AssertRefusedForMissingTools(Path.Combine(Deployments, "scripts", script), tools, containerTool, missing);
    }

    [Fact]
    public void With_podman_instead_of_docker_up_builds_loads_and_installs_the_image_under_the_name_the_pods_use()
    {
        ScriptRun run = DeploymentScripts.Run(Path.Combine(Deployments, "scripts", "up.sh"), ["podman", "kind", "kubectl", "helm"]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        string root = Fixtures.RepositoryRoot;
        Assert.Equal($"podman build -f {Deployments}/Dockerfile -t docker.io/library/nvidia-gpu-driver:dev {root} [provider podman]", run.Commands[0]);
        Assert.Equal($"kind create cluster --name nvidia-dra --image kindest/node:v1.34.0 --config {Deployments}/kind/kind-config.yaml [provider podman]", run.Commands[1]);
        Assert.Matches(@"^podman save -o \S+/nvidia-dra-image\.tar docker\.io/library/nvidia-gpu-driver:dev ", run.Commands[3]);
        Assert.Matches(@"^kind load image-archive \S+/nvidia-dra-image\.tar --name nvidia-dra ", run.Commands[4]);
        Assert.StartsWith($"helm upgrade --install nvidia-gpu-driver {Deployments}/helm/nvidia-gpu-driver --namespace nvidia-dra-driver --create-namespace", run.Commands[5], StringComparison.Ordinal);
        Assert.Contains(run.Commands, c => c.StartsWith($"kubectl apply -f {Deployments}/demo/gpu-test6.yaml", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Commands, c => c.StartsWith("docker", StringComparison.Ordinal));
    }

    [Fact]
    public void With_docker_and_no_helm_up_uses_docker_and_the_static_manifest()
    {
        ScriptRun run = DeploymentScripts.Run(Path.Combine(Deployments, "scripts", "up.sh"), ["docker", "podman", "kind", "kubectl"]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal($"docker build -f {Deployments}/Dockerfile -t docker.io/library/nvidia-gpu-driver:dev {Fixtures.RepositoryRoot}", run.Commands[0]);
        Assert.Contains("kind load docker-image nvidia-gpu-driver:dev --name nvidia-dra", run.Commands);
        Assert.Contains($"kubectl apply -f {Deployments}/static/nvidia-gpu-driver.yaml", run.Commands);
        Assert.DoesNotContain(run.Commands, c => c.StartsWith("podman", StringComparison.Ordinal) || c.Contains("[provider", StringComparison.Ordinal));
    }
}
