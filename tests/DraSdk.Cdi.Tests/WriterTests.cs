using System.Text;
using System.Text.Json;

namespace DraSdk.Cdi.Tests;

public sealed class WriterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private CdiSpecWriter Writer(CdiVersion? floor = null, CdiVersion? cap = null) =>
        new(new CdiSpecWriterOptions { SpecDirectory = _dir.Path, MinimumVersion = floor, MaximumVersion = cap });

    private static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllBytes(path)).RootElement;

    [Fact]
    public void Typical_gpu_spec_matches_golden_file_and_schema()
    {
        CdiSpecFile file = Writer().Write(Specs.Gpu());

        byte[] written = File.ReadAllBytes(file.Path);
        Golden.AssertMatches("gpu-spec.json", written);
        Assert.Empty(SchemaCheck.Check(written));
        Assert.Equal(CdiVersion.V0_5_0, file.Version);
        Assert.Equal("containerEdits.deviceNodes[0].hostPath", file.Requirement.Field);
    }

    [Fact]
    public void Every_field_matches_golden_file_and_schema()
    {
        byte[] json = Writer().Serialize(Specs.EveryField());

        Golden.AssertMatches("every-field-spec.json", json);
        Assert.Empty(SchemaCheck.Check(json));
        Assert.Equal("1.1.0", ReadJsonBytes(json).GetProperty("cdiVersion").GetString());
    }

    private static JsonElement ReadJsonBytes(byte[] json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public void Written_json_reads_back_into_the_same_model()
    {
        CdiSpec original = Specs.EveryField();
        byte[] json = Writer().Serialize(original);

        CdiSpec? read = JsonSerializer.Deserialize(json, Internal.CdiJsonContext.Default.CdiSpec);

        Assert.NotNull(read);
        Assert.Equal(CdiVersion.V1_1_0, read.Version);
        Assert.Equal(json, Writer().Serialize(read with { Version = null }));
        IntelRdt readRdt = read.Devices[0].ContainerEdits.IntelRdt!;
        Assert.Equal(["L3:0=f;1=f"], readRdt.Schemata!);
        Assert.Equal(original.Devices[0].ContainerEdits.IntelRdt, readRdt with { Schemata = original.Devices[0].ContainerEdits.IntelRdt!.Schemata });
        Assert.Equal(original.Devices[0].ContainerEdits.DeviceNodes![0], read.Devices[0].ContainerEdits.DeviceNodes![0]);
    }

    [Fact]
    public void Version_is_computed_not_hard_coded()
    {
        Assert.Equal("0.3.0", ReadJson(Writer().Write(Specs.Minimal()).Path).GetProperty("cdiVersion").GetString());
        Assert.Equal("0.6.0", ReadJson(Writer().Write(Specs.Minimal("vendor.com/gpu.mig")).Path).GetProperty("cdiVersion").GetString());
    }

    [Fact]
    public void Floor_and_spec_version_raise_the_written_version()
    {
        Assert.Equal(CdiVersion.V0_6_0, Writer(floor: CdiVersion.V0_6_0).Write(Specs.Gpu()).Version);
        Assert.Equal(CdiVersion.V0_5_0, Writer(floor: CdiVersion.V0_4_0).Write(Specs.Gpu()).Version);
        Assert.Equal(CdiVersion.V1_0_0, Writer().Write(Specs.Gpu() with { Version = CdiVersion.V1_0_0 }).Version);
        Assert.Equal(CdiVersion.V0_3_0, Writer(floor: CdiVersion.V0_1_0).Write(Specs.Minimal()).Version);
    }

    [Fact]
    public void Cap_refuses_a_spec_that_needs_more_and_names_the_field()
    {
        CdiSpec spec = Specs.Gpu() with
        {
            Devices = [.. Specs.Gpu().Devices, Specs.Device("gpu-2", new() { Env = ["A=1"], AdditionalGids = [44] })],
        };

        CdiVersionCapExceededException error = Assert.Throws<CdiVersionCapExceededException>(() => Writer(cap: CdiVersion.V0_5_0).Write(spec));

        Assert.Equal(CdiVersion.V0_5_0, error.Cap);
        Assert.Equal(CdiVersion.V0_7_0, error.Requirement.Version);
        Assert.Equal("devices[2].containerEdits.additionalGids", error.Requirement.Field);
        Assert.Contains("needs cdiVersion 0.7.0: devices[2].containerEdits.additionalGids requires 0.7.0", error.Message, StringComparison.Ordinal);
        Assert.Contains("reads at most cdiVersion 0.5.0", error.Message, StringComparison.Ordinal);
        Assert.Empty(_dir.FileNames());
    }

    [Fact]
    public void Cap_allows_a_spec_at_the_cap() =>
        Assert.Equal(CdiVersion.V0_5_0, Writer(cap: CdiVersion.V0_5_0).Write(Specs.Gpu()).Version);

    [Fact]
    public void Cap_refuses_a_set_spec_version_above_it()
    {
        CdiVersionCapExceededException error = Assert.Throws<CdiVersionCapExceededException>(
            () => Writer(cap: CdiVersion.V0_5_0).Write(Specs.Minimal() with { Version = CdiVersion.V0_6_0 }));
        Assert.Equal("cdiVersion", error.Requirement.Field);
    }

    [Fact]
    public void Floor_above_cap_is_a_configuration_error() =>
        Assert.Throws<ArgumentException>(() => Writer(floor: CdiVersion.V0_6_0, cap: CdiVersion.V0_5_0));

    [Fact]
    public void Invalid_spec_is_not_written()
    {
        CdiValidationException error = Assert.Throws<CdiValidationException>(
            () => Writer().Write(Specs.Minimal() with { Devices = [Specs.Device("dev0", new() { Env = ["NOPE"] })] }));

        CdiValidationError single = Assert.Single(error.Errors);
        Assert.Equal("devices[0].containerEdits.env[0]", single.Field);
        Assert.Contains("devices[0].containerEdits.env[0]: ", error.Message, StringComparison.Ordinal);
        Assert.Empty(_dir.FileNames());
    }

    [Fact]
    public void File_names_follow_the_cdi_library()
    {
        CdiKind kind = CdiKind.Parse("k8s.gpu.example.com/gpu");
        Assert.Equal("k8s.gpu.example.com-gpu.json", CdiSpecWriter.GetSpecFileName(kind));
        Assert.Equal("k8s.gpu.example.com-gpu_1234-abcd.json", CdiSpecWriter.GetSpecFileName(kind, "1234-abcd"));
        Assert.Equal("k8s.gpu.example.com-gpu_ns_name.json", CdiSpecWriter.GetSpecFileName(kind, "ns/name"));
        Assert.Throws<ArgumentException>(() => CdiSpecWriter.GetSpecFileName(kind, ""));
        Assert.Throws<ArgumentException>(() => CdiSpecWriter.GetSpecFileName(kind, "a b"));
        Assert.Throws<ArgumentException>(() => CdiSpecWriter.GetSpecFileName(kind, "..\\x"));
        Assert.Equal(Path.Combine(_dir.Path, "k8s.gpu.example.com-gpu.json"), Writer().Write(Specs.Gpu()).Path);
    }

    [Fact]
    public void Write_is_atomic_leaves_no_temp_files_and_sets_mode_0644()
    {
        CdiSpecWriter writer = Writer();
        CdiSpecFile first = writer.Write(Specs.Gpu());
        CdiSpecFile second = writer.Write(Specs.Gpu() with { ContainerEdits = null });

        Assert.Equal(first.Path, second.Path);
        Assert.Equal(["k8s.gpu.example.com-gpu.json"], _dir.FileNames());
        Assert.False(ReadJson(second.Path).TryGetProperty("containerEdits", out _));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                File.GetUnixFileMode(second.Path));
        }
    }

    [Fact]
    public void Write_removes_temp_files_a_killed_writer_left()
    {
        string leftover = Path.Combine(_dir.Path, ".k8s.gpu.example.com-gpu.json.tmp-0123456789abcdef");
        File.WriteAllText(leftover, "{");

        Writer().Write(Specs.Gpu());

        Assert.Equal(["k8s.gpu.example.com-gpu.json"], _dir.FileNames());
    }

    [Fact]
    public void Write_creates_the_directory_with_mode_0755()
    {
        string nested = Path.Combine(_dir.Path, "run", "cdi");
        CdiSpecFile file = new CdiSpecWriter(new CdiSpecWriterOptions { SpecDirectory = nested }).Write(Specs.Minimal());

        Assert.True(File.Exists(file.Path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal((UnixFileMode)Convert.ToInt32("755", 8), File.GetUnixFileMode(nested));
        }
    }

    [Fact]
    public void Remove_is_idempotent()
    {
        CdiSpecWriter writer = Writer();
        CdiKind kind = CdiKind.Parse(Specs.GpuKind);
        writer.Write(Specs.Gpu(), "claim-1");

        Assert.True(writer.Remove(kind, "claim-1"));
        Assert.False(writer.Remove(kind, "claim-1"));
        Assert.False(writer.Remove(kind));
        Assert.Empty(_dir.FileNames());
    }

    [Fact]
    public void Same_content_gives_the_same_bytes()
    {
        var forward = new Dictionary<string, string> { ["example.com/a"] = "1", ["example.com/b"] = "2" };
        var backward = new Dictionary<string, string> { ["example.com/b"] = "2", ["example.com/a"] = "1" };

        byte[] one = Writer().Serialize(Specs.Gpu() with { Annotations = forward });
        byte[] two = Writer().Serialize(Specs.Gpu() with { Annotations = backward });

        Assert.Equal(one, two);
        Assert.Equal(one, Writer().Serialize(Specs.Gpu() with { Annotations = forward }));
        string text = Encoding.UTF8.GetString(one);
        Assert.True(text.IndexOf("example.com/a", StringComparison.Ordinal) < text.IndexOf("example.com/b", StringComparison.Ordinal));
    }

    [Fact]
    public void Empty_optional_fields_are_omitted_but_empty_intel_rdt_is_kept()
    {
        CdiSpec spec = Specs.Minimal() with
        {
            Annotations = new Dictionary<string, string>(),
            ContainerEdits = new ContainerEdits { Env = [], Mounts = [] },
            Devices =
            [
                Specs.Device("dev0", new()
                {
                    Env = ["A=1"],
                    DeviceNodes = [new() { Path = "/dev/x", HostPath = "", Type = "", Permissions = "" }],
                    Hooks = [],
                    AdditionalGids = [],
                    NetDevices = [],
                    IntelRdt = new(),
                }),
            ],
        };

        string json = Encoding.UTF8.GetString(Writer().Serialize(spec));

        Assert.Equal(
            """
            {
              "cdiVersion": "0.7.0",
              "kind": "vendor.com/device",
              "devices": [
                {
                  "name": "dev0",
                  "containerEdits": {
                    "env": [
                      "A=1"
                    ],
                    "deviceNodes": [
                      {
                        "path": "/dev/x"
                      }
                    ],
                    "intelRdt": {}
                  }
                }
              ]
            }

            """.ReplaceLineEndings("\n"), json);
    }

    [Fact]
    public void Zero_uid_gid_and_file_mode_are_written_when_set()
    {
        JsonElement node = ReadJsonBytes(Writer().Serialize(Specs.Minimal() with
        {
            Devices = [Specs.Device("dev0", new() { DeviceNodes = [new() { Path = "/dev/x", Uid = 0, Gid = 0, FileMode = 0, Major = 0 }] })],
        })).GetProperty("devices")[0].GetProperty("containerEdits").GetProperty("deviceNodes")[0];

        Assert.Equal(0u, node.GetProperty("uid").GetUInt32());
        Assert.Equal(0u, node.GetProperty("gid").GetUInt32());
        Assert.Equal(0u, node.GetProperty("fileMode").GetUInt32());
        Assert.False(node.TryGetProperty("minor", out _));
    }
}
