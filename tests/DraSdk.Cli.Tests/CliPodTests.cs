using System.Text.Json.Nodes;

namespace DraSdk.Cli.Tests;

/// <summary>dra allocate / explain with Pods: their claims, claim templates and extended-resource requests.</summary>
public sealed class CliPodTests : CliTestBase
{
    private static string[] Cluster => ["-f", Path.Combine(Samples, "deviceclass.yaml"), "-f", Path.Combine(Samples, "resourceslice.yaml")];

    private static string[] PodSample => ["-f", Path.Combine(Samples, "extended-resources")];

    private static JsonNode Container(JsonNode json, string container, string key, string value) =>
        json["containers"]!.AsArray().Single(c => (string?)c!["container"] == container && (string?)c[key] == value)!;

    private static string[] Devices(JsonNode entry) => entry["devices"]!.AsArray().Select(d => (string)d!).ToArray();

    [Fact]
    public void ThePodSampleGetsItsTemplateClaimAndItsExtendedResourceClaim()
    {
        var (code, stdout, stderr) = Run(["allocate", .. Cluster, .. PodSample, "--node", "gpu-node-1"]);
        Assert.True(code == 0, stderr);
        var json = JsonNode.Parse(stdout)!;
        Assert.Equal("default/trainer", (string?)json["pod"]);
        Assert.Equal("allocated", (string?)json["outcome"]);
        var resource = json["extendedResources"]![0]!;
        Assert.Equal(("example.com/gpu", "gpu.example.com", "dra"), ((string?)resource["resource"], (string?)resource["deviceClass"], (string?)resource["servedBy"]));

        var claims = json["claims"]!.AsArray();
        Assert.Equal(["trainer-big-gpu", "trainer-extended-resources"], claims.Select(c => (string?)c!["name"]));
        var extended = claims[1]!;
        Assert.Equal("true", (string?)extended["generated"]!["metadata"]!["annotations"]!["resource.kubernetes.io/extended-resource-claim"]);
        Assert.Equal("trainer-extended-resources-", (string?)extended["generated"]!["metadata"]!["generateName"]);
        Assert.Equal("big-gpu", (string?)claims[0]!["generated"]!["metadata"]!["annotations"]!["resource.kubernetes.io/pod-claim-name"]);

        // The template asks for an 80Gi GPU: gpu-0 (the first). The trainer's 2 and the evaluator's 1 follow; the
        // warmup init container reuses the trainer's request, as the scheduler maps it.
        var bigGpu = Container(json, "evaluator", "podClaim", "big-gpu");
        Assert.Equal(["gpu.example.com/gpu-node-1/gpu-0"], Devices(bigGpu));
        var trainer = Container(json, "trainer", "resource", "example.com/gpu");
        Assert.Equal("container-1-request-0", (string?)trainer["request"]);
        Assert.Equal("default/trainer-extended-resources", (string?)trainer["claim"]);
        Assert.Equal(2, Devices(trainer).Length);
        var evaluator = Container(json, "evaluator", "resource", "example.com/gpu");
        Assert.Equal("container-2-request-0", (string?)evaluator["request"]);
        Assert.Single(Devices(evaluator));
        Assert.Empty(Devices(trainer).Intersect(Devices(evaluator)).Concat(Devices(trainer).Intersect(Devices(bigGpu))));
        Assert.Equal(Devices(trainer), Devices(Container(json, "warmup", "resource", "example.com/gpu")));

        var status = json["extendedResourceClaimStatus"]!;
        Assert.Equal("trainer-extended-resources", (string?)status["resourceClaimName"]);
        Assert.Equal(3, status["requestMappings"]!.AsArray().Count);
    }

