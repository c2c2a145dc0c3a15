using System.Text;
using DraSdk.DeviceMetadata;

namespace DraSdk.Preparation.Tests;

/// <summary>The metadata stream as the Go helper writes and reads it.</summary>
public sealed class DeviceMetadataCodecTests
{
    private static readonly DeviceMetadataDocument Document = new()
    {
        ClaimName = "c",
        ClaimNamespace = "ns",
        ClaimUid = "u-1",
        Generation = 3,
        Requests = [new DeviceMetadataRequest { Name = "r/sub", Devices = [new DeviceMetadataDevice
        {
            Driver = "d.example.com",
            Pool = "p",
            Name = "n",
            Attributes = new Dictionary<string, DeviceAttributeValue>
            {
                ["z"] = new() { Ints = [1, 2], Strings = ["a\u0001\b\f\n\t\u2028\"\\"] },
                ["a"] = DeviceAttributeValue.FromVersion("1.2.3"),
            },
        }] }],
    };

    [Fact]
    public void One_document_per_version_newest_first_each_with_a_newline_map_keys_sorted_and_Go_escaping()
    {
        string text = Encoding.UTF8.GetString(DeviceMetadataCodec.Encode(Document, DeviceMetadataVersions.Supported));
        string[] documents = text.Split("\n}\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, documents.Length);
        Assert.Contains("\"apiVersion\": \"metadata.resource.k8s.io/v1beta1\"", documents[0], StringComparison.Ordinal);
        Assert.Contains("\"apiVersion\": \"metadata.resource.k8s.io/v1alpha1\"", documents[1], StringComparison.Ordinal);
        Assert.EndsWith("}\n", text, StringComparison.Ordinal);
        Assert.True(text.IndexOf("\"a\": {", StringComparison.Ordinal) < text.IndexOf("\"z\": {", StringComparison.Ordinal));
        Assert.Contains("\"strings\": [\n                \"a\\u0001\\b\\f\\n\\t\\u2028\\\"\\\\\"\n              ]", text, StringComparison.Ordinal);
        Assert.Contains("\"ints\": [\n                1,\n                2\n              ],", text, StringComparison.Ordinal);
        Assert.DoesNotContain("podClaimName", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_skips_versions_and_kinds_it_does_not_know_and_reads_the_first_it_does()
    {
        byte[] known = DeviceMetadataCodec.Encode(Document, [DeviceMetadataVersions.V1Alpha1]);
        byte[] stream = [.. "{\"kind\":\"DeviceMetadata\",\"apiVersion\":\"metadata.resource.k8s.io/v2\",\"metadata\":{\"name\":\"newer\"}}\n"u8,
            .. "{\"kind\":\"Other\",\"apiVersion\":\"metadata.resource.k8s.io/v1beta1\"}\n"u8, .. known];
        DeviceMetadataDocument decoded = Assert.IsType<DeviceMetadataDocument>(DeviceMetadataCodec.Decode(stream));
        Assert.Equal((DeviceMetadataVersions.V1Alpha1, "c", "ns", "u-1", 3L), (decoded.ApiVersion, decoded.ClaimName, decoded.ClaimNamespace, decoded.ClaimUid, decoded.Generation));
        DeviceMetadataDevice device = decoded.Requests.Single().Devices.Single();
        Assert.Equal("r/sub", decoded.Requests[0].Name);
        Assert.Equal([1L, 2L], device.Attributes!["z"].Ints!);
        Assert.Equal("1.2.3", device.Attributes["a"].VersionValue);

        // Written again, the same bytes.
        Assert.Equal(known, DeviceMetadataCodec.Encode(decoded, [DeviceMetadataVersions.V1Alpha1]));
        Assert.Null(DeviceMetadataCodec.Decode("{\"kind\":\"DeviceMetadata\",\"apiVersion\":\"metadata.resource.k8s.io/v9\"}"u8));
        Assert.Throws<ArgumentException>(() => DeviceMetadataCodec.Encode(Document, ["metadata.resource.k8s.io/v9"]));
    }

    [Fact]
    public void Merge_refuses_documents_of_different_claims()
    {
        Assert.Throws<ArgumentException>(() => DeviceMetadataReader.Merge([Document, Document with { ClaimUid = "u-2" }]));
        Assert.Equal(2, DeviceMetadataReader.Merge([Document, Document]).Requests.Single().Devices.Count);
    }
}
