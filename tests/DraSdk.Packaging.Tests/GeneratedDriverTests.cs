using System.Text.Json;
using DraSdk.Allocation;
using DraSdk.Packaging.Tests.Infrastructure;
using DraSdk.Testing;
using DraSdk.Tests.Shared;
using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace DraSdk.Packaging.Tests;

/// <summary>
/// The generated driver as the DaemonSet runs it (its own process, configured by environment variables) through the
/// fake kubelet, with the DeviceClass and the claim of its own deployment files; and those files checked as far as
/// this machine allows (no cluster, docker or helm here).
/// </summary>
[Collection(TemplateWorkspaceGroup.Name)]
public sealed class GeneratedDriverTests(TemplateWorkspace workspace)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Deployments => Path.Combine(workspace.Solution, "deployments");

    private string Chart => Path.Combine(Deployments, "helm", "acme-fpgadriver");

    [Fact]
    public async Task The_driver_process_registers_publishes_prepares_and_unprepares_through_the_fake_kubelet()
    {
        string root = Path.Combine("/tmp", "dra-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(Ct);
            IKubernetes client = api.CreateClient();
            await client.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "node-a" } }, cancellationToken: Ct);
            V1DeviceClass deviceClass = RenderedChart().OfType<V1DeviceClass>().Single();
            await client.ResourceV1.CreateDeviceClassAsync(deviceClass, cancellationToken: Ct);

            var options = new DriverProcessOptions
            {
                Command = DriverAssembly,
                RootDirectory = root,
                Kubeconfig = api.WriteKubeconfig(Path.Combine(root, "kubeconfig")),
                NodeName = "node-a",
            };
            options.Environment["NUM_DEVICES"] = "3";
            int healthPort = DriverCommandLineChecks.FreePort();
            options.Environment["HEALTH_PORT"] = healthPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await using DriverProcess driver = DriverProcess.Start(options);
            await using var kubelet = new FakeKubelet(driver.RegistrarDirectoryPath);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));

            // Registers with the kubelet (then its readiness probe answers 200), then publishes its devices.
            KubeletPluginConnection plugin = await kubelet.WaitForDriverAsync(TemplateWorkspace.DriverName, timeout.Token);
            Assert.Contains("v1.DRAPlugin", plugin.SupportedVersions);
            await DriverCommandLineChecks.WaitForStatusAsync(healthPort, "/readyz", System.Net.HttpStatusCode.OK, timeout.Token, () => driver.Output);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await DriverCommandLineChecks.GetAsync(healthPort, "/livez", timeout.Token)).Status);
            V1ResourceSlice slice = await WaitForSliceAsync(client, timeout.Token);
            Assert.Equal(["fpga-0", "fpga-1", "fpga-2"], slice.Spec.Devices.Select(d => d.Name));

            // The demo workload's claim (with its opaque config), allocated by the scheduler's algorithm.
            Resourcev1ResourceClaim claim = await AllocatedDemoClaimAsync(client, deviceClass, slice, timeout.Token);

            var prepared = (await plugin.PrepareAsync([claim], timeout.Token)).Claims[claim.Metadata.Uid];
            Assert.True(prepared.Error.Length == 0, prepared.Error);
            string cdiId = Assert.Single(Assert.Single(prepared.Devices).CdiDeviceIds);
            Assert.StartsWith("k8s.fpga.acme.com/fpga=", cdiId, StringComparison.Ordinal);
            string spec = Assert.Single(Directory.GetFiles(driver.CdiRoot));
            using (JsonDocument document = JsonDocument.Parse(await File.ReadAllTextAsync(spec, timeout.Token)))
            {
                JsonElement device = document.RootElement.GetProperty("devices")[0];
                Assert.Equal(cdiId.Split('=')[1], device.GetProperty("name").GetString());
                Assert.Contains("FPGA_0_PROFILE=Performance", device.GetProperty("containerEdits").GetProperty("env").EnumerateArray().Select(e => e.GetString()));
            }

            Assert.Equal(string.Empty, (await plugin.UnprepareAsync([claim], timeout.Token)).Claims[claim.Metadata.Uid].Error);
            Assert.Empty(Directory.GetFiles(driver.CdiRoot));

            // SIGTERM, as the kubelet stops the pod: a clean exit that removes its sockets.
            driver.Terminate();
            Assert.Equal(0, await driver.WaitForExitAsync(TimeSpan.FromSeconds(15)));
            Assert.False(File.Exists(plugin.Endpoint), driver.Output);
            Assert.False(File.Exists(plugin.RegistrationSocketPath), driver.Output);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task The_driver_process_has_the_SDKs_command_line_and_one_line_errors()
    {
        await DriverCommandLineChecks.AssertRefusesToStartWithoutEnvironmentAsync(DriverAssembly, "acme-fpgadriver");
        await DriverCommandLineChecks.AssertCommandLineAsync(
            DriverAssembly,
            "acme-fpgadriver",
            ["NODE_NAME", "KUBECONFIG", "KUBELET_REGISTRAR_DIRECTORY_PATH", "KUBELET_PLUGINS_DIRECTORY_PATH", "CDI_ROOT", "POD_UID", "HEALTH_PORT", "METRICS_PORT", "HTTP_BIND_ADDRESS", "NUM_DEVICES"],
            ["demo"]);
        (int exit, string output, string error) = await DriverCommandLineChecks.RunAsync(DriverAssembly, new Dictionary<string, string> { ["NODE_NAME"] = "node-a", ["NUM_DEVICES"] = "lots" });
        Assert.Equal((1, string.Empty, "acme-fpgadriver: NUM_DEVICES must be a whole number from 0 up, not 'lots'.\n"), (exit, output, error));
    }

    [Fact]
    public async Task The_driver_process_publishes_three_hundred_devices_in_several_slices()
    {
        string root = Path.Combine("/tmp", "dra-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(Ct);
            IKubernetes client = api.CreateClient();
            await client.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "node-a" } }, cancellationToken: Ct);
            var options = new DriverProcessOptions
            {
                Command = DriverAssembly,
                RootDirectory = root,
                Kubeconfig = api.WriteKubeconfig(Path.Combine(root, "kubeconfig")),
                NodeName = "node-a",
            };
            options.Environment["NUM_DEVICES"] = "300";
            await using DriverProcess driver = DriverProcess.Start(options);
            await using var kubelet = new FakeKubelet(driver.RegistrarDirectoryPath);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await kubelet.WaitForDriverAsync(TemplateWorkspace.DriverName, timeout.Token);

            while (true)
            {
                List<V1ResourceSlice> slices = [.. (await client.ResourceV1.ListResourceSliceAsync(cancellationToken: timeout.Token)).Items];
                string[] names = [.. slices.SelectMany(s => s.Spec.Devices ?? []).Select(d => d.Name).Order(StringComparer.Ordinal)];
                if (names.Length == 300 && slices.All(s => s.Spec.Pool.ResourceSliceCount == slices.Count))
                {
                    Assert.True(slices.Count >= 3, $"{slices.Count} slices");
                    Assert.Equal(Enumerable.Range(0, 300).Select(i => $"fpga-{i}").Order(StringComparer.Ordinal), names);
                    break;
                }

                await Task.Delay(100, timeout.Token);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task A_container_started_with_the_prepared_cdi_device_gets_what_the_driver_prepared()
    {
        // The generated driver writes into the directory podman reads (/var/run/cdi): a real runtime consumes the spec.
        string root = Path.Combine("/tmp", "dra-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            BusyboxPodman podman = BusyboxPodman.Create(root);
            await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(Ct);
            IKubernetes client = api.CreateClient();
            await client.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "node-a" } }, cancellationToken: Ct);
            var options = new DriverProcessOptions
            {
                Command = DriverAssembly,
                RootDirectory = root,
                Kubeconfig = api.WriteKubeconfig(Path.Combine(root, "kubeconfig")),
            };
            options.Environment["CDI_ROOT"] = BusyboxPodman.SpecDirectory;
            await using DriverProcess driver = DriverProcess.Start(options);
            await using var kubelet = new FakeKubelet(driver.RegistrarDirectoryPath);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            KubeletPluginConnection plugin = await kubelet.WaitForDriverAsync(TemplateWorkspace.DriverName, timeout.Token);
            V1ResourceSlice slice = await WaitForSliceAsync(client, timeout.Token);

            Resourcev1ResourceClaim claim = await AllocatedDemoClaimAsync(client, RenderedChart().OfType<V1DeviceClass>().Single(), slice, timeout.Token);
            var prepared = (await plugin.PrepareAsync([claim], timeout.Token)).Claims[claim.Metadata.Uid];
            Assert.True(prepared.Error.Length == 0, prepared.Error);
            string cdiId = Assert.Single(Assert.Single(prepared.Devices).CdiDeviceIds);
            try
            {
                PodmanResult run = podman.Run([cdiId], "env | sort");
                Assert.True(run.ExitCode == 0, $"{run.CommandLine}\n{run.Stdout}\n{run.Stderr}");
                string[] env = run.Stdout.Split('\n');
                Assert.Contains("FPGA_0_PROFILE=Performance", env);
                Assert.Contains("FPGA_0=fpga-0", env);
                Assert.Contains($"DRA_RESOURCE_CLAIM_UID={claim.Metadata.Uid}", env);
                Assert.Contains("DRA_RESOURCE_DRIVER_NAME=fpga.acme.com", env);
            }
            finally
            {
                Assert.Equal(string.Empty, (await plugin.UnprepareAsync([claim], timeout.Token)).Claims[claim.Metadata.Uid].Error);
            }

            // Unprepared: the runtime no longer knows the device.
            PodmanResult after = podman.Run([cdiId], "true");
            Assert.NotEqual(0, after.ExitCode);
            Assert.Contains("unresolvable CDI devices", after.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void The_chart_renders_to_Kubernetes_objects_that_fit_the_driver()
    {
        List<object> objects = RenderedChart();

        V1DaemonSet daemonSet = objects.OfType<V1DaemonSet>().Single();
        Assert.Equal("acme-fpgadriver", daemonSet.Metadata.Name);
        Assert.Equal("acme-fpgadriver", daemonSet.Spec.Template.Spec.ServiceAccountName);
        Assert.Equal((1, 0), (int.Parse(daemonSet.Spec.UpdateStrategy.RollingUpdate.MaxSurge.Value, CultureInfo.InvariantCulture), int.Parse(daemonSet.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable.Value, CultureInfo.InvariantCulture)));
        V1Container container = daemonSet.Spec.Template.Spec.Containers.Single();
        Assert.Equal("acme-fpgadriver:dev", container.Image);
        Assert.Equal("Never", container.ImagePullPolicy);
        Assert.Equal("spec.nodeName", container.Env.Single(e => e.Name == "NODE_NAME").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.uid", container.Env.Single(e => e.Name == "POD_UID").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("2", container.Env.Single(e => e.Name == "NUM_DEVICES").Value);
        Assert.False(container.SecurityContext.Privileged);
        Assert.Equal(["/var/lib/kubelet/plugins_registry", "/var/lib/kubelet/plugins", "/var/run/cdi"], daemonSet.Spec.Template.Spec.Volumes.Select(v => v.HostPath.Path));
        Assert.Equal("Bidirectional", container.VolumeMounts.Single(m => m.MountPath == "/var/lib/kubelet/plugins").MountPropagation);

        V1ClusterRole role = objects.OfType<V1ClusterRole>().Single();
        Assert.Equal(["get"], role.Rules.Single(r => r.Resources.Contains("resourceclaims")).Verbs);
        V1PolicyRule claimStatus = role.Rules.Single(r => r.Resources.Contains("resourceclaims/status")); // claim device status, nothing more
        Assert.Equal(["resourceclaims/status"], claimStatus.Resources);
        Assert.Equal(["patch"], claimStatus.Verbs);
        Assert.DoesNotContain(role.Rules, r => r.Verbs.Contains("*") || r.Resources.Contains("*"));
        Assert.Equal("acme-fpgadriver", objects.OfType<V1ClusterRoleBinding>().Single().Subjects.Single().Name);

        V1ValidatingAdmissionPolicy policy = objects.OfType<V1ValidatingAdmissionPolicy>().Single();
        Assert.Contains("system:serviceaccount:acme-fpgadriver:acme-fpgadriver", policy.Spec.MatchConditions.Single().Expression, StringComparison.Ordinal);
        Assert.Equal(policy.Metadata.Name, objects.OfType<V1ValidatingAdmissionPolicyBinding>().Single().Spec.PolicyName);

        V1DeviceClass deviceClass = objects.OfType<V1DeviceClass>().Single();
        Assert.Equal(TemplateWorkspace.DriverName, deviceClass.Metadata.Name);
        Assert.Equal("device.driver == 'fpga.acme.com'", deviceClass.Spec.Selectors.Single().Cel.Expression);
    }

    [Fact]
    public void The_demo_workload_kind_config_dockerfile_scripts_and_ci_workflow_fit_the_driver()
    {
        List<object> demo = KubernetesManifests.LoadLossless(File.ReadAllText(Path.Combine(Deployments, "demo", "claim-demo.yaml")), "claim-demo.yaml");
        V1Pod pod = demo.OfType<V1Pod>().Single();
        Assert.Equal("one-device", pod.Spec.ResourceClaims.Single().ResourceClaimTemplateName);
        V1DeviceClaimConfiguration config = demo.OfType<V1ResourceClaimTemplate>().Single().Spec.Spec.Devices.Config.Single();
        Assert.Equal(TemplateWorkspace.DriverName, config.Opaque.Driver);

        var kind = (Dictionary<object, object>)KubernetesManifests.LoadYaml(Path.Combine(Deployments, "kind", "kind-config.yaml"));
        Assert.Equal("true", ((Dictionary<object, object>)kind["featureGates"])["DynamicResourceAllocation"]);
        Assert.Contains("enable_cdi = true", (string)((List<object>)kind["containerdConfigPatches"])[0], StringComparison.Ordinal);

        string dockerfile = File.ReadAllText(Path.Combine(Deployments, "Dockerfile"));
        Assert.Contains("dotnet publish src/Acme.FpgaDriver/Acme.FpgaDriver.csproj -c Release -r \"$RID\" --self-contained -o /out", dockerfile, StringComparison.Ordinal);
        Assert.Contains("ENTRYPOINT [\"/opt/acme-fpgadriver/Acme.FpgaDriver\"]", dockerfile, StringComparison.Ordinal);

        // The scripts are valid bash and point at files that exist.
        foreach (string script in Directory.GetFiles(Path.Combine(Deployments, "scripts")))
        {
            string text = File.ReadAllText(script);
            Assert.StartsWith("#!/usr/bin/env bash", text, StringComparison.Ordinal);
            foreach (System.Text.RegularExpressions.Match path in System.Text.RegularExpressions.Regex.Matches(text, @"\$DEPLOYMENTS/([\w./-]+)"))
            {
                Assert.True(Path.Exists(Path.Combine(Deployments, path.Groups[1].Value)), $"{Path.GetFileName(script)} refers to {path.Value}");
            }
        }

        // The CI workflow is YAML whose steps test the solution and check the chart.
        var workflow = new YamlStream();
        workflow.Load(new StringReader(File.ReadAllText(Path.Combine(workspace.Solution, ".github", "workflows", "ci.yml"))));
        string[] runs = [.. workflow.Documents[0].AllNodes.OfType<YamlMappingNode>().SelectMany(m => m.Children).Where(c => c.Key.ToString() == "run").Select(c => c.Value.ToString())];
        Assert.Contains("dotnet test --no-build", runs);
        Assert.Contains("helm lint deployments/helm/acme-fpgadriver", runs);
    }

    [Fact]
    public void The_chart_with_default_values_probes_the_driver_and_runs_on_every_node()
    {
        Assert.Empty(ChartChecks.SchemaErrors(Chart, DefaultValues));
        Assert.Empty(ChartChecks.SchemaErrors(Chart, [.. DefaultValues, Path.Combine(Chart, "values-kind.yaml")]));

        List<object> objects = KubernetesManifests.RenderChart(Chart, "drivers", "acme-fpgadriver", DefaultValues);

        ChartChecks.AssertDefaults(objects, "acme-fpgadriver");
        Assert.Equal("2", objects.OfType<V1DaemonSet>().Single().Spec.Template.Spec.Containers.Single().Env.Single(e => e.Name == "NUM_DEVICES").Value);
    }

    [Theory]
    [MemberData(nameof(ChartChecks.ResourceApiVersions), MemberType = typeof(ChartChecks))]
    public void The_charts_device_class_is_rendered_in_the_version_the_cluster_serves(string apiVersion)
    {
        Dictionary<string, object?> values = ChartChecks.Values($"resourceApiVersion: {apiVersion}");
        Assert.Empty(ChartChecks.SchemaErrors(Chart, DefaultValues, values));

        ChartChecks.AssertDeviceClassesIn(KubernetesManifests.RenderChart(Chart, "drivers", "acme-fpgadriver", DefaultValues, values), apiVersion);
    }

    [Fact]
    public void Every_operator_knob_of_the_chart_lands_where_Kubernetes_reads_it()
    {
        Assert.Empty(ChartChecks.SchemaErrors(Chart, DefaultValues, ChartChecks.EveryKnob));
        ChartChecks.AssertEveryKnob(KubernetesManifests.RenderChart(Chart, "drivers", "acme-fpgadriver", DefaultValues, ChartChecks.EveryKnob), "acme-fpgadriver", "drivers");

        Dictionary<string, object?> values = ChartChecks.Values("healthPort: null\nserviceAccount: {create: false, name: existing-sa}");
        Assert.Empty(ChartChecks.SchemaErrors(Chart, DefaultValues, values));
        ChartChecks.AssertNoProbesAndExistingServiceAccount(KubernetesManifests.RenderChart(Chart, "drivers", "acme-fpgadriver", DefaultValues, values));
    }

    [Fact]
    public void The_chart_DeviceClass_declares_an_extended_resource_name_only_when_a_value_sets_one()
    {
        ChartChecks.AssertExtendedResourceNames(KubernetesManifests.RenderChart(Chart, "drivers", "acme-fpgadriver", DefaultValues),
            new Dictionary<string, string?> { [TemplateWorkspace.DriverName] = null });

        Dictionary<string, object?> values = ChartChecks.Values("deviceClass: {extendedResourceName: acme.com/fpga}");
        Assert.Empty(ChartChecks.SchemaErrors(Chart, DefaultValues, values));
        ChartChecks.AssertExtendedResourceNames(KubernetesManifests.RenderChart(Chart, "drivers", "acme-fpgadriver", DefaultValues, values),
            new Dictionary<string, string?> { [TemplateWorkspace.DriverName] = "acme.com/fpga" });

        foreach (string name in ChartChecks.BadExtendedResourceNames().Select(row => row.Data))
        {
            List<string> errors = ChartChecks.SchemaErrors(Chart, DefaultValues, ChartChecks.Values($"deviceClass: {{extendedResourceName: \"{name}\"}}"));
            Assert.True(errors.Any(e => e.StartsWith("/deviceClass/extendedResourceName:", StringComparison.Ordinal)), name);
        }
    }

    [Theory]
    [MemberData(nameof(ChartChecks.BadValues), MemberType = typeof(ChartChecks))]
    [InlineData("numDevices: many", "/numDevices")]
    public void The_chart_schema_refuses_a_bad_value(string values, string location)
    {
        List<string> errors = ChartChecks.SchemaErrors(Chart, DefaultValues, ChartChecks.Values(values));

        Assert.Contains(errors, e => e.StartsWith(location + ":", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("up.sh", "", "", "docker or podman (or set CONTAINER_TOOL), kind, kubectl, helm")]
    [InlineData("up.sh", "podman kind kubectl", "", "helm")]
    [InlineData("install.sh", "kubectl", "", "helm")]
    [InlineData("build-image.sh", "docker", "podman", "podman (named by CONTAINER_TOOL)")]
    [InlineData("load-image.sh", "docker", "", "kind")]
    public void A_deployment_script_names_every_missing_prerequisite_before_doing_anything(string script, string tools, string containerTool, string missing)
    {
        DeploymentScripts.AssertRefusedForMissingTools(Path.Combine(Deployments, "scripts", script), tools, containerTool, missing);
    }

    [Theory]
    [InlineData("docker")]
    [InlineData("podman")]
    public void The_whole_kind_sequence_runs_with_docker_or_podman(string containerTool)
    {
        ScriptRun run = DeploymentScripts.Run(Path.Combine(Deployments, "scripts", "up.sh"), [containerTool, "kind", "kubectl", "helm"]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        string provider = containerTool == "podman" ? " [provider podman]" : string.Empty;
        Assert.Equal($"{containerTool} build -f {Deployments}/Dockerfile -t docker.io/library/acme-fpgadriver:dev {workspace.Solution}{provider}", run.Commands[0]);
        Assert.Equal($"kind create cluster --name acme-fpgadriver --image kindest/node:v1.34.0 --config {Deployments}/kind/kind-config.yaml{provider}", run.Commands[1]);
        Assert.Contains(run.Commands, c => c.StartsWith(containerTool == "docker" ? "kind load docker-image acme-fpgadriver:dev --name acme-fpgadriver" : "kind load image-archive ", StringComparison.Ordinal));
        Assert.Contains(run.Commands, c => c.StartsWith($"helm upgrade --install acme-fpgadriver {Deployments}/helm/acme-fpgadriver --namespace acme-fpgadriver --create-namespace -f {Deployments}/helm/acme-fpgadriver/values-kind.yaml --set image.repository=acme-fpgadriver --set image.tag=dev", StringComparison.Ordinal));
        Assert.Equal($"kubectl apply -f {Deployments}/demo/claim-demo.yaml{provider}", run.Commands.Single(c => c.StartsWith("kubectl apply", StringComparison.Ordinal)));
    }

    private string[] DefaultValues => [Path.Combine(Chart, "values.yaml")];

    private string DriverAssembly => Path.Combine(workspace.Solution, "src", "Acme.FpgaDriver", "bin", Repository.Configuration, "net10.0", "Acme.FpgaDriver.dll");

    /// <summary>The demo workload's claim (with its opaque config), allocated by the scheduler's algorithm.</summary>
    private async Task<Resourcev1ResourceClaim> AllocatedDemoClaimAsync(IKubernetes client, V1DeviceClass deviceClass, V1ResourceSlice slice, CancellationToken ct)
    {
        V1ResourceClaimTemplate template = KubernetesManifests.LoadLossless(File.ReadAllText(Path.Combine(Deployments, "demo", "claim-demo.yaml")), "claim-demo.yaml").OfType<V1ResourceClaimTemplate>().Single();
        Resourcev1ResourceClaim claim = await client.ResourceV1.CreateNamespacedResourceClaimAsync(new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = "demo-dev", NamespaceProperty = "default" },
            Spec = template.Spec.Spec,
        }, "default", cancellationToken: ct);
        var allocator = new Allocator([deviceClass], [slice]);
        claim.Status = new V1ResourceClaimStatus { Allocation = Assert.Single(allocator.Allocate(new AllocationNode("node-a"), [claim], AllocatedState.FromClaims([]), ct)!) };
        return await client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(claim, "demo-dev", "default", cancellationToken: ct);
    }

    private List<object> RenderedChart() =>
        KubernetesManifests.RenderChart(Chart, "acme-fpgadriver", "acme-fpgadriver", Path.Combine(Chart, "values.yaml"), Path.Combine(Chart, "values-kind.yaml"));

    private static async Task<V1ResourceSlice> WaitForSliceAsync(IKubernetes client, CancellationToken ct)
    {
        while (true)
        {
            V1ResourceSliceList slices = await client.ResourceV1.ListResourceSliceAsync(fieldSelector: "spec.nodeName=node-a", cancellationToken: ct);
            if (slices.Items.SingleOrDefault() is { } slice)
            {
                return slice;
            }

            await Task.Delay(50, ct);
        }
    }
}
