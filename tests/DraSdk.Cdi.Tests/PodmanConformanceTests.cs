using System.Text;
using DraSdk.Tests.Shared;

namespace DraSdk.Cdi.Tests;

/// <summary>
/// Conformance with a real runtime: specs written by the package into <c>/var/run/cdi</c> (podman 4.3 reads only the
/// default directories; it has no <c>--cdi-spec-dir</c>) are injected by Debian 12's podman 4.3 into a busybox
/// container, and checked from inside it. These tests fail, rather than skip, when podman is missing: install
/// <c>podman runc busybox-static</c> (the CI's <c>.ci/run</c> does).
/// </summary>
public sealed class PodmanConformanceTests : IDisposable
{
    private const string SpecDirectory = BusyboxPodman.SpecDirectory;

    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _temp = new();
    private readonly BusyboxPodman _podman;
    private readonly string _hostDir;
    private readonly CdiKind _kind;
    private readonly List<string> _written = [];

    public PodmanConformanceTests(ITestOutputHelper output)
    {
        _output = output;
        _podman = BusyboxPodman.Create(_temp.Path);

        _hostDir = Path.Combine(_temp.Path, "host-driver");
        Directory.CreateDirectory(_hostDir);
        File.WriteAllText(Path.Combine(_hostDir, "version.txt"), "driver 570.86.15\n");

        // A class unique to this run, so that parallel runs and leftovers never clash (classes need 2+ characters).
        _kind = CdiKind.Parse($"conformance.drasdk.test/r{Guid.NewGuid().ToString("N")[..10]}");
    }

    public void Dispose()
    {
        foreach (string file in _written)
        {
            File.Delete(file);
        }

        _temp.Dispose();
    }

    private static CdiSpecWriter Writer(CdiVersion? cap = null, CdiVersion? floor = null) =>
        new(new CdiSpecWriterOptions { SpecDirectory = SpecDirectory, MaximumVersion = cap, MinimumVersion = floor });

    private CdiSpecFile Track(CdiSpecFile file)
    {
        _written.Add(file.Path);
        return file;
    }

    private PodmanResult RunPodman(IEnumerable<string> devices, string script, bool debug = false)
    {
        PodmanResult result = _podman.Run(devices, script, debug);
        _output.WriteLine($"$ {result.CommandLine}");
        _output.WriteLine($"exit {result.ExitCode} after {result.Elapsed.TotalMilliseconds:F0} ms");
        _output.WriteLine(result.Stdout);
        _output.WriteLine(string.Join('\n', result.Stderr.Split('\n').Where(l => !debug || l.Contains("CDI", StringComparison.OrdinalIgnoreCase) || l.StartsWith("Error", StringComparison.Ordinal))));
        return result;
    }

    private static void AssertLine(string output, string line) =>
        Assert.True(output.Split('\n').Contains(line), $"expected the line \"{line}\" in:\n{output}");

