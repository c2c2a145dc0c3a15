using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace NvidiaGpuDriver.Tests;

/// <summary>
/// Everything under deployments/ that can be checked without a cluster: every manifest and demo spec parses as the
/// Kubernetes types without losing a field, the chart renders to the static manifest, the kind config and Dockerfile.
/// </summary>
public sealed partial class DeploymentTests
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
        string yaml = File.ReadAllText(Path.Combine(Deployments, relativePath));

        List<object> objects = KubernetesYaml.LoadAllFromString(yaml);

        List<JsonNode?> raw = RawDocuments(yaml);
        Assert.Equal(raw.Count, objects.Count);
        for (int i = 0; i < objects.Count; i++)
        {
            Assert.IsAssignableFrom<IKubernetesObject>(objects[i]);
            JsonNode typed = JsonNode.Parse(KubernetesJson.Serialize(objects[i]))!;
            AssertSameContent(raw[i], typed, $"{relativePath}[{i}] ({objects[i].GetType().Name})");
        }
    }

    [Fact]
    public void The_static_manifest_is_the_chart_rendered_with_the_kind_values()
    {
        string chart = Path.Combine(Deployments, "helm", "nvidia-gpu-driver");
        var values = (Dictionary<object, object>)Merge(LoadYaml(Path.Combine(chart, "values.yaml")), LoadYaml(Path.Combine(chart, "values-kind.yaml")));
        var context = new Dictionary<object, object>
        {
            ["Values"] = values,
            ["Release"] = new Dictionary<object, object> { ["Namespace"] = "nvidia-dra-driver", ["Name"] = "nvidia-gpu-driver" },
        };
        var rendered = new List<object> { new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "nvidia-dra-driver" } } };
        foreach (string template in Directory.GetFiles(Path.Combine(chart, "templates"), "*.yaml").Order(StringComparer.Ordinal))
        {
            string text = TemplateRegex().Replace(File.ReadAllText(template), m => Evaluate(m.Groups[1].Value, context));
            Assert.DoesNotContain("{{", text, StringComparison.Ordinal);
            rendered.AddRange(KubernetesYaml.LoadAllFromString(text));
        }

        List<object> shipped = KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Deployments, "static", "nvidia-gpu-driver.yaml")));
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
        Assert.DoesNotContain(role.Rules, r => r.Verbs.Contains("*") || r.Resources.Contains("*"));
        Assert.Equal(["gpu.nvidia.com", "mig.nvidia.com"], shipped.OfType<V1DeviceClass>().Select(c => c.Metadata.Name));
        V1ValidatingAdmissionPolicy policy = shipped.OfType<V1ValidatingAdmissionPolicy>().Single();
        Assert.Contains("system:serviceaccount:nvidia-dra-driver:nvidia-gpu-driver", policy.Spec.MatchConditions.Single().Expression, StringComparison.Ordinal);
        Assert.Equal(policy.Metadata.Name, shipped.OfType<V1ValidatingAdmissionPolicyBinding>().Single().Spec.PolicyName);
    }

    [Fact]
    public void The_kind_config_enables_DRA_and_CDI_and_labels_a_GPU_worker()
    {
        var config = (Dictionary<object, object>)LoadYaml(Path.Combine(Deployments, "kind", "kind-config.yaml"));

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
        foreach (string script in new[] { "build-image.sh", "create-cluster.sh", "load-image.sh", "install.sh", "demo.sh", "up.sh", "down.sh", "render-static.py" })
        {
            Assert.True(File.Exists(Path.Combine(Deployments, "scripts", script)), script);
        }
    }

    private static List<JsonNode?> RawDocuments(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        IDeserializer deserializer = new DeserializerBuilder().Build();
        var documents = new List<JsonNode?>();
        parser.Consume<YamlDotNet.Core.Events.StreamStart>();
        while (parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _))
        {
            object? document = deserializer.Deserialize(parser);
            if (document is not null)
            {
                documents.Add(ToJson(document));
            }
        }

        return documents;
    }

    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        Dictionary<object, object> map => new JsonObject(map.Select(p => KeyValuePair.Create(p.Key.ToString()!, ToJson(p.Value)))),
        List<object> list => new JsonArray([.. list.Select(ToJson)]),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    /// <summary>Every field of the raw YAML is in the typed object with the same value (scalars compared as text).</summary>
    private static void AssertSameContent(JsonNode? raw, JsonNode? typed, string path)
    {
        switch (raw)
        {
            case null:
                return;
            case JsonObject o:
                foreach ((string key, JsonNode? value) in o)
                {
                    if (value is JsonObject { Count: 0 } && typed?[key] is null)
                    {
                        continue; // {} and absent are the same to the API server
                    }

                    Assert.True(typed is JsonObject t && t.ContainsKey(key), $"{path}.{key} is lost when parsed as the Kubernetes type");
                    AssertSameContent(value, typed![key], $"{path}.{key}");
                }

                break;
            case JsonArray a:
                JsonArray ta = Assert.IsType<JsonArray>(typed);
                Assert.Equal(a.Count, ta.Count);
                for (int i = 0; i < a.Count; i++)
                {
                    AssertSameContent(a[i], ta[i], $"{path}[{i}]");
                }

                break;
            default:
                string expected = raw.GetValue<string>();
                string actual = typed is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : typed!.ToJsonString();
                Assert.True(expected == actual || (expected is "true" or "false" && actual == expected), $"{path}: '{expected}' became '{actual}'");
                break;
        }
    }

    private static object LoadYaml(string path) => new DeserializerBuilder().Build().Deserialize<object>(File.ReadAllText(path)) ?? new Dictionary<object, object>();

    private static object Merge(object a, object b)
    {
        if (a is Dictionary<object, object> left && b is Dictionary<object, object> right)
        {
            foreach ((object key, object value) in right)
            {
                left[key] = left.TryGetValue(key, out object? existing) ? Merge(existing, value) : value;
            }

            return left;
        }

        return b;
    }

    /// <summary>The template language the chart uses: a value path, then <c>| quote</c> or <c>| toJson</c>.</summary>
    private static string Evaluate(string expression, Dictionary<object, object> context)
    {
        string[] parts = [.. expression.Split('|').Select(p => p.Trim())];
        object value = context;
        foreach (string segment in parts[0].TrimStart('.').Split('.'))
        {
            value = ((Dictionary<object, object>)value)[segment];
        }

        foreach (string function in parts[1..])
        {
            value = function switch
            {
                "quote" => JsonSerializer.Serialize(Convert.ToString(value, CultureInfo.InvariantCulture)),
                "toJson" => ToJson(value)?.ToJsonString() ?? "null",
                _ => throw new InvalidOperationException($"template function {function} is not supported"),
            };
        }

        return Convert.ToString(value, CultureInfo.InvariantCulture)!;
    }

    [GeneratedRegex(@"\{\{\s*(.+?)\s*\}\}")]
    private static partial Regex TemplateRegex();
}
