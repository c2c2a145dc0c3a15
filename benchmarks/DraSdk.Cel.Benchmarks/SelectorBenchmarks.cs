using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using DraSdk.Cel;
using k8s.Models;

namespace DraSdk.Cel.Benchmarks;

/// <summary>
/// Typical DRA selectors evaluated by CEL against a hand-written C# predicate doing the same on the same
/// <see cref="CelDevice"/> inputs (the floor, marked as the baseline of each category).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SelectorBenchmarks
{
    private const string Driver = "gpu.example.com";
    private static readonly decimal FortyGi = 40m * 1024 * 1024 * 1024;
    private static readonly Version One = new(1, 0, 0);

    private CelDevice _device = null!;
    private CelProgram _driver = null!;
    private CelProgram _model = null!;
    private CelProgram _memory = null!;
    private CelProgram _version = null!;
    private CelProgram _combined = null!;

    [GlobalSetup]
    public void Setup()
    {
        // Unqualified names, as a driver publishes them in its ResourceSlice.
        _device = new CelDevice(
            Driver,
            new Dictionary<string, V1DeviceAttribute>
            {
                ["model"] = new() { StringValue = "LATEST-GPU-MODEL" },
                ["driverVersion"] = new() { Version = "1.2.3" },
                ["uuid"] = new() { StringValue = "gpu-18db0e85-99e9-c746-8531-ffeb86328b39" },
                ["index"] = new() { IntValue = 0 },
                ["productName"] = new() { StringValue = "Example GPU 80GB" },
                ["resource.kubernetes.io/pcieRoot"] = new() { StringValue = "pci0000:00" },
            },
            new Dictionary<string, V1DeviceCapacity>
            {
                ["memory"] = new() { Value = new ResourceQuantity("80Gi") },
                ["cores"] = new() { Value = new ResourceQuantity("132") },
            });
        var env = CelEnvironment.Create();
        _driver = env.Compile("device.driver == \"gpu.example.com\"");
        _model = env.Compile("device.attributes[\"gpu.example.com\"].model == \"LATEST-GPU-MODEL\"");
        _memory = env.Compile("device.capacity[\"gpu.example.com\"].memory.compareTo(quantity(\"40Gi\")) >= 0");
        _version = env.Compile("device.attributes[\"gpu.example.com\"].driverVersion.isGreaterThan(semver(\"1.0.0\"))");
        _combined = env.Compile(
            "device.driver == \"gpu.example.com\" && device.attributes[\"gpu.example.com\"].model == \"LATEST-GPU-MODEL\" && " +
            "device.capacity[\"gpu.example.com\"].memory.compareTo(quantity(\"40Gi\")) >= 0");
        if (Cel(_driver) != true || Cel(_model) != true || Cel(_memory) != true || Cel(_version) != true || Cel(_combined) != true ||
            !DriverFloor() || !ModelFloor() || !MemoryFloor() || !VersionFloor() || !CombinedFloor())
        {
            throw new InvalidOperationException("a selector does not match the benchmark device");
        }
    }

    private bool? Cel(CelProgram p) => p.Evaluate(_device).Value;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("driver")]
    public bool DriverFloor() => _device.Driver == "gpu.example.com";

    [Benchmark]
    [BenchmarkCategory("driver")]
    public bool? DriverCel() => _driver.Evaluate(_device).Value;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("attribute")]
    public bool ModelFloor() =>
        _device.Attributes!.TryGetValue("model", out var a) && a.StringValue == "LATEST-GPU-MODEL";

    [Benchmark]
    [BenchmarkCategory("attribute")]
    public bool? ModelCel() => _model.Evaluate(_device).Value;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("quantity")]
    public bool MemoryFloor() =>
        _device.Capacity!.TryGetValue("memory", out var c) && c.Value.ToDecimal().CompareTo(FortyGi) >= 0;

    [Benchmark]
    [BenchmarkCategory("quantity")]
    public bool? MemoryCel() => _memory.Evaluate(_device).Value;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("semver")]
    public bool VersionFloor() =>
        _device.Attributes!.TryGetValue("driverVersion", out var a) && Version.TryParse(a.Version, out var v) && v > One;

    [Benchmark]
    [BenchmarkCategory("semver")]
    public bool? VersionCel() => _version.Evaluate(_device).Value;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("combined")]
    public bool CombinedFloor() => DriverFloor() && ModelFloor() && MemoryFloor();

    [Benchmark]
    [BenchmarkCategory("combined")]
    public bool? CombinedCel() => _combined.Evaluate(_device).Value;
}
