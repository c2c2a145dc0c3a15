using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace DraSdk.Checkpoint.Format;

/// <summary>
/// The checkpoint envelope: encoding, and reading with full validation. Pure functions over bytes; no I/O.
/// </summary>
/// <remarks>
/// <code>
/// {"apiVersion":"checkpoint.drasdk.io/v1","kind":"PreparedClaims","bootId":"…","checksum":"sha256:&lt;hex&gt;","data":{…}}
/// </code>
/// The checksum is SHA-256 over the exact UTF-8 bytes of the <c>data</c> value as they appear in the file; a
/// reader hashes the raw text it finds, so any byte changed inside <c>data</c> is detected. <c>bootId</c> is
/// outside the checksum: damage there can only cause a spurious "boot changed", which is safe.
/// </remarks>
internal static class CheckpointFile
{
    public const string ApiGroup = "checkpoint.drasdk.io";
    public const string ApiVersionV1 = ApiGroup + "/v1";
    public const string CurrentApiVersion = ApiVersionV1;
    public const string Kind = "PreparedClaims";
    public const string ChecksumPrefix = "sha256:";

    private const string StatePrepareStarted = "PrepareStarted";
    private const string StatePrepareCompleted = "PrepareCompleted";

    /// <summary>Encodes <paramref name="claims"/> in the current format. Claims are written in UID order.</summary>
    public static byte[] Encode(string? bootId, IEnumerable<PreparedClaimRecord> claims)
    {
        var data = new V1Data
        {
            Claims = [.. claims.OrderBy(c => c.ClaimUid, StringComparer.Ordinal).Select(ToV1)],
        };
        byte[] dataBytes = JsonSerializer.SerializeToUtf8Bytes(data, CheckpointJsonContext.Default.V1Data);

        var buffer = new ArrayBufferWriter<byte>(dataBytes.Length + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("apiVersion"u8, CurrentApiVersion);
            writer.WriteString("kind"u8, Kind);
            if (bootId is not null)
            {
                writer.WriteString("bootId"u8, bootId);
            }

            writer.WriteString("checksum"u8, Checksum(dataBytes));
            writer.WritePropertyName("data"u8);
            writer.WriteRawValue(dataBytes, skipInputValidation: true);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads and validates a checkpoint. Never throws for bad content.</summary>
    public static CheckpointReadResult Read(ReadOnlyMemory<byte> content)
    {
        if (IsBlank(content.Span))
        {
            return CheckpointReadResult.Fail(CheckpointSetAsideReason.Truncated, "the file is empty");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            return IsIncompleteJson(content.Span)
                ? CheckpointReadResult.Fail(CheckpointSetAsideReason.Truncated, $"the JSON ends early ({content.Length} bytes): {ex.Message}")
                : CheckpointReadResult.Fail(CheckpointSetAsideReason.InvalidJson, ex.Message);
        }

        using (document)
        {
            return ReadEnvelope(document.RootElement);
        }
    }

    private static CheckpointReadResult ReadEnvelope(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return CheckpointReadResult.Fail(CheckpointSetAsideReason.InvalidEnvelope, $"the top-level value is a {root.ValueKind}, not an object");
        }

        if (!TryGetString(root, "apiVersion", out string? apiVersion) || string.IsNullOrEmpty(apiVersion))
        {
            return CheckpointReadResult.Fail(CheckpointSetAsideReason.InvalidEnvelope, "'apiVersion' is missing or not a string");
        }

        if (!TryGetString(root, "kind", out string? kind) || kind is null)
        {
            return CheckpointReadResult.Fail(CheckpointSetAsideReason.InvalidEnvelope, "'kind' is missing or not a string", apiVersion);
        }

        if (!string.Equals(kind, Kind, StringComparison.Ordinal))
        {
            return CheckpointReadResult.Fail(CheckpointSetAsideReason.WrongKind, $"kind is '{kind}', expected '{Kind}'", apiVersion);
        }

        if (!IsSupported(apiVersion))
        {
            return CheckpointReadResult.Fail(
                CheckpointSetAsideReason.UnsupportedVersion,
                $"apiVersion '{apiVersion}' is not supported by this SDK (it reads {ApiVersionV1})",
                apiVersion);
        }

        if (!TryGetString(root, "bootId", out string? bootId))
        {
            return CheckpointReadResult.Fail(CheckpointSetAsideReason.InvalidEnvelope, "'bootId' is not a string", apiVersion);
        }

        if (!TryGetString(root, "checksum", out string? checksum) || checksum is null)
        {
            return CheckpointReadResult.Fail(CheckpointSetAsideReason.InvalidEnvelope, "'checksum' is missing or not a string", apiVersion);
        }

        if (!checksum.StartsWith(ChecksumPrefix, StringComparison.Ordinal))
        {
            return CheckpointReadResult.Fail(CheckpointSetAsideReason.InvalidEnvelope, $"unsupported checksum '{checksum}', expected '{ChecksumPrefix}<hex>'", apiVersion);
        }

        if (!root.TryGetProperty("data"u8, out JsonElement data) || data.ValueKind != JsonValueKind.Object)
        {
            return CheckpointReadResult.Fail(CheckpointSetAsideReason.InvalidEnvelope, "'data' is missing or not an object", apiVersion);
        }

        // Hash the data exactly as it appears in the file, not a re-serialization of it.
        ReadOnlySpan<byte> rawData = JsonMarshal.GetRawUtf8Value(data);
        string actual = Checksum(rawData);
        if (!string.Equals(actual, checksum, StringComparison.OrdinalIgnoreCase))
        {
            return CheckpointReadResult.Fail(CheckpointSetAsideReason.ChecksumMismatch, $"checksum is '{checksum}' but the data hashes to '{actual}'", apiVersion);
        }

        return DecodeData(apiVersion, bootId, rawData);
    }

    private static bool IsSupported(string apiVersion) => apiVersion switch
    {
        ApiVersionV1 => true,
        _ => false,
    };

    // The migration point. Every supported apiVersion decodes into the version-independent public records
    // here. When v2 arrives: add V2 types, write v2 from Encode, and decode v1 by mapping its records the way
    // v2 expects (defaulting any new fields), so old checkpoints keep loading after an upgrade.
    private static CheckpointReadResult DecodeData(string apiVersion, string? bootId, ReadOnlySpan<byte> rawData)
    {
        switch (apiVersion)
        {
            case ApiVersionV1:
                V1Data? data;
                try
                {
                    data = JsonSerializer.Deserialize(rawData, CheckpointJsonContext.Default.V1Data);
                }
                catch (JsonException ex)
                {
                    return CheckpointReadResult.Fail(CheckpointSetAsideReason.InvalidData, ex.Message, apiVersion);
                }

                return FromV1(apiVersion, bootId, data);

            default:
                return CheckpointReadResult.Fail(CheckpointSetAsideReason.UnsupportedVersion, $"apiVersion '{apiVersion}' is not supported", apiVersion);
        }
    }

    private static CheckpointReadResult FromV1(string apiVersion, string? bootId, V1Data? data)
    {
        var claims = ImmutableDictionary.CreateBuilder<string, PreparedClaimRecord>(StringComparer.Ordinal);
        foreach (V1Claim? claim in data?.Claims ?? [])
        {
            if (claim is null || string.IsNullOrEmpty(claim.Uid))
            {
                return CheckpointReadResult.Fail(CheckpointSetAsideReason.InvalidData, "a claim has no uid", apiVersion);
            }

            PreparedClaimState state;
            switch (claim.State)
            {
                case StatePrepareStarted:
                    state = PreparedClaimState.PrepareStarted;
                    break;
                case StatePrepareCompleted:
                    state = PreparedClaimState.PrepareCompleted;
                    break;
                default:
                    return CheckpointReadResult.Fail(CheckpointSetAsideReason.InvalidData, $"claim '{claim.Uid}' has unknown state '{claim.State}'", apiVersion);
            }

            var devices = new List<PreparedDeviceRecord>(claim.Devices?.Count ?? 0);
            foreach (V1Device? device in claim.Devices ?? [])
            {
                if (device is null)
                {
                    return CheckpointReadResult.Fail(CheckpointSetAsideReason.InvalidData, $"claim '{claim.Uid}' has a null device", apiVersion);
                }

                devices.Add(new PreparedDeviceRecord
                {
                    Requests = device.Requests?.ToArray() ?? [],
                    PoolName = device.PoolName,
                    DeviceName = device.DeviceName,
                    CdiDeviceIds = device.CdiDeviceIds?.ToArray() ?? [],
                    ShareId = device.ShareId,
                    AdminAccess = device.AdminAccess == true,
                });
            }

            var record = new PreparedClaimRecord
            {
                ClaimUid = claim.Uid,
                Namespace = claim.Namespace,
                Name = claim.Name,
                State = state,
                Devices = devices.AsReadOnly(),
                DriverData = claim.DriverData,
                CdiSpec = claim.CdiSpec,
                BootId = claim.BootId,
                UpdatedAt = claim.UpdatedAt,
            };
            if (!claims.TryAdd(record.ClaimUid, record))
            {
                return CheckpointReadResult.Fail(CheckpointSetAsideReason.InvalidData, $"claim '{claim.Uid}' appears twice", apiVersion);
            }
        }

        return new CheckpointReadResult { ApiVersion = apiVersion, BootId = bootId, Claims = claims.ToImmutable() };
    }

    private static V1Claim ToV1(PreparedClaimRecord record) => new()
    {
        Uid = record.ClaimUid,
        Namespace = record.Namespace,
        Name = record.Name,
        State = record.State switch
        {
            PreparedClaimState.PrepareStarted => StatePrepareStarted,
            PreparedClaimState.PrepareCompleted => StatePrepareCompleted,
            _ => throw new ArgumentOutOfRangeException(nameof(record), record.State, "unknown claim state"),
        },
        BootId = record.BootId,
        UpdatedAt = record.UpdatedAt,
        Devices = record.Devices.Count == 0 ? null : [.. record.Devices.Select(ToV1)],
        DriverData = record.DriverData,
        CdiSpec = record.CdiSpec,
    };

    private static V1Device ToV1(PreparedDeviceRecord device) => new()
    {
        Requests = device.Requests.Count == 0 ? null : [.. device.Requests],
        PoolName = device.PoolName,
        DeviceName = device.DeviceName,
        CdiDeviceIds = device.CdiDeviceIds.Count == 0 ? null : [.. device.CdiDeviceIds],
        ShareId = device.ShareId,
        AdminAccess = device.AdminAccess ? true : null,
    };

    internal static string Checksum(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, hash);
        return ChecksumPrefix + Convert.ToHexStringLower(hash);
    }

