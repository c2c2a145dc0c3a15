namespace DraSdk.DeviceMetadata;

/// <summary>
/// Reads device metadata where a container finds it: <c>/var/run/kubernetes.io/dra-device-attributes/</c>, then
/// <c>resourceclaims/&lt;claim&gt;/&lt;request&gt;/</c> for a claim the pod references by name, or
/// <c>resourceclaimtemplates/&lt;podClaimName&gt;/&lt;request&gt;/</c> for one made from a template, one
/// <c>&lt;driver&gt;-metadata.json</c> per driver.
/// </summary>
public static class DeviceMetadataReader
{
    /// <summary>The directory in the container under which the metadata files are mounted.</summary>
    public const string ContainerDirectory = "/var/run/kubernetes.io/dra-device-attributes";

    /// <summary>The sub-directory for claims referenced by name.</summary>
    public const string ResourceClaimsDirectory = "resourceclaims";

    /// <summary>The sub-directory for claims made from a template (named by the pod's name for the claim).</summary>
    public const string ResourceClaimTemplatesDirectory = "resourceclaimtemplates";

    /// <summary>The end of every metadata file's name: <c>&lt;driver&gt;-metadata.json</c>.</summary>
    public const string FileNameSuffix = "-metadata.json";

    /// <summary>The in-container path of a driver's file for a claim referenced by name.</summary>
    /// <param name="driver">The driver's name.</param>
    /// <param name="claimName">The claim's name.</param>
    /// <param name="requestName">The (base) request name.</param>
    public static string GetResourceClaimPath(string driver, string claimName, string requestName) =>
        string.Join('/', ContainerDirectory, ResourceClaimsDirectory, claimName, requestName, driver + FileNameSuffix);

    /// <summary>The in-container path of a driver's file for a claim made from a template.</summary>
    /// <param name="driver">The driver's name.</param>
    /// <param name="podClaimName">The pod's name for the claim (<c>pod.spec.resourceClaims[].name</c>).</param>
    /// <param name="requestName">The (base) request name.</param>
    public static string GetResourceClaimTemplatePath(string driver, string podClaimName, string requestName) =>
        string.Join('/', ContainerDirectory, ResourceClaimTemplatesDirectory, podClaimName, requestName, driver + FileNameSuffix);

    /// <summary>Reads one metadata file; null when it holds no document of a known version.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="System.Text.Json.JsonException">The file is not a JSON stream.</exception>
    public static DeviceMetadataDocument? ReadFile(string path) => DeviceMetadataCodec.Decode(File.ReadAllBytes(path));

    /// <summary>
    /// Reads and merges every driver's file for a request of a claim the pod references by name; null when there is
    /// none (the directory is missing, or no file holds a known version).
    /// </summary>
    /// <param name="claimName">The claim's name.</param>
    /// <param name="requestName">The (base) request name.</param>
    /// <param name="root">The directory the files are under; <see cref="ContainerDirectory"/> by default.</param>
    public static DeviceMetadataDocument? ReadResourceClaim(string claimName, string requestName, string? root = null) =>
        ReadDirectory(Path.Combine(root ?? ContainerDirectory, ResourceClaimsDirectory, claimName, requestName));

    /// <summary>Reads and merges every driver's file for a request of a claim made from a template; null when there is none.</summary>
    /// <param name="podClaimName">The pod's name for the claim.</param>
    /// <param name="requestName">The (base) request name.</param>
    /// <param name="root">The directory the files are under; <see cref="ContainerDirectory"/> by default.</param>
    public static DeviceMetadataDocument? ReadResourceClaimTemplate(string podClaimName, string requestName, string? root = null) =>
        ReadDirectory(Path.Combine(root ?? ContainerDirectory, ResourceClaimTemplatesDirectory, podClaimName, requestName));

    /// <summary>
    /// Merges the documents of several drivers for one claim: the claim's identity from the first, the highest
    /// generation, and each request once, with the devices of every document in order.
    /// </summary>
    /// <param name="documents">The documents, e.g. one per driver's file.</param>
    /// <exception cref="ArgumentException">No document, or documents of different claims.</exception>
    public static DeviceMetadataDocument Merge(IEnumerable<DeviceMetadataDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        List<DeviceMetadataDocument> all = [.. documents];
        if (all.Count == 0)
        {
            throw new ArgumentException("There is no device metadata to merge.", nameof(documents));
        }

        DeviceMetadataDocument first = all[0];
        if (all.FirstOrDefault(d => d.ClaimUid != first.ClaimUid) is { } other)
        {
            throw new ArgumentException($"Device metadata of claim {other.ClaimNamespace}/{other.ClaimName} ({other.ClaimUid}) cannot be merged with that of {first.ClaimNamespace}/{first.ClaimName} ({first.ClaimUid}).", nameof(documents));
        }

        var requests = new List<(string Name, List<DeviceMetadataDevice> Devices)>();
        foreach (DeviceMetadataRequest request in all.SelectMany(d => d.Requests))
        {
            int index = requests.FindIndex(r => r.Name == request.Name);
            if (index < 0)
            {
                requests.Add((request.Name, [.. request.Devices]));
            }
            else
            {
                requests[index].Devices.AddRange(request.Devices);
            }
        }

        return first with
        {
            Generation = all.Max(d => d.Generation),
            Requests = [.. requests.Select(r => new DeviceMetadataRequest { Name = r.Name, Devices = r.Devices })],
        };
    }

    private static DeviceMetadataDocument? ReadDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return null;
        }

        List<DeviceMetadataDocument> documents = [];
        foreach (string file in Directory.EnumerateFiles(directory, "*" + FileNameSuffix).Order(StringComparer.Ordinal))
        {
            if (ReadFile(file) is { } document)
            {
                documents.Add(document);
            }
        }

        return documents.Count == 0 ? null : Merge(documents);
    }
}
