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
}
