using System.Net;
using DraSdk.KubeletPlugin;
using DraSdk.Testing;
using DraSdk.Tests.Shared;
using k8s;
using k8s.Models;

namespace ExampleDriver.Tests;

/// <summary>The example driver's process as an operator meets it: the command line, a missing setting, the probes, many devices.</summary>
public sealed class CommandLineTests
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "ExampleDriver.dll");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task Started_with_no_environment_it_prints_one_line_that_names_NODE_NAME_and_exits_1() =>
        DriverCommandLineChecks.AssertRefusesToStartWithoutEnvironmentAsync(Dll, "example-driver");

    [Fact]
    public Task Help_lists_every_environment_variable_version_and_mistakes_exit_2() =>
        DriverCommandLineChecks.AssertCommandLineAsync(
            Dll,
            "example-driver",
            [.. DraDriverSettings.Standard.Select(s => s.Name), "NUM_DEVICES"],
            ["demo"]);

    [Theory]
    [InlineData("NUM_DEVICES", "-1", "example-driver: NUM_DEVICES must be a whole number from 0 up, not '-1'.")]
    [InlineData("NUM_DEVICES", "many", "example-driver: NUM_DEVICES must be a whole number from 0 up, not 'many'.")]
    [InlineData("KUBECONFIG", "/nonexistent/kubeconfig", "example-driver: KUBECONFIG '/nonexistent/kubeconfig' cannot be used: kubeconfig file not found at /nonexistent/kubeconfig. Point KUBECONFIG at a readable kubeconfig file, or unset it to use the pod's service account.")]
    [InlineData("HEALTH_PORT", "http", "example-driver: HEALTH_PORT must be a whole number from 0 to 65535, not 'http'.")]
    public async Task A_bad_setting_is_one_line_and_exit_code_1(string name, string value, string expected)
    {
        (int exit, string output, string error) = await DriverCommandLineChecks.RunAsync(Dll, new Dictionary<string, string> { ["NODE_NAME"] = "node-a", [name] = value });

        Assert.Equal((1, string.Empty, expected + "\n"), (exit, output, error));
    }

    [Fact]
    public async Task The_demo_runs_with_no_environment()
    {
        (int exit, string output, string error) = await DriverCommandLineChecks.RunAsync(Dll, null, "demo");

        Assert.True(exit == 0, output + error);
        Assert.Contains("Demo finished: OK", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_probes_of_the_driver_process_answer_503_until_the_kubelet_registers_it_then_200()
    {
        using var root = new TempRoot();
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(Ct);
        IKubernetes client = api.CreateClient();
        await client.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "node-a" } }, cancellationToken: Ct);
        int port = DriverCommandLineChecks.FreePort();
        var options = new DriverProcessOptions
        {
            Command = Dll,
            RootDirectory = root.Path,
            Kubeconfig = api.WriteKubeconfig(Path.Combine(root.Path, "kubeconfig")),
        };
        options.Environment["HEALTH_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        options.Environment["METRICS_PORT"] = options.Environment["HEALTH_PORT"];
        options.Environment["NUM_DEVICES"] = "2";
        await using DriverProcess driver = DriverProcess.Start(options);

        // Live as soon as it serves its sockets; not ready: no kubelet has registered it.
        await DriverCommandLineChecks.WaitForStatusAsync(port, "/livez", HttpStatusCode.OK, Ct, () => driver.Output);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await DriverCommandLineChecks.GetAsync(port, "/readyz", Ct)).Status);

        await using var kubelet = new FakeKubelet(driver.RegistrarDirectoryPath);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await kubelet.WaitForDriverAsync(ExampleDriverOptions.DriverName, timeout.Token);
        await DriverCommandLineChecks.WaitForStatusAsync(port, "/readyz", HttpStatusCode.OK, Ct, () => driver.Output);

        // Its metrics: registered, and the slice it published.
        await WaitForSlicesAsync(client, 2);
        string metrics = await DriverCommandLineChecks.WaitForStatusAsync(port, "/metrics", HttpStatusCode.OK, Ct);
        Dictionary<string, double> samples = DriverCommandLineChecks.ParsePrometheus(metrics);
        Assert.Equal(1, samples["drasdk_kubelet_plugin_registered"]);
        Assert.True(samples.GetValueOrDefault("drasdk_resourceslice_created_total{dra_driver=\"gpu.example.com\"}") >= 1, metrics);

        driver.Terminate();
        Assert.Equal(0, await driver.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Three_hundred_devices_are_all_published_in_several_slices_of_one_pool()
    {
        using var root = new TempRoot();
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(Ct);
        var options = new LocalNodeOptions
        {
            ApiServer = api,
            DriverName = ExampleDriverOptions.DriverName,
            RootDirectory = root.Path,
            ConfigureHost = builder => builder.AddExampleDriver(),
        };
        options.Configuration["NUM_DEVICES"] = "300";
        await using LocalNode node = await LocalNode.StartAsync(options, Ct);

        List<V1ResourceSlice> slices = await WaitForSlicesAsync(node.Client, 300);
        Assert.True(slices.Count >= 3, $"{slices.Count} slices");
        Assert.All(slices, s => Assert.Equal((node.NodeName, slices.Count), (s.Spec.Pool.Name, (int)s.Spec.Pool.ResourceSliceCount!)));
        string[] names = [.. slices.SelectMany(s => s.Spec.Devices).Select(d => d.Name).Order(StringComparer.Ordinal)];
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"gpu-{i}").Order(StringComparer.Ordinal), names);
    }

    private static async Task<List<V1ResourceSlice>> WaitForSlicesAsync(IKubernetes client, int devices)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            List<V1ResourceSlice> slices = [.. (await client.ResourceV1.ListResourceSliceAsync(cancellationToken: Ct)).Items];
            int published = slices.Sum(s => s.Spec.Devices?.Count ?? 0);
            if (published == devices && slices.All(s => s.Spec.Pool.ResourceSliceCount == slices.Count))
            {
                return slices;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{published} of {devices} devices published in {slices.Count} slices");
            await Task.Delay(100, Ct);
        }
    }
}
