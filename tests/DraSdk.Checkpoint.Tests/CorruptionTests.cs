using System.Security.Cryptography;
using System.Text;
using DraSdk.Checkpoint.Format;

namespace DraSdk.Checkpoint.Tests;

public class CorruptionTests
{
    public static TheoryData<string, CheckpointSetAsideReason> Corruptions => new()
    {
        { "checksum-mismatch", CheckpointSetAsideReason.ChecksumMismatch },
        { "reformatted-data", CheckpointSetAsideReason.ChecksumMismatch },
        { "truncated-half", CheckpointSetAsideReason.Truncated },
        { "truncated-one-byte-short", CheckpointSetAsideReason.Truncated },
        { "empty", CheckpointSetAsideReason.Truncated },
        { "garbage-text", CheckpointSetAsideReason.InvalidJson },
        { "garbage-binary", CheckpointSetAsideReason.InvalidJson },
        { "zero-filled", CheckpointSetAsideReason.InvalidJson },
        { "trailing-garbage", CheckpointSetAsideReason.InvalidJson },
        { "duplicate-key", CheckpointSetAsideReason.InvalidJson },
        { "not-an-object", CheckpointSetAsideReason.InvalidEnvelope },
        { "missing-data", CheckpointSetAsideReason.InvalidEnvelope },
        { "missing-checksum", CheckpointSetAsideReason.InvalidEnvelope },
        { "md5-checksum", CheckpointSetAsideReason.InvalidEnvelope },
        { "wrong-kind", CheckpointSetAsideReason.WrongKind },
        { "other-drivers-checkpoint", CheckpointSetAsideReason.WrongKind },
        { "future-version", CheckpointSetAsideReason.UnsupportedVersion },
        { "missing-required-field", CheckpointSetAsideReason.InvalidData },
        { "unknown-state", CheckpointSetAsideReason.InvalidData },
        { "duplicate-claim", CheckpointSetAsideReason.InvalidData },
        { "too-large", CheckpointSetAsideReason.TooLarge },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public async Task Unusable_checkpoint_is_set_aside_and_the_store_starts_empty_and_usable(string corruption, CheckpointSetAsideReason reason)
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore writer = await f.OpenAsync();
        writer.MarkPrepareCompleted(CheckpointFixture.Claim("a", driverDataJson: """{"k":"v"}"""));
        writer.MarkPrepareStarted(CheckpointFixture.Claim("b"));
        byte[] bad = Corrupt(corruption, File.ReadAllBytes(f.CheckpointPath));
        f.WriteCheckpoint(bad);
        if (corruption == "too-large")
        {
            f.MaxFileSizeBytes = 100;
        }

        PreparedClaimStore store = await f.OpenAsync();

        CheckpointLoadResult result = store.LoadResult!;
        Assert.Equal(CheckpointLoadStatus.SetAside, result.Status);
        Assert.True(result.WasSetAside);
        Assert.Equal(reason, result.SetAsideReason);
        Assert.False(string.IsNullOrEmpty(result.SetAsideDetail));
        Assert.Equal(0, store.Count);
        Assert.Empty(store.Claims);

        // The bad file is kept, byte for byte, under the set-aside name.
        string aside = Assert.Single(f.SetAsideFiles());
        Assert.Equal(aside, result.SetAsidePath);
        Assert.Equal("checkpoint.json.corrupt-20250102T030405.678Z", Path.GetFileName(aside));
        Assert.Equal(bad, File.ReadAllBytes(aside));
        Assert.Contains(f.Logger.Entries, e => e.EventId.Id == 5 && e.Level == Microsoft.Extensions.Logging.LogLevel.Error && e.Message.Contains(reason.ToString(), StringComparison.Ordinal));

        // No crash loop: the next start finds a valid (empty) checkpoint, not the bad one.
        f.MaxFileSizeBytes = 64L * 1024 * 1024;
        PreparedClaimStore restarted = await f.OpenAsync();
        Assert.Equal(CheckpointLoadStatus.Loaded, restarted.LoadResult!.Status);
        Assert.Equal(0, restarted.Count);

        // And the store works normally.
        store.MarkPrepareCompleted(CheckpointFixture.Claim("c"));
        PreparedClaimStore reopened = await f.OpenAsync();
        Assert.Equal(CheckpointLoadStatus.Loaded, reopened.LoadResult!.Status);
        Assert.Equal(["c"], reopened.Claims.Keys);
        Assert.Single(f.SetAsideFiles());
    }

