using System.Diagnostics;
using System.Text.Json.Nodes;

namespace DraSdk.Cli.Tests;

/// <summary>The dra commands, run in-process and, for the exit-code contract, as a real process.</summary>
public sealed class CliTests : CliTestBase
{
    private static string[] SampleFiles => ["-f", Path.Combine(Samples, "deviceclass.yaml"), "-f", Path.Combine(Samples, "resourceslice.yaml"), "-f", Path.Combine(Samples, "claims.yaml")];

    [Fact]
    public void AllocateOneClaim()
    {
        var (code, stdout, _) = Run(["allocate", .. SampleFiles, "--node", "gpu-node-1", "--claim", "default/one-gpu"]);
        Assert.Equal(0, code);
        var json = JsonNode.Parse(stdout)!;
        Assert.Equal("gpu-node-1", (string?)json["node"]);
        Assert.Equal("allocated", (string?)json["outcome"]);
        var claim = json["claims"]![0]!;
        Assert.Equal("one-gpu", (string?)claim["name"]);
        Assert.Equal("default", (string?)claim["namespace"]);
        // gpu-0 is in use by the allocated sample claim.
        Assert.Equal("gpu-1", (string?)claim["allocation"]!["devices"]!["results"]![0]!["device"]);
        Assert.Equal("FromClass", (string?)claim["allocation"]!["devices"]!["config"]![0]!["source"]);
    }

    [Fact]
    public void AllocateEveryUnallocatedClaimTogether()
    {
        // one-gpu, two-gpus-same-numa and eight-gpus together do not fit.
        var (code, stdout, _) = Run(["allocate", .. SampleFiles, "--node", "gpu-node-1"]);
        Assert.Equal(1, code);
        Assert.Equal("unsatisfiable", (string?)JsonNode.Parse(stdout)!["outcome"]);
    }

    [Fact]
    public void AllocateClaimsInGivenOrder()
    {
        var (code, stdout, _) = Run(["allocate", .. SampleFiles, "--node", "gpu-node-1", "--claim", "default/two-gpus-same-numa", "--claim", "default/one-gpu"]);
        Assert.Equal(0, code);
        var claims = JsonNode.Parse(stdout)!["claims"]!.AsArray();
        Assert.Equal(["two-gpus-same-numa", "one-gpu"], claims.Select(c => (string?)c!["name"]));
        Assert.Equal("gpus/h100", (string?)claims[0]!["allocation"]!["devices"]!["results"]![0]!["request"]);
        Assert.Equal("gpu-3", (string?)claims[1]!["allocation"]!["devices"]!["results"]![0]!["device"]);
    }

    [Fact]
    public void UnsatisfiableExplains()
    {
        var (code, stdout, _) = Run(["allocate", .. SampleFiles, "--node", "gpu-node-1", "--claim", "default/eight-gpus"]);
        Assert.Equal(1, code);
        var json = JsonNode.Parse(stdout)!;
        Assert.Equal("unsatisfiable", (string?)json["outcome"]);
        var request = json["explanation"]!["claims"]![0]!["requests"]![0]!;
        Assert.Equal(8, (int)request["inScope"]!);
        Assert.Equal(1, (int)request["removed"]!["inUse"]!);
        Assert.Equal(1, (int)request["removed"]!["taint"]!);
        Assert.Equal(6, (int)request["available"]!);
    }

