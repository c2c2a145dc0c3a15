namespace DraSdk.DeviceMetadata.Internal;

/// <summary>
/// The CDI spec that bind-mounts one metadata file into the container, as the Go helper writes it (cdiVersion 0.5.0,
/// kind <c>&lt;driver&gt;/metadata</c>, one device, one read-only bind mount, indented, no trailing newline).
/// </summary>
internal static class MetadataCdiSpec
{
    public const string CdiVersion = "0.5.0";

    public static byte[] Encode(string driver, string deviceName, string hostPath, string containerPath)
    {
        var w = new GoJsonWriter();
        w.StartObject();
        w.StringProperty("cdiVersion", CdiVersion);
        w.StringProperty("kind", driver + "/metadata");
        w.Name("devices");
        w.StartArray();
        w.StartObject();
        w.StringProperty("name", deviceName);
        w.Name("containerEdits");
        w.StartObject();
        w.Name("mounts");
        w.StartArray();
        w.StartObject();
        w.StringProperty("hostPath", hostPath);
        w.StringProperty("containerPath", containerPath);
        w.StringArray("options", ["ro", "bind"]);
        w.EndObject();
        w.EndArray();
        w.EndObject();
        w.EndObject();
        w.EndArray();
        w.EndObject();
        return w.ToUtf8();
    }
}