    [Fact]
    public async Task Second_set_aside_in_the_same_millisecond_gets_a_distinct_name()
    {
        using var f = new CheckpointFixture();
        f.WriteCheckpoint("garbage 1"u8.ToArray());
        CheckpointLoadResult first = (await f.OpenAsync()).LoadResult!;
        f.WriteCheckpoint("garbage 2"u8.ToArray());
        CheckpointLoadResult second = (await f.OpenAsync()).LoadResult!;

        Assert.NotEqual(first.SetAsidePath, second.SetAsidePath);
        Assert.EndsWith(".corrupt-20250102T030405.678Z-1", second.SetAsidePath, StringComparison.Ordinal);
        Assert.Equal("garbage 1", File.ReadAllText(first.SetAsidePath!));
        Assert.Equal("garbage 2", File.ReadAllText(second.SetAsidePath!));
    }

    [Fact]
    public async Task Load_never_throws_for_a_checkpoint_path_that_is_a_directory()
    {
        using var f = new CheckpointFixture();
        Directory.CreateDirectory(f.CheckpointPath);

        PreparedClaimStore store = await f.OpenAsync();

        Assert.Equal(CheckpointLoadStatus.NotFound, store.LoadResult!.Status);
    }

    private static byte[] Corrupt(string corruption, byte[] valid)
    {
        string text = Encoding.UTF8.GetString(valid);
        return corruption switch
        {
            "checksum-mismatch" => Encoding.UTF8.GetBytes(text.Replace("\"ns-a\"", "\"ns-x\"", StringComparison.Ordinal)),
            "reformatted-data" => Encoding.UTF8.GetBytes(text.Replace("\"data\":{", "\"data\":{ ", StringComparison.Ordinal)),
            "truncated-half" => valid[..(valid.Length / 2)],
            "truncated-one-byte-short" => Encoding.UTF8.GetBytes(text.TrimEnd()[..^1]),
            "empty" => [],
            "garbage-text" => "this is not a checkpoint\n"u8.ToArray(),
            "garbage-binary" => [.. Enumerable.Range(0, 512).Select(i => (byte)((i * 131) ^ 0x5A))],
            "zero-filled" => new byte[valid.Length],
            "trailing-garbage" => [.. valid, .. "}{"u8.ToArray()],
            "duplicate-key" => Encoding.UTF8.GetBytes(text.Replace("\"kind\":", "\"kind\":\"PreparedClaims\",\"kind\":", StringComparison.Ordinal)),
            "not-an-object" => "[1,2,3]"u8.ToArray(),
            "missing-data" => Envelope("checkpoint.drasdk.io/v1", "PreparedClaims", data: null),
            "missing-checksum" => Encoding.UTF8.GetBytes(text.Replace("\"checksum\":", "\"checksumX\":", StringComparison.Ordinal)),
            "md5-checksum" => Encoding.UTF8.GetBytes(text.Replace("\"sha256:", "\"md5:", StringComparison.Ordinal)),
            "wrong-kind" => Envelope("checkpoint.drasdk.io/v1", "SomethingElse", """{"claims":[]}"""),
            "other-drivers-checkpoint" => """{"apiVersion":"checkpoint.internal.example.com/v1","kind":"Checkpoint","preparedClaims":[{"uid":"x"}]}"""u8.ToArray(),
            "future-version" => Envelope("checkpoint.drasdk.io/v2", "PreparedClaims", """{"claims":[],"newThing":1}"""),
            "missing-required-field" => Envelope("checkpoint.drasdk.io/v1", "PreparedClaims", """{"claims":[{"uid":"a","name":"n","state":"PrepareStarted"}]}"""),
            "unknown-state" => Envelope("checkpoint.drasdk.io/v1", "PreparedClaims", """{"claims":[{"uid":"a","namespace":"s","name":"n","state":"Half"}]}"""),
            "duplicate-claim" => Envelope("checkpoint.drasdk.io/v1", "PreparedClaims", """{"claims":[{"uid":"a","namespace":"s","name":"n","state":"PrepareStarted"},{"uid":"a","namespace":"s","name":"n","state":"PrepareCompleted"}]}"""),
            "too-large" => valid,
            _ => throw new ArgumentOutOfRangeException(nameof(corruption)),
        };
    }

    /// <summary>A well-formed envelope with a correct checksum around <paramref name="data"/>.</summary>
    internal static byte[] Envelope(string apiVersion, string kind, string? data)
    {
        if (data is null)
        {
            return Encoding.UTF8.GetBytes($$"""{"apiVersion":"{{apiVersion}}","kind":"{{kind}}","bootId":"boot-1","checksum":"sha256:00"}""");
        }

        string checksum = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(data)));
        return Encoding.UTF8.GetBytes($$"""{"apiVersion":"{{apiVersion}}","kind":"{{kind}}","bootId":"boot-1","checksum":"{{checksum}}","data":{{data}}}""");
    }
}

