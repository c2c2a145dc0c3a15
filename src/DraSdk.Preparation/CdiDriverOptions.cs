using DraSdk.Cdi;

namespace DraSdk.Preparation;

/// <summary>
/// Settings of the prepare pipeline (<c>AddCdiDriver</c>). The CDI directory and the checkpoint's directory come from
/// <c>DraDriverOptions</c> (<c>CdiRoot</c>, the plugin data directory).
/// </summary>
public sealed class CdiDriverOptions
{
    /// <summary>The kind of the claims' CDI devices, <c>vendor/class</c>, e.g. <c>k8s.gpu.example.com/gpu</c>. Required.</summary>
    public string Kind { get; set; } = string.Empty;

    /// <summary>The lowest cdiVersion to write; null writes the lowest the content needs.</summary>
    public CdiVersion? MinimumVersion { get; set; }

    /// <summary>The highest cdiVersion the node's runtime reads (e.g. 0.5.0 for containerd 1.7.0–1.7.11); null for no cap.</summary>
    public CdiVersion? MaximumVersion { get; set; }

    /// <summary>
    /// Writes the device metadata of KEP-5304 for every prepared claim and request: the metadata file in the plugin data
    /// directory, its CDI spec (kind <c>&lt;driver&gt;/metadata</c>) bind-mounting it read-only into the container, and
    /// the metadata's CDI id appended to the first device of each request. Off by default.
    /// </summary>
    public bool DeviceMetadata { get; set; }

    /// <summary>The metadata API versions to write, newest first (one document each); <c>metadata.resource.k8s.io/v1alpha1</c> by default.</summary>
    public IList<string> DeviceMetadataApiVersions { get; } = [DraSdk.DeviceMetadata.DeviceMetadataVersions.V1Alpha1];

    /// <summary>The largest metadata file a request may have, in bytes; a larger one fails that claim's prepare. 1 MiB by default.</summary>
    public int DeviceMetadataMaxBytes { get; set; } = 1024 * 1024;
}