    [Fact]
    public void FeaturesNoneIgnoresTaints()
    {
        var (code, _, _) = Run(["allocate", .. SampleFiles, "--node", "gpu-node-1", "--claim", "default/one-gpu", "--features", "none"]);
        Assert.Equal(0, code);
        var (code2, _, stderr) = Run(["allocate", .. SampleFiles, "--node", "gpu-node-1", "--claim", "default/two-gpus-same-numa", "--features", "DeviceTaints,AdminAccess"]);
        Assert.Equal(2, code2);
        Assert.Contains("DRAPrioritizedList feature is disabled", stderr, StringComparison.Ordinal);
        Assert.Contains("claims.yaml: ResourceClaim default/two-gpus-same-numa", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void NodeOnOtherNodeDoesNotFit()
    {
        var (code, _, _) = Run(["allocate", .. SampleFiles, "--node", "other", "--claim", "default/one-gpu"]);
        Assert.Equal(1, code);
    }

    [Fact]
    public void YamlOutput()
    {
        var (code, stdout, _) = Run(["allocate", .. SampleFiles, "--node", "gpu-node-1", "--claim", "default/one-gpu", "-o", "yaml"]);
        Assert.Equal(0, code);
        Assert.Contains("outcome: allocated", stdout, StringComparison.Ordinal);
        Assert.Contains("device: gpu-1", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonListAndArrayInputs()
    {
        var list = Write("list.json", """
            {"apiVersion": "v1", "kind": "List", "items": [
              {"apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass", "metadata": {"name": "c"}},
              {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice", "metadata": {"name": "s"},
               "spec": {"driver": "d", "nodeName": "n", "pool": {"name": "p", "generation": 1, "resourceSliceCount": 1}, "devices": [{"name": "x"}, {"name": "y"}]}}
            ]}
            """);
        var array = Write("claims.json", """
            [{"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaim", "metadata": {"name": "a", "namespace": "ns"},
              "spec": {"devices": {"requests": [{"name": "r", "exactly": {"deviceClassName": "c", "count": 2}}]}}}]
            """);
        var (code, stdout, stderr) = Run(["allocate", "-f", list, "-f", array, "--node", "n"]);
        Assert.True(code == 0, stderr);
        var results = JsonNode.Parse(stdout)!["claims"]![0]!["allocation"]!["devices"]!["results"]!.AsArray();
        Assert.Equal(["x", "y"], results.Select(r => (string?)r!["device"]));
    }

    [Fact]
    public void NodeLabelsFromNodeObjectAndOption()
    {
        var file = Write("net.yaml", """
            apiVersion: resource.k8s.io/v1
            kind: DeviceClass
            metadata: {name: c}
            ---
            apiVersion: resource.k8s.io/v1
            kind: ResourceSlice
            metadata: {name: s}
            spec:
              driver: d
              pool: {name: p, generation: 1, resourceSliceCount: 1}
              nodeSelector:
                nodeSelectorTerms:
                - matchExpressions:
                  - {key: zone, operator: In, values: [a]}
                  - {key: rack, operator: In, values: ["7"]}
              devices: [{name: x}]
            ---
            apiVersion: v1
            kind: Node
            metadata: {name: n, labels: {zone: a}}
            ---
            apiVersion: resource.k8s.io/v1
            kind: ResourceClaim
            metadata: {name: a}
            spec:
              devices:
                requests: [{name: r, exactly: {deviceClassName: c}}]
            """);
        Assert.Equal(1, Run(["allocate", "-f", file, "--node", "n"]).Code);
        var (code, stdout, _) = Run(["allocate", "-f", file, "--node", "n", "--node-label", "rack=7"]);
        Assert.Equal(0, code);
        Assert.Equal(2, JsonNode.Parse(stdout)!["claims"]![0]!["allocation"]!["nodeSelector"]!["nodeSelectorTerms"]![0]!["matchExpressions"]!.AsArray().Count);
    }

    [Fact]
    public void InvalidInputNamesFileAndObject()
    {
        var file = Write("bad.yaml", """
            apiVersion: resource.k8s.io/v1
            kind: ResourceClaim
            metadata: {name: broken}
            spec:
              devices:
                requests: [{name: r, exactly: {deviceClassName: missing}}]
            """);
        var (code, stdout, stderr) = Run(["allocate", "-f", file, "--node", "n"]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("bad.yaml: ResourceClaim default/broken", stderr, StringComparison.Ordinal);
        Assert.Contains("could not retrieve device class missing", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kind: Deployment\nmetadata: {name: p}\n", "Deployment p: unsupported kind")]
    [InlineData("kind: DeviceClass\nmetadata: {}\n", "metadata.name is missing")]
    [InlineData("kind: [\n", "invalid YAML")]
    [InlineData("{\"kind\": ", "invalid JSON")]
    [InlineData("kind: ResourceSlice\nmetadata: {name: s}\nspec: {}\n", "ResourceSlice s: spec.driver and spec.pool are required")]
    public void UndecodableInput(string content, string expected)
    {
        var file = Write("input.yaml", content);
        var (code, _, stderr) = Run(["allocate", "-f", file, "--node", "n"]);
        Assert.Equal(2, code);
        Assert.Contains("input.yaml", stderr, StringComparison.Ordinal);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "allocate" }, "at least one -f")]
    [InlineData(new[] { "allocate", "-f", "x.yaml" }, "--node is required")]
    [InlineData(new[] { "allocate", "-f", "x", "--node", "n", "--features", "Bogus" }, "unknown feature 'Bogus'")]
    [InlineData(new[] { "allocate", "-f", "x", "--node", "n", "--claim", "nonamespace" }, "expected <namespace>/<name>")]
    [InlineData(new[] { "allocate", "-f", "x", "--node", "n", "-o", "text" }, "expected one of json, yaml")]
    [InlineData(new[] { "allocate", "--bogus" }, "unknown option '--bogus'")]
    [InlineData(new[] { "frobnicate" }, "unknown command")]
    [InlineData(new string[0], "Usage")]
    [InlineData(new[] { "allocate", "-f", "/nonexistent/file.yaml", "--node", "n" }, "cannot read")]
    public void UsageErrors(string[] args, string expected)
    {
        var (code, _, stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_node_is_a_usage_error_with_the_help_hint()
    {
        var (code, _, stderr) = Run(["explain", "-f", "x.yaml"]);

        Assert.Equal(2, code);
        Assert.Equal(["error: --node is required", "Run 'dra explain --help' for usage."], stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("allocate", "--help")]
    [InlineData("explain", "-h")]
    [InlineData("cel", "--help")]
    public void Help(params string[] args)
    {
        var (code, stdout, _) = Run(args);
        Assert.Equal(0, code);
        Assert.Contains("Usage", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ExplainText()
    {
        var (code, stdout, _) = Run(["explain", .. SampleFiles, "--node", "gpu-node-1", "--claim", "default/eight-gpus"]);
        Assert.Equal(1, code);
        Assert.Contains("the claims do NOT fit", stdout, StringComparison.Ordinal);
        Assert.Contains("| - in use", stdout, StringComparison.Ordinal);
        Assert.Contains("| - taint", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ExplainJsonWhenFits()
    {
        var (code, stdout, _) = Run(["explain", .. SampleFiles, "--node", "gpu-node-1", "--claim", "default/one-gpu", "-o", "json"]);
        Assert.Equal(0, code);
        var json = JsonNode.Parse(stdout)!;
        Assert.True((bool)json["fits"]!);
        Assert.Equal(6, (int)json["claims"]![0]!["requests"]![0]!["available"]!);
    }

    [Fact]
    public void CelText()
    {
        var (code, stdout, _) = Run(["cel", "-e", "device.attributes[\"gpu.example.com\"].model == \"h100\"", "-f", Path.Combine(Samples, "resourceslice.yaml")]);
        Assert.Equal(0, code);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, lines.Length);
        Assert.Equal("gpu.example.com/gpu-node-1/gpu-0: true", lines[0]);
        Assert.Equal("gpu.example.com/gpu-node-1/gpu-7: false", lines[7]);
    }

    [Fact]
    public void CelJsonWithErrors()
    {
        var (code, stdout, _) = Run(["cel", "-e", "device.attributes[\"gpu.example.com\"].nope == 1", "-f", Path.Combine(Samples, "resourceslice.yaml"), "-o", "json"]);
        Assert.Equal(0, code);
        var array = JsonNode.Parse(stdout)!.AsArray();
        Assert.Equal(8, array.Count);
        Assert.Null(array[0]!["result"]);
        Assert.Contains("no such key", (string?)array[0]!["error"], StringComparison.Ordinal);
        Assert.Equal(["driver", "pool", "device", "result", "error"], array[0]!.AsObject().Select(kv => kv.Key));
    }

    [Fact]
    public void CelCompileError()
    {
        var (code, stdout, stderr) = Run(["cel", "-e", "device.driver ==", "-f", Path.Combine(Samples, "resourceslice.yaml")]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("line 1, column", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void CelListTypesNeedTheFeature()
    {
        var file = Write("lists.yaml", """
            apiVersion: resource.k8s.io/v1
            kind: ResourceSlice
            metadata: {name: s}
            spec:
              driver: d
              nodeName: n
              pool: {name: p, generation: 1, resourceSliceCount: 1}
              devices:
              - name: x
                attributes:
                  roots: {strings: [a, b]}
            """);
        var (code, stdout, _) = Run(["cel", "-e", "device.attributes[\"d\"].roots.exists(r, r == \"b\")", "-f", file]);
        Assert.Equal(0, code);
        Assert.Equal("d/p/x: true", stdout.Trim());
    }

    // The contract scripts rely on: the real executable, its stdout JSON and exit codes 0/1/2.
    private static (int Code, string Out, string Err) Process(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "DraSdk.Cli.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    [Fact]
    public void ProcessExitCodeAllocated()
    {
        var (code, stdout, stderr) = Process(["allocate", .. SampleFiles, "--node", "gpu-node-1", "--claim", "default/one-gpu"]);
        Assert.True(code == 0, stderr);
        Assert.Equal("allocated", (string?)JsonNode.Parse(stdout)!["outcome"]);
        Assert.DoesNotContain("\u001b[", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ProcessExitCodeUnsatisfiable()
    {
        var (code, stdout, _) = Process(["allocate", .. SampleFiles, "--node", "gpu-node-1", "--claim", "default/eight-gpus"]);
        Assert.Equal(1, code);
        Assert.Equal("unsatisfiable", (string?)JsonNode.Parse(stdout)!["outcome"]);
    }

    [Fact]
    public void ProcessExitCodeInvalid()
    {
        var (code, stdout, stderr) = Process(["allocate", "-f", Path.Combine(Samples, "claims.yaml"), "--node", "gpu-node-1", "--claim", "default/one-gpu"]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("claims.yaml: ResourceClaim default/one-gpu", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ProcessCelCompileError()
    {
        var (code, _, stderr) = Process(["cel", "-e", "device.driver ==", "-f", Path.Combine(Samples, "resourceslice.yaml")]);
        Assert.Equal(2, code);
        Assert.Contains("position", stderr, StringComparison.Ordinal);
    }
}
