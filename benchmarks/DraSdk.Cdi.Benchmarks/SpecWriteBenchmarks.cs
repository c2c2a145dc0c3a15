using BenchmarkDotNet.Attributes;
using DraSdk.Cdi;

namespace DraSdk.Cdi.Benchmarks;

/// <summary>
/// Writing a typical per-claim spec (two GPUs with host device nodes, claim-level env and a driver bind mount):
/// the package's validate + version pick + serialize + temp file + fsync + rename + directory fsync, against a floor
/// measured in the same run that writes the same bytes with <see cref="File.WriteAllBytes(string, byte[])"/> and a
/// rename (no fsync, no validation).
/// </summary>
[MemoryDiagnoser]
public class SpecWriteBenchmarks
{
    private const string ClaimUid = "0f3e9a52-7c1d-4b8e-9f2a-1c2d3e4f5a6b";
    private string _directory = null!;
    private CdiClaimSpecs _claims = null!;
    private CdiDevice[] _devices = null!;
    private ContainerEdits _claimEdits = null!;
    private byte[] _bytes = null!;
    private string _target = null!;
    private string _temp = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "drasdk-cdi-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_directory);
        var writer = new CdiSpecWriter(new CdiSpecWriterOptions { SpecDirectory = _directory, MaximumVersion = CdiVersion.V0_5_0 });
        _claims = new CdiClaimSpecs(writer, CdiKind.Parse("k8s.gpu.example.com/claim"));
        _devices = [.. Enumerable.Range(0, 2).Select(i => new CdiDevice
        {
            Name = $"gpu-{i}",
            ContainerEdits = new ContainerEdits
            {
                Env = [$"NVIDIA_VISIBLE_DEVICES=GPU-{i:D8}-06c0-7d70-1a51-e59b25b2c16c"],
                DeviceNodes = [new DeviceNode { Path = $"/dev/nvidia{i}", HostPath = $"/dev/nvidia{i}", Type = "c", Major = 195, Minor = i, Permissions = "rw" }],
            },
        })];
        _claimEdits = new ContainerEdits
        {
            Env = [$"CLAIM_UID={ClaimUid}", "NVIDIA_DRIVER_CAPABILITIES=compute,utility"],
            DeviceNodes = [new DeviceNode { Path = "/dev/nvidiactl", HostPath = "/dev/nvidiactl" }],
            Mounts = [new Mount { HostPath = "/usr/lib/x86_64-linux-gnu/libcuda.so.570.86.15", ContainerPath = "/usr/lib/x86_64-linux-gnu/libcuda.so.570.86.15", Options = ["ro", "nosuid", "nodev", "rbind"] }],
        };
        _bytes = writer.Serialize(_claims.Build(ClaimUid, _devices, _claimEdits));
        _target = Path.Combine(_directory, "floor.json");
        _temp = Path.Combine(_directory, ".floor.json.tmp");
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Description = "CdiClaimSpecs.Write (validate, serialize, fsync, rename)")]
    public CdiClaimSpecFile ClaimSpecWrite() => _claims.Write(ClaimUid, _devices, _claimEdits);

    [Benchmark(Baseline = true, Description = "floor: File.WriteAllBytes + rename, same bytes")]
    public void Floor()
    {
        File.WriteAllBytes(_temp, _bytes);
        File.Move(_temp, _target, overwrite: true);
    }
}