    [Fact]
    public void Typical_gpu_claim_spec_at_the_minimum_version_is_injected_by_podman_4_3()
    {
        // A claim UID starting with a digit and device nodes with a hostPath: the content needs 0.5.0, which is what
        // the writer picks and what podman 4.3 (Debian 12) reads at most.
        const string claimUid = "0f3e9a52-7c1d-4b8e-9f2a-1c2d3e4f5a6b";
        var claims = new CdiClaimSpecs(Writer(cap: CdiVersion.V0_5_0), _kind);
        CdiClaimSpecFile file = claims.Write(claimUid,
        [
            new CdiDevice
            {
                Name = "gpu-0",
                ContainerEdits = new ContainerEdits
                {
                    Env = ["GPU_VISIBLE_DEVICES=gpu-0", "GPU_MODE=device"],
                    DeviceNodes = [new DeviceNode { Path = "/dev/fake-gpu0", HostPath = "/dev/null", Permissions = "rw" }],
                },
            },
            new CdiDevice
            {
                Name = "gpu-1",
                ContainerEdits = new ContainerEdits
                {
                    DeviceNodes = [new DeviceNode { Path = "/dev/fake-gpu1", HostPath = "/dev/zero", Type = "c", Major = 1, Minor = 5 }],
                },
            },
        ], new ContainerEdits
        {
            Env = [$"CLAIM_UID={claimUid}", "GPU_MODE=claim"],
            Mounts = [new Mount { HostPath = _hostDir, ContainerPath = "/opt/gpu-driver", Options = ["ro", "nosuid", "nodev", "bind"] }],
        });
        _written.Add(file.Path);
        Assert.Equal(CdiVersion.V0_5_0, file.Version);
        Assert.Contains("\"cdiVersion\": \"0.5.0\"", File.ReadAllText(file.Path), StringComparison.Ordinal);

        string[] ids = [file.DeviceIds["gpu-0"].ToString(), file.DeviceIds["gpu-1"].ToString()];
        PodmanResult run = RunPodman(ids,
            "echo \"CLAIM_UID=$CLAIM_UID\"; echo \"GPU_VISIBLE_DEVICES=$GPU_VISIBLE_DEVICES\"; echo \"GPU_MODE=$GPU_MODE\"; " +
            "stat -c '%n %F %t:%T' /dev/fake-gpu0 /dev/fake-gpu1; cat /opt/gpu-driver/version.txt");

        Assert.Equal(0, run.ExitCode);
        AssertLine(run.Stdout, $"CLAIM_UID={claimUid}");
        AssertLine(run.Stdout, "GPU_VISIBLE_DEVICES=gpu-0");
        AssertLine(run.Stdout, "GPU_MODE=device"); // the device's edits come after the claim's
        AssertLine(run.Stdout, "/dev/fake-gpu0 character special file 1:3"); // /dev/null, numbers read from the host node
        AssertLine(run.Stdout, "/dev/fake-gpu1 character special file 1:5"); // /dev/zero
        AssertLine(run.Stdout, "driver 570.86.15");

        // The registry answers the same "what will this container get?" from the same directories.
        ContainerEdits edits = new CdiRegistry().GetContainerEdits(ids);
        Assert.Equal([$"CLAIM_UID={claimUid}", "GPU_MODE=device", "GPU_VISIBLE_DEVICES=gpu-0"], edits.Env!);
        Assert.Equal(["/dev/fake-gpu0", "/dev/fake-gpu1"], edits.DeviceNodes!.Select(n => n.Path));
        Assert.Equal(["/opt/gpu-driver"], edits.Mounts!.Select(m => m.ContainerPath));
    }

    [Theory]
    [InlineData("annotations", "0.6.0")]
    [InlineData("additionalGids", "0.7.0")]
    public void Newer_content_is_refused_by_the_capped_writer_and_really_rejected_by_podman_4_3(string feature, string version)
    {
        CdiSpec spec = new()
        {
            Kind = _kind.ToString(),
            Annotations = feature == "annotations" ? new Dictionary<string, string> { ["conformance.drasdk.test/owner"] = "tests" } : null,
            Devices =
            [
                new CdiDevice
                {
                    Name = "dev0",
                    ContainerEdits = new ContainerEdits
                    {
                        Env = ["NEWER=1"],
                        AdditionalGids = feature == "additionalGids" ? [4242] : null,
                    },
                },
            ],
        };
        string expectedField = feature == "annotations" ? "annotations" : "devices[0].containerEdits.additionalGids";

        // Capped at what podman 4.3 reads: refused, naming the field, nothing written.
        CdiVersionCapExceededException refused = Assert.Throws<CdiVersionCapExceededException>(() => Writer(cap: CdiVersion.V0_5_0).Write(spec, feature));
        Assert.Equal(expectedField, refused.Requirement.Field);
        Assert.Equal(version, refused.Requirement.Version.ToString());
        Assert.Contains($"needs cdiVersion {version}: {expectedField} requires {version}", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Writer().GetSpecPath(_kind, feature)));

