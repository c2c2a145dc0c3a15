using System.Text;
using System.Text.Json;
using DraSdk.DeviceMetadata.Internal;

namespace DraSdk.DeviceMetadata;

/// <summary>
/// The device metadata stream: one JSON document per API version, newest first, each followed by a newline, written
/// byte for byte as the Go kubelet helper (<c>k8s.io/dynamic-resource-allocation/kubeletplugin</c>) writes it.
/// </summary>
public static class DeviceMetadataCodec
{
    /// <summary>Encodes a document once per version, in the order given (newest first).</summary>
    /// <param name="document">The metadata; its <see cref="DeviceMetadataDocument.ApiVersion"/> is ignored.</param>
    /// <param name="apiVersions">The versions to write, newest first; each one of <see cref="DeviceMetadataVersions.Supported"/>.</param>
    /// <returns>The stream's UTF-8 bytes.</returns>
    /// <exception cref="ArgumentException">No version, or one this library does not know.</exception>
    public static byte[] Encode(DeviceMetadataDocument document, IReadOnlyList<string> apiVersions)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(apiVersions);
        if (apiVersions.Count == 0)
        {
            throw new ArgumentException("At least one device metadata API version is needed.", nameof(apiVersions));
        }

        var text = new StringBuilder();
        foreach (string version in apiVersions)
        {
            if (!DeviceMetadataVersions.Supported.Contains(version, StringComparer.Ordinal))
            {
                throw new ArgumentException($"'{version}' is not a device metadata API version this library writes ({string.Join(", ", DeviceMetadataVersions.Supported)}).", nameof(apiVersions));
            }

            text.Append(EncodeOne(document, version)).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>
    /// Reads the first document of the stream in a version this library knows, skipping the others (a newer writer's
    /// versions come first); null when there is none.
    /// </summary>
    /// <param name="stream">The stream's bytes (a metadata file's content).</param>
    /// <returns>The document, with the version it was read in.</returns>
    /// <exception cref="JsonException">The stream is not a sequence of JSON values.</exception>
    public static DeviceMetadataDocument? Decode(ReadOnlySpan<byte> stream)
    {
        var reader = new Utf8JsonReader(stream, new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            // The reader is on the value's first token; parsing leaves it on the value's last.
            using JsonDocument value = JsonDocument.ParseValue(ref reader);

            {
                JsonElement root = value.RootElement;
                if (root.ValueKind != JsonValueKind.Object
                    || !root.TryGetProperty("apiVersion", out JsonElement version) || version.ValueKind != JsonValueKind.String
                    || !root.TryGetProperty("kind", out JsonElement kind) || kind.GetString() != DeviceMetadataVersions.Kind
                    || !DeviceMetadataVersions.Supported.Contains(version.GetString(), StringComparer.Ordinal))
                {
                    continue;
                }

                WireDocument? wire;
                try
                {
                    wire = root.Deserialize(DeviceMetadataJsonContext.Default.WireDocument);
                }
                catch (JsonException)
                {
                    // A document of a known version that does not fit: skip it as the Go reader does.
                    continue;
                }

                if (wire is not null)
                {
                    return wire.ToDocument();
                }
            }
        }

        return null;
    }

    private static string EncodeOne(DeviceMetadataDocument d, string version)
    {
        var w = new GoJsonWriter();
        w.StartObject();
        w.StringProperty("kind", DeviceMetadataVersions.Kind);
        w.StringProperty("apiVersion", version);
        w.Name("metadata");
        w.StartObject();
        OptionalString(w, "name", d.ClaimName);
        OptionalString(w, "namespace", d.ClaimNamespace);
        OptionalString(w, "uid", d.ClaimUid);
        if (d.Generation != 0)
        {
            w.Name("generation");
            w.Int(d.Generation);
        }

        w.EndObject();
        if (d.PodClaimName is not null)
        {
            w.StringProperty("podClaimName", d.PodClaimName);
        }

        if (d.Requests.Count > 0)
        {
            w.Name("requests");
            w.StartArray();
            foreach (DeviceMetadataRequest request in d.Requests)
            {
                w.StartObject();
                w.StringProperty("name", request.Name);
                if (request.Devices.Count > 0)
                {
                    w.Name("devices");
                    w.StartArray();
                    foreach (DeviceMetadataDevice device in request.Devices)
                    {
                        WriteDevice(w, device);
                    }

                    w.EndArray();
                }

                w.EndObject();
            }

            w.EndArray();
        }

        w.EndObject();
        return w.ToString();
    }

    private static void WriteDevice(GoJsonWriter w, DeviceMetadataDevice device)
    {
        w.StartObject();
        w.StringProperty("driver", device.Driver);
        w.StringProperty("pool", device.Pool);
        w.StringProperty("name", device.Name);
        if (device.Attributes is { Count: > 0 } attributes)
        {
            w.Name("attributes");
            w.StartObject();

            // Go writes a map's keys sorted.
            foreach (KeyValuePair<string, DeviceAttributeValue> attribute in attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                w.Name(attribute.Key);
                WriteAttribute(w, attribute.Value);
            }

            w.EndObject();
        }

        if (device.NetworkData is { } network)
        {
            w.Name("networkData");
            w.StartObject();
            OptionalString(w, "interfaceName", network.InterfaceName);
            if (network.Ips is { Count: > 0 } ips)
            {
                w.StringArray("ips", ips);
            }

            OptionalString(w, "hardwareAddress", network.HardwareAddress);
            w.EndObject();
        }

        w.EndObject();
    }

    private static void WriteAttribute(GoJsonWriter w, DeviceAttributeValue a)
    {
        w.StartObject();
        if (a.IntValue is { } i)
        {
            w.Name("int");
            w.Int(i);
        }

        if (a.BoolValue is { } b)
        {
            w.Name("bool");
            w.Bool(b);
        }

        if (a.StringValue is { } s)
        {
            w.StringProperty("string", s);
        }

        if (a.VersionValue is { } v)
        {
            w.StringProperty("version", v);
        }

        if (a.Ints is { Count: > 0 } ints)
        {
            w.Name("ints");
            w.StartArray();
            foreach (long value in ints)
            {
                w.Int(value);
            }

            w.EndArray();
        }

        if (a.Bools is { Count: > 0 } bools)
        {
            w.Name("bools");
            w.StartArray();
            foreach (bool value in bools)
            {
                w.Bool(value);
            }

            w.EndArray();
        }

        if (a.Strings is { Count: > 0 } strings)
        {
            w.StringArray("strings", strings);
        }

        if (a.Versions is { Count: > 0 } versions)
        {
            w.StringArray("versions", versions);
        }

        w.EndObject();
    }

    private static void OptionalString(GoJsonWriter w, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            w.StringProperty(name, value);
        }
    }
}
