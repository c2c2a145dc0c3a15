using DraSdk.Checkpoint;
using DraSdk.DeviceMetadata;
using DraSdk.DeviceMetadata.Internal;
using DraSdk.Internal;

namespace DraSdk.Preparation.Internal;

/// <summary>
/// The device metadata files of prepared claims (KEP-5304), laid out as the Go helper lays them out: the stream at
/// <c>&lt;pluginData&gt;/dra-device-metadata/&lt;ns&gt;_&lt;claim&gt;/&lt;request&gt;/metadata.json</c> (0644), and its CDI spec
/// <c>&lt;cdiRoot&gt;/&lt;driver&gt;_metadata_&lt;claimUID&gt;_&lt;request&gt;.json</c>, both written atomically.
/// </summary>
internal sealed class DeviceMetadataFiles
{
    /// <summary>The annotation of a claim made from a template with the pod's name for it.</summary>
    public const string PodClaimNameAnnotation = "resource.kubernetes.io/pod-claim-name";

    private const string SubDirectory = "dra-device-metadata";
    private readonly string[] _versions;
    private readonly int _maxBytes;

    public DeviceMetadataFiles(string driver, string pluginDataDirectory, string cdiRoot, IEnumerable<string> versions, int maxBytes)
    {
        Driver = driver;
        Root = Path.Combine(pluginDataDirectory, SubDirectory);
        CdiRoot = cdiRoot;
        _versions = [.. versions];
        _maxBytes = maxBytes;
        SpecPrefix = driver + "_metadata_";
    }

    public string Driver { get; }

    public string Root { get; }

    public string CdiRoot { get; }

    public string SpecPrefix { get; }

    public static string BaseRequest(string request) => request.Split('/', 2)[0];

    public string GetFilePath(string ns, string name, string request) => Path.Combine(Root, ns + "_" + name, request, "metadata.json");

    public string GetSpecPath(string claimUid, string request) => Path.Combine(CdiRoot, SpecPrefix + claimUid + "_" + request + ".json");

    public string GetCdiId(string claimUid, string request) => Driver + "/metadata=" + claimUid + "_" + request;

    /// <summary>One file per base request: its bytes, checked against the size limit.</summary>
    public List<MetadataWrite> Build(string ns, string name, string uid, string? podClaimName, IReadOnlyList<PlannedDevice> devices, long generation = 1)
    {
        var writes = new List<MetadataWrite>();
        foreach (IGrouping<string, (string Request, PlannedDevice Device)> group in devices
            .SelectMany(d => d.Requests.Select(r => (Request: r, Device: d)))
            .GroupBy(x => BaseRequest(x.Request), StringComparer.Ordinal))
        {
            var document = new DeviceMetadataDocument
            {
                ClaimName = name,
                ClaimNamespace = ns,
                ClaimUid = uid,
                Generation = generation,
                PodClaimName = podClaimName,
                Requests =
                [
                    new DeviceMetadataRequest
                    {
                        Name = group.First().Request,
                        Devices = [.. group.Select(x => new DeviceMetadataDevice
                        {
                            Driver = Driver,
                            Pool = x.Device.PoolName,
                            Name = x.Device.DeviceName,
                            Attributes = x.Device.Metadata?.Attributes,
                            NetworkData = x.Device.Metadata?.NetworkData,
                        })],
                    },
                ],
            };
            writes.Add(Encode(document, group.Key));
        }

        return writes;
    }

    public MetadataWrite Encode(DeviceMetadataDocument document, string baseRequest)
    {
        byte[] bytes = DeviceMetadataCodec.Encode(document, _versions);
        if (bytes.Length > _maxBytes)
        {
            throw new DeviceMetadataTooLargeException(
                $"the device metadata of claim {document.ClaimNamespace}/{document.ClaimName}, request {baseRequest}, is {bytes.Length} bytes, over the limit of {_maxBytes} (CdiDriverOptions.DeviceMetadataMaxBytes)");
        }

        return new MetadataWrite(document.ClaimNamespace, document.ClaimName, document.ClaimUid, baseRequest, document.PodClaimName, bytes);
    }

    /// <summary>Writes the metadata file and its CDI spec (atomically each).</summary>
    public void Write(MetadataWrite write)
    {
        string file = GetFilePath(write.Namespace, write.Name, write.Request);
        AtomicFile.Write(file, write.Content, durable: false);
        WriteSpec(write.Uid, write.Request, file, write.PodClaimName, write.Name);
    }

