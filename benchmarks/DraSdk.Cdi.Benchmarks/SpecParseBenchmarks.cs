using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using DraSdk.Cdi;

namespace DraSdk.Cdi.Benchmarks;

/// <summary>
/// Reading a 100-device spec: the package's strict reader (UTF-8 check, duplicate keys, case-insensitive fields with
/// unknown ones rejected, every error located, then full validation) against a floor measured in the same run that
/// deserializes the same bytes with System.Text.Json into plain DTOs (no checks at all).
/// </summary>
[MemoryDiagnoser]
public class SpecParseBenchmarks
{
    private byte[] _json = null!;

    [GlobalSetup]
    public void Setup()
    {
        var spec = new CdiSpec
        {
            Kind = "k8s.gpu.example.com/gpu",
            ContainerEdits = new ContainerEdits
            {
                Env = ["NVIDIA_DRIVER_CAPABILITIES=compute,utility"],
                DeviceNodes = [new DeviceNode { Path = "/dev/nvidiactl", HostPath = "/dev/nvidiactl" }],
                Mounts = [new Mount { HostPath = "/usr/bin/nvidia-smi", ContainerPath = "/usr/bin/nvidia-smi", Options = ["ro", "nosuid", "nodev", "rbind"] }],
            },
            Devices = [.. Enumerable.Range(0, 100).Select(i => new CdiDevice
            {
                Name = $"gpu-{i}",
                ContainerEdits = new ContainerEdits
                {
                    Env = [$"NVIDIA_VISIBLE_DEVICES=GPU-{i:D8}-06c0-7d70-1a51-e59b25b2c16c"],
                    DeviceNodes =
                    [
                        new DeviceNode { Path = $"/dev/nvidia{i}", HostPath = $"/dev/nvidia{i}", Type = "c", Major = 195, Minor = i, FileMode = 438, Permissions = "rw", Uid = 0, Gid = 0 },
                        new DeviceNode { Path = $"/dev/dri/card{i}", HostPath = $"/dev/dri/card{i}" },
                    ],
                },
            })],
        };
        _json = new CdiSpecWriter().Serialize(spec);
    }

    [Benchmark(Description = "CdiSpecReader.Parse (strict + validate), 100 devices")]
    public CdiSpec Parse() => CdiSpecReader.Parse(_json, "bench.json");

    [Benchmark(Baseline = true, Description = "floor: JsonSerializer.Deserialize into a plain DTO")]
    public SpecDto? Floor() => JsonSerializer.Deserialize(_json, DtoContext.Default.SpecDto);
}

public sealed class SpecDto
{
    public string? CdiVersion { get; set; }
    public string? Kind { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public List<DeviceDto>? Devices { get; set; }
    public EditsDto? ContainerEdits { get; set; }
}

public sealed class DeviceDto
{
    public string? Name { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public EditsDto? ContainerEdits { get; set; }
}

public sealed class EditsDto
{
    public List<string>? Env { get; set; }
    public List<NodeDto>? DeviceNodes { get; set; }
    public List<MountDto>? Mounts { get; set; }
}

public sealed class NodeDto
{
    public string? Path { get; set; }
    public string? HostPath { get; set; }
    public string? Type { get; set; }
    public long? Major { get; set; }
    public long? Minor { get; set; }
    public uint? FileMode { get; set; }
    public string? Permissions { get; set; }
    public uint? Uid { get; set; }
    public uint? Gid { get; set; }
}

public sealed class MountDto
{
    public string? HostPath { get; set; }
    public string? ContainerPath { get; set; }
    public List<string>? Options { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SpecDto))]
public sealed partial class DtoContext : JsonSerializerContext;