        // Uncapped, the file is written with the version the content needs, and podman 4.3 cannot use it.
        CdiSpecFile file = Track(Writer().Write(spec, feature));
        Assert.Equal(version, file.Version.ToString());
        string id = _kind.Device("dev0").ToString();
        PodmanResult run = RunPodman([id], "echo NEWER=$NEWER", debug: true);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains($"Error: setting up CDI devices: unresolvable CDI devices {id}", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"failed to parse CDI Spec \\\"{file.Path}\\\"", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"json: unknown field \\\"{feature}\\\"", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_above_0_5_0_alone_is_rejected_by_podman_4_3()
    {
        // Content that needs only 0.5.0, written with a 0.6.0 floor: podman 4.3 rejects the version itself.
        CdiSpec spec = new() { Kind = _kind.ToString(), Devices = [Specs.Device("0dev")] };
        CdiSpecFile file = Track(Writer(floor: CdiVersion.V0_6_0).Write(spec, "floor"));
        Assert.Equal(CdiVersion.V0_6_0, file.Version);

        PodmanResult run = RunPodman([_kind.Device("0dev").ToString()], "true", debug: true);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("invalid version \\\"0.6.0\\\"", run.Stderr, StringComparison.Ordinal);

        // The same file, written at 0.5.0, runs.
        Track(Writer(cap: CdiVersion.V0_5_0).Write(spec, "floor"));
        Assert.Equal(0, RunPodman([_kind.Device("0dev").ToString()], "echo DEVICE=$DEVICE").ExitCode);
    }

    [Fact]
    public void Podman_and_the_registry_agree_on_merge_order_and_same_priority_conflicts()
    {
        CdiSpecWriter writer = Writer(cap: CdiVersion.V0_5_0);
        Track(writer.Write(new CdiSpec
        {
            Kind = _kind.ToString(),
            ContainerEdits = new ContainerEdits { Env = ["MODE=spec", "SHARED=spec"] },
            Devices =
            [
                Specs.Device("a", new ContainerEdits { Env = ["MODE=a", "ONLY_A=1"] }),
                Specs.Device("b", new ContainerEdits { Env = ["MODE=b"] }),
                Specs.Device("clash", new ContainerEdits { Env = ["CLASH=first"] }),
            ],
        }, "first"));
        Track(writer.Write(new CdiSpec { Kind = _kind.ToString(), Devices = [Specs.Device("clash", new ContainerEdits { Env = ["CLASH=second"] })] }, "second"));
        var registry = new CdiRegistry();

        foreach (string[] order in new[] { new[] { "a", "b" }, ["b", "a"] })
        {
            string[] ids = [.. order.Select(n => _kind.Device(n).ToString())];
            PodmanResult run = RunPodman(ids, "echo MODE=$MODE; echo SHARED=$SHARED; echo ONLY_A=$ONLY_A");
            Assert.Equal(0, run.ExitCode);
            ContainerEdits edits = registry.GetContainerEdits(ids);
            foreach (string name in new[] { "MODE", "SHARED", "ONLY_A" })
            {
                string expected = edits.Env!.Single(e => e.StartsWith(name + "=", StringComparison.Ordinal));
                AssertLine(run.Stdout, expected);
            }

            AssertLine(run.Stdout, $"MODE={order[^1]}");
        }

        // Two files in the same directory define "clash": podman cannot resolve it, and neither can the registry.
        string clash = _kind.Device("clash").ToString();
        PodmanResult conflict = RunPodman([clash], "true");
        Assert.NotEqual(0, conflict.ExitCode);
        Assert.Contains($"unresolvable CDI devices {clash}", conflict.Stderr, StringComparison.Ordinal);
        Assert.False(registry.TryGetDevice(clash, out _));
        Assert.Equal(2, registry.Errors.Count(e => e.Message.StartsWith($"conflicting device {clash}:", StringComparison.Ordinal)));
    }
}
