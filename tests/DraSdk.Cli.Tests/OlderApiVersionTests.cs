using System.Text.Json.Nodes;

namespace DraSdk.Cli.Tests;

/// <summary><c>dra</c> reads the resource.k8s.io v1beta1 (Kubernetes 1.32) and v1beta2 (1.33) shapes of its inputs as v1.</summary>
public sealed class OlderApiVersionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dra-cli-versions-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string V1beta1 = """
        apiVersion: resource.k8s.io/v1beta1
        kind: DeviceClass
        metadata:
          name: gpu.example.com
        spec:
          selectors:
          - cel:
              expression: device.driver == 'gpu.example.com'
        ---
        apiVersion: resource.k8s.io/v1beta1
        kind: ResourceSlice
        metadata:
          name: node-1-gpus
        spec:
          driver: gpu.example.com
          nodeName: node-1
          pool: {name: node-1, generation: 1, resourceSliceCount: 1}
          devices:
          - name: gpu-0
            basic:
              attributes:
                model: {string: A100}
              capacity:
                memory: {value: 40Gi}
          - name: gpu-1
            basic:
              attributes:
                model: {string: H100}
              capacity:
                memory: {value: 80Gi}
          - name: gpu-2
            basic:
              attributes:
                model: {string: H100}
              capacity:
                memory: {value: 80Gi}
        ---
        apiVersion: resource.k8s.io/v1beta1
        kind: ResourceClaim
        metadata:
          name: two-h100
          namespace: default
        spec:
          devices:
            requests:
            - name: gpu
              deviceClassName: gpu.example.com
              allocationMode: ExactCount
              count: 2
              selectors:
              - cel:
                  expression: device.attributes['gpu.example.com'].model == 'H100' && device.capacity['gpu.example.com'].memory.compareTo(quantity('64Gi')) >= 0
        """;

    [Fact]
    public void A_v1beta1_claim_class_and_slice_are_allocated_as_v1()
    {
        string file = Path.Combine(_dir, "v1beta1.yaml");
        File.WriteAllText(file, V1beta1);

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(["allocate", "-f", file, "--node", "node-1", "--claim", "default/two-h100"], stdout, stderr);

        Assert.True(code == 0, stderr.ToString() + stdout);
        JsonNode results = JsonNode.Parse(stdout.ToString())!["claims"]![0]!["allocation"]!["devices"]!["results"]!;
        Assert.Equal(["gpu-1", "gpu-2"], results.AsArray().Select(r => (string?)r!["device"]));
    }

    [Fact]
    public void A_v1beta2_json_slice_and_claim_are_allocated_as_v1()
    {
        var slice = new JsonObject
        {
            ["apiVersion"] = "resource.k8s.io/v1beta2",
            ["kind"] = "ResourceSlice",
            ["metadata"] = new JsonObject { ["name"] = "s" },
            ["spec"] = JsonNode.Parse("""{"driver":"gpu.example.com","nodeName":"node-1","pool":{"name":"node-1","generation":1,"resourceSliceCount":1},"devices":[{"name":"gpu-0","attributes":{"model":{"string":"A100"}}},{"name":"gpu-1","attributes":{"model":{"string":"H100"}}}]}"""),
        };
        var claim = new JsonObject
        {
            ["apiVersion"] = "resource.k8s.io/v1beta2",
            ["kind"] = "ResourceClaim",
            ["metadata"] = new JsonObject { ["name"] = "one-h100" },
            ["spec"] = JsonNode.Parse("""{"devices":{"requests":[{"name":"gpu","exactly":{"deviceClassName":"gpu.example.com","selectors":[{"cel":{"expression":"device.attributes['gpu.example.com'].model == 'H100'"}}]}}]}}"""),
        };
        var deviceClass = JsonNode.Parse("""{"apiVersion":"resource.k8s.io/v1beta2","kind":"DeviceClass","metadata":{"name":"gpu.example.com"},"spec":{"selectors":[{"cel":{"expression":"device.driver == 'gpu.example.com'"}}]}}""");
        string file = Path.Combine(_dir, "v1beta2.json");
        File.WriteAllText(file, new JsonArray(deviceClass, slice, claim).ToJsonString());

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(["allocate", "-f", file, "--node", "node-1", "--claim", "default/one-h100"], stdout, stderr);

        Assert.True(code == 0, stderr.ToString() + stdout);
        Assert.Equal("gpu-1", (string?)JsonNode.Parse(stdout.ToString())!["claims"]![0]!["allocation"]!["devices"]!["results"]![0]!["device"]);
    }
}
