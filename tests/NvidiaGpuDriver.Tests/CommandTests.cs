using System.Text.Json.Nodes;
using DraSdk.KubeletPlugin;
using k8s;
using k8s.Models;
using NvidiaGpuDriver.Commands;
using NvidiaGpuDriver.Demo;

namespace NvidiaGpuDriver.Tests;

/// <summary><c>discover</c>, <c>capture</c> and <c>demo</c>, without a cluster.</summary>
public sealed class CommandTests
{
    [Fact]
    public void Discover_prints_the_ResourceSlice_as_YAML_that_parses_as_a_ResourceSlice()
    {
        (int rc, string output, string error) = Run("discover", "--source", "replay:" + Fixtures.Shared(Fixtures.Mig), "--node", "gpu-node-1");

        Assert.True(rc == 0, error);
        V1ResourceSlice slice = KubernetesYaml.Deserialize<V1ResourceSlice>(output);
        Assert.Equal("gpu.nvidia.com", slice.Spec.Driver);
        Assert.Equal("gpu-node-1", slice.Spec.NodeName);
        Assert.Equal(4, slice.Spec.Devices.Count);
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public void Discover_as_JSON_and_as_nvidia_smi_CSV()
    {
        (int rc, string json, _) = Run("discover", "-o", "json", "--source", "replay:" + Fixtures.Shared(Fixtures.RealH100));
        Assert.Equal(0, rc);
        Assert.Equal("81559Mi", (string?)JsonNode.Parse(json)!["spec"]!["devices"]![0]!["capacity"]!["memory"]!["value"]);

        (rc, string csv, _) = Run("discover", "-o", "nvidia-smi", "--source", "replay:" + Fixtures.Shared(Fixtures.RealH100));
        Assert.Equal(0, rc);
        // Exactly the lines of nvidia-smi-misc.txt's CSV query (less its serial column) on the machine captured.
        Assert.Contains("0, GPU-8272c72e-3ba8-6fe5-e94c-756c25c6a98e, NVIDIA H100 80GB HBM3, 81559 MiB, 00000000:00:06.0, 580.159.04, 9.0, Disabled\n", csv, StringComparison.Ordinal);
        Assert.Contains("CUDA Version: 13.0", csv, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"devices\": 3}", "has no \"devices\" array")]
    [InlineData("not json", "is not valid JSON")]
    public void Discover_reports_a_malformed_snapshot_and_fails(string content, string expected)
    {
        using var root = new TempRoot();
        string path = root.File("bad.json", content);

        (int rc, string output, string error) = Run("discover", "--source", "replay:" + path);

        Assert.Equal(1, rc);
        Assert.Equal(string.Empty, output);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Discover_without_NVML_says_where_it_looked()
    {
        using var root = new TempRoot();
        Environment.SetEnvironmentVariable("NVIDIA_DRIVER_ROOT", root.Path);
        try
        {
            (int rc, _, string error) = Run("discover", "--source", "nvml");
            Assert.Equal(1, rc);
            Assert.Contains("NVML is not available", error, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NVIDIA_DRIVER_ROOT", null);
        }
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Equal(2, Run("discover", "-o", "xml").Rc);
        Assert.Equal(2, Run("discover", "--frobnicate", "1").Rc);
        Assert.Equal(1, Run("discover", "--source", "magic").Rc);
    }

    [Fact]
    public void Capture_writes_a_snapshot_that_reads_back_the_same()
    {
        using var root = new TempRoot();
        string target = Path.Combine(root.Path, "captured.json");

        (int rc, _, string error) = Run("capture", "--source", "replay:" + Fixtures.Shared(Fixtures.Dgx), "-o", target);

        Assert.True(rc == 0, error);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(Fixtures.Shared(Fixtures.Dgx))), JsonNode.Parse(File.ReadAllText(target))));
        (int rc2, string a, _) = Run("discover", "--source", "replay:" + target, "--node", "n");
        (int rc3, string b, _) = Run("discover", "--source", "replay:" + Fixtures.Shared(Fixtures.Dgx), "--node", "n");
        Assert.Equal((0, 0), (rc2, rc3));
        Assert.Equal(b, a);
    }

    [Fact]
    public async Task The_demo_runs_end_to_end_on_the_replay_snapshot()
    {
        using var output = new StringWriter();

        int exitCode = await DemoRunner.RunAsync(verbose: false, Fixtures.KindSnapshot, output).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        string text = output.ToString();
        Assert.True(exitCode == 0, text);
        Assert.Contains("ResourceSlice published: pool demo-node, 11 devices", text, StringComparison.Ordinal);
        Assert.Contains("\"CUDA_MPS_PIPE_DIRECTORY=/tmp/nvidia-mps\"", text, StringComparison.Ordinal);
        Assert.Contains("refused = True", text, StringComparison.Ordinal);
        Assert.Contains("Device metadata of time-sliced/req: ", text, StringComparison.Ordinal);
        Assert.Contains("in the container /var/run/kubernetes.io/dra-device-attributes/resourceclaims/mps-mig/req/gpu.nvidia.com-metadata.json", text, StringComparison.Ordinal);
        Assert.Contains("\"apiVersion\": \"metadata.resource.k8s.io/v1alpha1\"", text, StringComparison.Ordinal);
        Assert.Contains("gpu.nvidia.com/xid=48:NoSchedule", text, StringComparison.Ordinal);
        Assert.Contains("gpu-1=Unhealthy", text, StringComparison.Ordinal);
        Assert.Contains("republished with 10 devices (gpu-3 present = False)", text, StringComparison.Ordinal);
        Assert.Contains("Demo finished: OK", text, StringComparison.Ordinal);
    }

    internal static (int Rc, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        DriverCommandLine commandLine = CommandLine.Create();
        commandLine.Output = output;
        commandLine.Error = error;
        int rc = commandLine.RunAsync(args, builder => builder.AddNvidiaGpuDriver()).GetAwaiter().GetResult();
        return (rc, output.ToString(), error.ToString());
    }
}