    /// <summary>Removes every metadata file and CDI spec of a claim; nothing there is no error.</summary>
    public void Remove(string ns, string name, string uid)
    {
        string directory = Path.Combine(Root, ns + "_" + name);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        if (Directory.Exists(CdiRoot))
        {
            foreach (string spec in Directory.EnumerateFiles(CdiRoot, SpecPrefix + uid + "_*.json"))
            {
                File.Delete(spec);
            }
        }
    }

    /// <summary>
    /// Writes again what is missing of a prepared claim's metadata: the CDI spec from the file (a reboot empties the
    /// CDI directory), the file from the record (without the attributes, which the record does not keep) when it is
    /// gone too. Returns whether anything was written.
    /// </summary>
    public bool Recreate(PreparedClaimRecord record)
    {
        bool wrote = false;
        foreach (string request in record.Devices.SelectMany(d => d.Requests).Select(BaseRequest).Distinct(StringComparer.Ordinal))
        {
            string file = GetFilePath(record.Namespace, record.Name, request);
            string spec = GetSpecPath(record.ClaimUid, request);
            DeviceMetadataDocument? existing = File.Exists(file) ? TryRead(file) : null;
            if (existing is null)
            {
                List<PlannedDevice> devices = [.. record.Devices.Where(d => d.Requests.Any(r => BaseRequest(r) == request))
                    .Select(d => new PlannedDevice { PoolName = d.PoolName, DeviceName = d.DeviceName, Requests = d.Requests })];
                Write(Build(record.Namespace, record.Name, record.ClaimUid, podClaimName: null, devices).Single(w => w.Request == request));
                wrote = true;
            }
            else if (!File.Exists(spec))
            {
                WriteSpec(record.ClaimUid, request, file, existing.PodClaimName, record.Name);
                wrote = true;
            }
        }

        return wrote;
    }

    /// <summary>
    /// Removes the metadata of claims not prepared (a kill between the files and the record): their CDI specs, their
    /// directories, and temporary files.
    /// </summary>
    public void RemoveOrphans(IReadOnlyDictionary<string, PreparedClaimRecord> claims)
    {
        if (Directory.Exists(Root))
        {
            HashSet<string> owned = [.. claims.Values.Select(r => r.Namespace + "_" + r.Name)];
            foreach (string directory in Directory.EnumerateDirectories(Root))
            {
                if (!owned.Contains(Path.GetFileName(directory)))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
        }

        if (!Directory.Exists(CdiRoot))
        {
            return;
        }

        AtomicFile.RemoveLeftovers(CdiRoot, SpecPrefix + "*.json");
        foreach (string path in Directory.EnumerateFiles(CdiRoot, SpecPrefix + "*.json"))
        {
            string rest = Path.GetFileName(path)[SpecPrefix.Length..];
            int end = rest.IndexOf('_', StringComparison.Ordinal);
            if (end > 0 && !claims.ContainsKey(rest[..end]))
            {
                File.Delete(path);
            }
        }
    }

    public static DeviceMetadataDocument? TryRead(string file)
    {
        try
        {
            return DeviceMetadataCodec.Decode(File.ReadAllBytes(file));
        }
        catch (Exception ex) when (ex is IOException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private void WriteSpec(string uid, string request, string file, string? podClaimName, string claimName)
    {
        string containerPath = string.IsNullOrEmpty(podClaimName)
            ? DeviceMetadataReader.GetResourceClaimPath(Driver, claimName, request)
            : DeviceMetadataReader.GetResourceClaimTemplatePath(Driver, podClaimName, request);
        byte[] spec = MetadataCdiSpec.Encode(Driver, uid + "_" + request, file, containerPath);
        AtomicFile.Write(GetSpecPath(uid, request), spec, durable: false);
    }
}

/// <summary>One metadata file to write.</summary>
internal sealed record MetadataWrite(string Namespace, string Name, string Uid, string Request, string? PodClaimName, byte[] Content);

/// <summary>A request's metadata is over <see cref="CdiDriverOptions.DeviceMetadataMaxBytes"/>.</summary>
internal sealed class DeviceMetadataTooLargeException(string message) : InvalidOperationException(message);