    [Fact]
    public void OnANodeWhoseDevicePluginAdvertisesTheResourceDraDoesNotServeIt()
    {
        var (code, stdout, stderr) = Run(["explain", .. Cluster, .. PodSample, "--node", "legacy-node"]);
        // The template's claim cannot be met there (no slices on legacy-node), but no extended-resource claim is made.
        Assert.Equal(1, code);
        Assert.Contains("extended resource example.com/gpu: served by the device plugin (node allocatable 8)", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("trainer-extended-resources", stdout, StringComparison.Ordinal);
        Assert.Equal("", stderr);

        // With --node-allocatable on gpu-node-1 the same happens there: only the template's claim is allocated.
        var (code2, stdout2, _) = Run(["allocate", .. Cluster, .. PodSample, "--node", "gpu-node-1", "--node-allocatable", "example.com/gpu=4"]);
        Assert.Equal(0, code2);
        var json = JsonNode.Parse(stdout2)!;
        Assert.Equal("devicePlugin", (string?)json["extendedResources"]![0]!["servedBy"]);
        Assert.Equal(["trainer-big-gpu"], json["claims"]!.AsArray().Select(c => (string?)c!["name"]));
        Assert.Equal("devicePlugin", (string?)Container(json, "trainer", "resource", "example.com/gpu")["servedBy"]);
        Assert.Null(json["extendedResourceClaimStatus"]);
    }

    [Fact]
    public void APodWithAnExistingClaimAndAnUnmappedResource()
    {
        var file = Write("pod.yaml", """
            apiVersion: resource.k8s.io/v1
            kind: ResourceClaim
            metadata:
              name: shared
            spec:
              devices:
                requests:
                - name: gpu
                  exactly:
                    deviceClassName: gpu.example.com
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: p
            spec:
              containers:
              - name: c
                resources:
                  limits:
                    example.com/fpga: 1
                  claims:
                  - name: gpu
                    request: gpu
              resourceClaims:
              - name: gpu
                resourceClaimName: shared
            """);
        var (code, stdout, _) = Run(["allocate", .. Cluster, "-f", file, "--node", "gpu-node-1", "--pod", "default/p"]);
        Assert.Equal(1, code);
        var json = JsonNode.Parse(stdout)!;
        Assert.Equal("unsatisfiable", (string?)json["outcome"]);
        Assert.Equal("unavailable", (string?)json["extendedResources"]![0]!["servedBy"]);
        Assert.Contains("example.com/fpga: no DeviceClass maps it and node gpu-node-1 does not advertise it", (string?)json["reason"], StringComparison.Ordinal);

        // Without the FPGA the existing claim is allocated and the container's claim reference shows its device.
        File.WriteAllText(file, File.ReadAllText(file).Replace("example.com/fpga: 1", "cpu: 1", StringComparison.Ordinal));
        var (code2, stdout2, _) = Run(["allocate", .. Cluster, "-f", file, "--node", "gpu-node-1"]);
        Assert.Equal(0, code2);
        var ok = JsonNode.Parse(stdout2)!;
        Assert.Equal("shared", (string?)ok["claims"]![0]!["name"]);
        Assert.Null(ok["claims"]![0]!["generated"]);
        Assert.Equal(["gpu.example.com/gpu-node-1/gpu-0"], Devices(Container(ok, "c", "podClaim", "gpu")));
    }

    [Fact]
    public void PodInputErrorsNameThePodAndTheMissingObject()
    {
        var file = Write("pod.yaml", """
            apiVersion: v1
            kind: Pod
            metadata:
              name: p
              namespace: ns
            spec:
              containers:
              - name: c
              resourceClaims:
              - name: x
                resourceClaimTemplateName: missing
            """);
        var (code, _, stderr) = Run(["allocate", .. Cluster, "-f", file, "--node", "gpu-node-1"]);
        Assert.Equal(2, code);
        Assert.Contains("Pod ns/p: spec.resourceClaims[x]: ResourceClaimTemplate ns/missing is not in the input", stderr, StringComparison.Ordinal);

        var (code2, _, stderr2) = Run(["allocate", .. Cluster, "-f", file, "--node", "gpu-node-1", "--pod", "ns/other"]);
        Assert.Equal(2, code2);
        Assert.Contains("--pod ns/other: no such Pod in the input", stderr2, StringComparison.Ordinal);

        var (code3, _, stderr3) = Run(["allocate", .. Cluster, "-f", file, "-f", file, "--node", "gpu-node-1"]);
        Assert.Equal(2, code3);
        Assert.Contains("name one with --pod", stderr3, StringComparison.Ordinal);

        var (code4, _, stderr4) = Run(["allocate", .. Cluster, "-f", file, "--node", "n", "--pod", "ns/p", "--claim", "ns/c"]);
        Assert.Equal(2, code4);
        Assert.Contains("--pod and --claim cannot be combined", stderr4, StringComparison.Ordinal);

        var (code5, _, stderr5) = Run(["allocate", .. Cluster, "-f", file, "--node", "n", "--node-allocatable", "example.com/gpu"]);
        Assert.Equal(2, code5);
        Assert.Contains("expected name=quantity", stderr5, StringComparison.Ordinal);
    }

    [Fact]
    public void AJsonPodAsksForTheImplicitNameOfAClass()
    {
        var file = Write("pod.json", """
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j", "namespace": "batch", "uid": "u-9"},
             "spec": {"containers": [{"name": "only", "resources": {"requests": {"deviceclass.resource.kubernetes.io/gpu.example.com": "3"}}}]}}
            """);
        var (code, stdout, stderr) = Run(["allocate", .. Cluster, "-f", file, "--node", "gpu-node-1"]);
        Assert.True(code == 0, stderr);
        var json = JsonNode.Parse(stdout)!;
        var claim = json["claims"]!.AsArray().Single()!;
        Assert.Equal(("batch", "j-extended-resources"), ((string?)claim["namespace"], (string?)claim["name"]));
        Assert.Equal("u-9", (string?)claim["generated"]!["metadata"]!["ownerReferences"]![0]!["uid"]);
        var container = Container(json, "only", "resource", "deviceclass.resource.kubernetes.io/gpu.example.com");
        Assert.Equal(3, Devices(container).Length);
        Assert.Equal("container-0-request-0", (string?)container["request"]);
    }

    [Fact]
    public void ExplainSaysWhenNobodyServesAnExtendedResource()
    {
        var file = Write("pod.yaml", """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              containers:
              - name: c
                resources: {limits: {example.com/fpga: 2}}
            """);
        var (code, stdout, _) = Run(["explain", .. Cluster, "-f", file, "--node", "gpu-node-1"]);
        Assert.Equal(1, code);
        Assert.Contains("extended resource example.com/fpga: served by nobody: no DeviceClass maps it and the node does not advertise it; the pod does NOT fit", stdout, StringComparison.Ordinal);

        var (jsonCode, jsonOut, _) = Run(["explain", .. Cluster, "-f", file, "--node", "gpu-node-1", "-o", "json"]);
        Assert.Equal(1, jsonCode);
        Assert.False((bool?)JsonNode.Parse(jsonOut)!["fits"]);
    }

    [Fact]
    public void ExplainJsonCarriesThePodAndItsExtendedResources()
    {
        var (code, stdout, _) = Run(["explain", .. Cluster, .. PodSample, "--node", "gpu-node-1", "-o", "json"]);
        Assert.Equal(0, code);
        var json = JsonNode.Parse(stdout)!;
        Assert.True((bool?)json["fits"]);
        Assert.Equal("default/trainer", (string?)json["pod"]);
        Assert.Equal("dra", (string?)json["extendedResources"]![0]!["servedBy"]);
        var extended = json["claims"]!.AsArray().Single(c => (string?)c!["name"] == "trainer-extended-resources")!;
        Assert.Equal(["container-1-request-0", "container-2-request-0"], extended["requests"]!.AsArray().Select(r => (string?)r!["request"]));
    }
}
