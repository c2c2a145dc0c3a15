using ExampleDriver.Demo;

namespace ExampleDriver.Tests;

public sealed class DemoTests
{
    [Fact]
    public async Task The_demo_runs_end_to_end_and_finishes_by_itself()
    {
        using var output = new StringWriter();

        int exitCode = await DemoRunner.RunAsync(verbose: false, output).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        string text = output.ToString();
        Assert.True(exitCode == 0, text);
        Assert.Contains("Fake kubelet registered the driver via gpu.example.com-reg.sock", text, StringComparison.Ordinal);
        Assert.Contains("versions [v1.DRAPlugin, v1beta1.DRAPlugin, v1alpha1.DRAResourceHealth, v1.DRAResourceHealth]", text, StringComparison.Ordinal);
        Assert.Matches(@"ResourceSlice 00000-gpu-example-com-demo-node-\w+ published: pool demo-node \(generation 1\), 4 devices", text);
        Assert.Matches(@"NodePrepareResources: gpu-0 -> \[k8s\.gpu\.example\.com/gpu=[0-9a-f-]{36}-gpu-0, gpu\.example\.com/metadata=[0-9a-f-]{36}_req\]", text);
        Assert.Contains("(in the container: /var/run/kubernetes.io/dra-device-attributes/resourceclaims/single-gpu/req/gpu.example.com-metadata.json)", text, StringComparison.Ordinal);
        Assert.Contains("\"kind\": \"gpu.example.com/metadata\"", text, StringComparison.Ordinal);
        Assert.Contains("\"apiVersion\": \"metadata.resource.k8s.io/v1alpha1\"", text, StringComparison.Ordinal);
        Assert.Matches(@"""uuid"": \{\n\s+""string"": ""gpu-[0-9a-f-]+""", text);
        Assert.Contains("device metadata removed = True", text, StringComparison.Ordinal);
        Assert.Contains("\"GPU_DEVICE_0_TIMESLICE_INTERVAL=Long\"", text, StringComparison.Ordinal);
        Assert.Contains("gets 9 env vars: KUBERNETES_NODE_NAME=demo-node", text, StringComparison.Ordinal);
        Assert.Contains("same answer = True", text, StringComparison.Ordinal);
        Assert.Contains("CDI spec removed = True", text, StringComparison.Ordinal);
        Assert.Contains("sockets removed = True", text, StringComparison.Ordinal);
        Assert.Contains("Demo finished: OK", text, StringComparison.Ordinal);
    }
}