public class FormatTests
{
    [Fact]
    public async Task File_has_the_documented_envelope_and_a_checksum_over_the_raw_data()
    {
        using var f = new CheckpointFixture();
        PreparedClaimStore store = await f.OpenAsync();
        store.MarkPrepareCompleted(CheckpointFixture.Claim("a", devices: 2, driverDataJson: """{"x":1}"""));

        string text = File.ReadAllText(f.CheckpointPath);
        Assert.StartsWith("""{"apiVersion":"checkpoint.drasdk.io/v1","kind":"PreparedClaims","bootId":"boot-1","checksum":"sha256:""", text, StringComparison.Ordinal);
        Assert.EndsWith("}\n", text, StringComparison.Ordinal);

        int dataStart = text.IndexOf("\"data\":", StringComparison.Ordinal) + "\"data\":".Length;
        string rawData = text[dataStart..^2];
        string checksum = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(rawData)));
        Assert.Contains($"\"checksum\":\"{checksum}\"", text, StringComparison.Ordinal);

        using var doc = System.Text.Json.JsonDocument.Parse(rawData);
        var claim = doc.RootElement.GetProperty("claims")[0];
        Assert.Equal("a", claim.GetProperty("uid").GetString());
        Assert.Equal("ns-a", claim.GetProperty("namespace").GetString());
        Assert.Equal("PrepareCompleted", claim.GetProperty("state").GetString());
        Assert.Equal("boot-1", claim.GetProperty("bootId").GetString());
        Assert.Equal(1, claim.GetProperty("driverData").GetProperty("x").GetInt32());
        var device = claim.GetProperty("devices")[1];
        Assert.Equal("node-a", device.GetProperty("poolName").GetString());
        Assert.Equal("gpu-1", device.GetProperty("deviceName").GetString());
        Assert.Equal("share-1", device.GetProperty("shareId").GetString());
        Assert.Equal("k8s.gpu.example.com/claim=a-gpu-1", device.GetProperty("cdiDeviceIds")[0].GetString());
        Assert.Equal("req-1", device.GetProperty("requests")[0].GetString());
        Assert.False(claim.GetProperty("devices")[0].TryGetProperty("shareId", out _));
    }

    [Fact]
    public async Task Whitespace_outside_data_does_not_matter()
    {
        using var f = new CheckpointFixture();
        (await f.OpenAsync()).MarkPrepareCompleted(CheckpointFixture.Claim("a"));
        string text = File.ReadAllText(f.CheckpointPath)
            .Replace("\"kind\":", "\n  \"kind\" : ", StringComparison.Ordinal)
            .Replace("\"data\":", "\n  \"data\":\n    ", StringComparison.Ordinal);
        f.WriteCheckpoint(Encoding.UTF8.GetBytes(text));

        PreparedClaimStore store = await f.OpenAsync();

        Assert.Equal(CheckpointLoadStatus.Loaded, store.LoadResult!.Status);
        Assert.Equal(["a"], store.Claims.Keys);
    }

    [Fact]
    public void Handwritten_v1_with_only_required_fields_decodes()
    {
        byte[] file = CorruptionTests.Envelope(
            "checkpoint.drasdk.io/v1",
            "PreparedClaims",
            """{"claims":[{"uid":"u1","namespace":"ns","name":"n","state":"PrepareCompleted","devices":[{"poolName":"p","deviceName":"d"}],"futureOptionalField":true}]}""");

        CheckpointReadResult read = CheckpointFile.Read(file);

        Assert.Null(read.Problem);
        Assert.Equal("boot-1", read.BootId);
        PreparedClaimRecord record = read.Claims["u1"];
        Assert.Equal(PreparedClaimState.PrepareCompleted, record.State);
        Assert.Null(record.BootId);
        Assert.Null(record.DriverData);
        Assert.Empty(record.Devices[0].Requests);
        Assert.Empty(record.Devices[0].CdiDeviceIds);
    }

    [Fact]
    public void Encode_then_read_round_trips_and_orders_claims()
    {
        PreparedClaimRecord b = CheckpointFixture.Claim("b") with { State = PreparedClaimState.PrepareCompleted, BootId = "x", UpdatedAt = DateTimeOffset.UnixEpoch.AddTicks(1234567) };
        PreparedClaimRecord a = CheckpointFixture.Claim("a", devices: 0) with { BootId = null };

        byte[] bytes = CheckpointFile.Encode(null, [b, a]);
        CheckpointReadResult read = CheckpointFile.Read(bytes);

        Assert.Null(read.Problem);
        Assert.Null(read.BootId);
        Assert.DoesNotContain("bootId", Encoding.UTF8.GetString(bytes)[..80], StringComparison.Ordinal);
        Assert.Equal(a, read.Claims["a"]);
        Assert.Equal(b, read.Claims["b"]);
        Assert.True(Encoding.UTF8.GetString(bytes).IndexOf("\"uid\":\"a\"", StringComparison.Ordinal) < Encoding.UTF8.GetString(bytes).IndexOf("\"uid\":\"b\"", StringComparison.Ordinal));
    }
}