    /// <summary>True when the property is absent, null, or a string (<paramref name="value"/> is then set).</summary>
    private static bool TryGetString(JsonElement obj, string name, out string? value)
    {
        value = null;
        if (!obj.TryGetProperty(name, out JsonElement element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        value = element.GetString();
        return true;
    }

    private static bool IsBlank(ReadOnlySpan<byte> content) =>
        content.TrimStart(" \t\r\n"u8).IsEmpty;

    /// <summary>
    /// True when <paramref name="content"/> is a valid prefix of a JSON document that simply stops: reading it
    /// as a partial buffer raises no error but never completes the top-level value.
    /// </summary>
    private static bool IsIncompleteJson(ReadOnlySpan<byte> content)
    {
        var reader = new Utf8JsonReader(content, isFinalBlock: false, state: default);
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth == 0 && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.PropertyName))
                {
                    return false; // the top-level value completed, so the problem is elsewhere
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>The outcome of <see cref="CheckpointFile.Read"/>: either claims or a problem.</summary>
internal sealed class CheckpointReadResult
{
    public CheckpointSetAsideReason? Problem { get; init; }

    public string? Detail { get; init; }

    public string? ApiVersion { get; init; }

    public string? BootId { get; init; }

    public ImmutableDictionary<string, PreparedClaimRecord> Claims { get; init; } =
        ImmutableDictionary.Create<string, PreparedClaimRecord>(StringComparer.Ordinal);

    public static CheckpointReadResult Fail(CheckpointSetAsideReason reason, string detail, string? apiVersion = null) =>
        new() { Problem = reason, Detail = detail, ApiVersion = apiVersion };
}
