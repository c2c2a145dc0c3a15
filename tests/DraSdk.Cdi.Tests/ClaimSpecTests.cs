using System.Text.Json;

namespace DraSdk.Cdi.Tests;

public sealed class ClaimSpecTests : IDisposable
{
    private const string ClaimA = "4f6c1b1e-2a7d-4c0e-9f1a-0d9c3b2a1e00";
    private const string ClaimB = "b2a1e004-f6c1-4b1e-8a7d-c0e9f1a0d9c3";
    private static readonly CdiKind Kind = CdiKind.Parse("k8s.gpu.example.com/claim");

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private CdiClaimSpecs Claims(CdiVersion? cap = null) =>
        new(new CdiSpecWriter(new CdiSpecWriterOptions { SpecDirectory = _dir.Path, MaximumVersion = cap }), Kind);

    private static CdiDevice[] Gpus(params string[] names) =>
        [.. names.Select(n => Specs.Device(n, new() { Env = [$"GPU_DEVICE_{n.Replace('-', '_')}_RESOURCE_CLAIM=claim"], DeviceNodes = [new() { Path = $"/dev/{n}" }] }))];

    [Fact]
    public void Write_returns_the_qualified_ids_and_names_the_file_after_the_claim()
    {
        CdiClaimSpecFile file = Claims().Write(ClaimA, Gpus("gpu-0", "gpu-1"), new ContainerEdits { Env = ["DRA_ADMIN_ACCESS=false"] });

        Assert.Equal(Path.Combine(_dir.Path, $"k8s.gpu.example.com-claim_{ClaimA}.json"), file.Path);
        Assert.Equal(["gpu-0", "gpu-1"], file.DeviceIds.Keys);
        Assert.Equal($"k8s.gpu.example.com/claim={ClaimA}-gpu-0", file.DeviceIds["gpu-0"].ToString());
        Assert.Equal($"k8s.gpu.example.com/claim={ClaimA}-gpu-1", file.DeviceIds["gpu-1"].ToString());
        Assert.Equal(Claims().GetDeviceId(ClaimA, "gpu-1"), file.DeviceIds["gpu-1"]);
        Assert.Equal(CdiVersion.V0_5_0, file.Version); // the UID starts with a digit
        Golden.AssertMatches("claim-spec.json", File.ReadAllBytes(file.Path));
    }

    [Fact]
    public void Specs_of_two_claims_with_the_same_devices_never_collide()
    {
        CdiClaimSpecs claims = Claims();
        CdiClaimSpecFile a = claims.Write(ClaimA, Gpus("gpu-0", "gpu-1"));
        CdiClaimSpecFile b = claims.Write(ClaimB, Gpus("gpu-0", "gpu-1"));

        Assert.NotEqual(a.Path, b.Path);
        Assert.Equal(2, _dir.FileNames().Length);
        Assert.Empty(a.DeviceIds.Values.Intersect(b.DeviceIds.Values));

        // What a runtime's cache sees: every qualified device defined across the directory is defined once.
        string[] defined = [.. _dir.FileNames().SelectMany(f =>
        {
            JsonElement spec = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_dir.Path, f))).RootElement;
            string kind = spec.GetProperty("kind").GetString()!;
            return spec.GetProperty("devices").EnumerateArray().Select(d => $"{kind}={d.GetProperty("name").GetString()}");
        })];
        Assert.Equal(4, defined.Length);
        Assert.Equal(defined.Length, defined.Distinct().Count());
        Assert.Equal([.. a.DeviceIds.Values.Concat(b.DeviceIds.Values).Select(id => id.ToString()).Order(StringComparer.Ordinal)],
            defined.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Rewriting_a_claim_replaces_its_file()
    {
        CdiClaimSpecs claims = Claims();
        claims.Write(ClaimA, Gpus("gpu-0", "gpu-1"));
        CdiClaimSpecFile again = claims.Write(ClaimA, Gpus("gpu-1"));

        Assert.Single(_dir.FileNames());
        JsonElement devices = JsonDocument.Parse(File.ReadAllBytes(again.Path)).RootElement.GetProperty("devices");
        Assert.Equal($"{ClaimA}-gpu-1", Assert.Single(devices.EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public void Remove_is_idempotent()
    {
        CdiClaimSpecs claims = Claims();
        claims.Write(ClaimA, Gpus("gpu-0"));
        claims.Write(ClaimB, Gpus("gpu-0"));

        Assert.True(claims.Remove(ClaimA));
        Assert.False(claims.Remove(ClaimA));
        Assert.Equal([$"k8s.gpu.example.com-claim_{ClaimB}.json"], _dir.FileNames());
    }

    [Fact]
    public void Build_renames_devices_without_writing()
    {
        CdiSpec spec = Claims().Build("claim-1", Gpus("gpu-0"));

        Assert.Equal("k8s.gpu.example.com/claim", spec.Kind);
        Assert.Equal("claim-1-gpu-0", Assert.Single(spec.Devices).Name);
        Assert.Null(spec.ContainerEdits);
        Assert.Empty(_dir.FileNames());
        Assert.Equal(CdiVersion.V0_3_0, spec.GetMinimumVersion().Version);
    }

    [Fact]
    public void Cap_below_0_5_0_refuses_a_uid_starting_with_a_digit()
    {
        CdiVersionCapExceededException error = Assert.Throws<CdiVersionCapExceededException>(
            () => Claims(cap: CdiVersion.V0_4_0).Write(ClaimA, Gpus("gpu-0")));

        Assert.Equal("devices[0].name", error.Requirement.Field);
        Assert.Empty(_dir.FileNames());
    }

    [Theory]
    [InlineData("")]
    [InlineData("-abc")]
    [InlineData("a/b")]
    [InlineData("a b")]
    public void Invalid_claim_uids_are_rejected(string uid)
    {
        Assert.ThrowsAny<ArgumentException>(() => Claims().Write(uid, Gpus("gpu-0")));
        Assert.ThrowsAny<ArgumentException>(() => Claims().Remove(uid));
    }

    [Fact]
    public void Invalid_device_name_and_empty_device_list_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Claims().Write(ClaimA, [Specs.Device("gpu-0") with { Name = "gpu 0" }]));
        Assert.Throws<ArgumentException>(() => Claims().Write(ClaimA, []));
        CdiValidationException duplicate = Assert.Throws<CdiValidationException>(() => Claims().Write(ClaimA, Gpus("gpu-0", "gpu-0")));
        Assert.Equal("devices[1].name", Assert.Single(duplicate.Errors).Field);
    }
}
