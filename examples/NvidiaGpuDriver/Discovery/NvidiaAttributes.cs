using System.Globalization;
using System.Text.RegularExpressions;

namespace NvidiaGpuDriver.Discovery;

/// <summary>
/// NVML's values in the form NVIDIA's DRA driver publishes them: brand and architecture names, semantic versions,
/// PCI bus ids and PCIe roots.
/// </summary>
internal static partial class NvidiaAttributes
{
    /// <summary>The NVML brand enum (nvmlBrandType_t) as a name; unknown values give null.</summary>
    public static string? BrandName(int brand) => brand switch
    {
        0 => "Unknown",
        1 => "Quadro",
        2 => "Tesla",
        3 => "NVS",
        4 => "Grid",
        5 => "GeForce",
        6 => "Titan",
        7 => "NvidiaVApps",
        8 => "NvidiaVPC",
        9 => "NvidiaVCS",
        10 => "NvidiaVWS",
        11 => "NvidiaCloudGaming",
        12 => "QuadroRTX",
        13 => "NvidiaRTX",
        14 => "Nvidia",
        15 => "GeForceRTX",
        16 => "TitanRTX",
        _ => null,
    };

    /// <summary>The NVML architecture enum (nvmlDeviceArchitecture_t) as a name; unknown values give null.</summary>
    public static string? ArchitectureName(int architecture) => architecture switch
    {
        2 => "Kepler",
        3 => "Maxwell",
        4 => "Pascal",
        5 => "Volta",
        6 => "Turing",
        7 => "Ampere",
        8 => "Ada Lovelace",
        9 => "Hopper",
        10 => "Blackwell",
        _ => null,
    };

    /// <summary>A driver version as a semantic version: <c>580.159.04</c> → <c>580.159.4</c>, <c>550.54</c> → <c>550.54.0</c>.</summary>
    public static string? DriverVersion(string version)
    {
        string[] parts = version.Trim().Split('.');
        if (parts.Length is < 1 or > 3)
        {
            return null;
        }

        var numbers = new List<long>(3);
        foreach (string part in parts)
        {
            if (part.Length == 0 || !part.All(char.IsAsciiDigit) || !long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                return null;
            }

            numbers.Add(n);
        }

        while (numbers.Count < 3)
        {
            numbers.Add(0);
        }

        return string.Join('.', numbers.Select(n => n.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>NVML's CUDA driver version (<c>1000 × major + 10 × minor</c>) as a semantic version: 13000 → 13.0.0, 12040 → 12.4.0.</summary>
    public static string? CudaVersion(int version) =>
        version <= 0 ? null : string.Create(CultureInfo.InvariantCulture, $"{version / 1000}.{version % 1000 / 10}.0");

    /// <summary>A compute capability as a semantic version: [9, 0] → 9.0.0.</summary>
    public static string? ComputeCapability(int major, int minor) =>
        major < 0 || minor < 0 ? null : string.Create(CultureInfo.InvariantCulture, $"{major}.{minor}.0");

    /// <summary>
    /// NVML's bus id as Kubernetes' <c>resource.kubernetes.io/pciBusID</c>: lowercase, 4-digit domain
    /// (<c>00000000:2A:00.0</c> → <c>0000:2a:00.0</c>); null when it is not a PCI address.
    /// </summary>
    public static string? PciBusId(string nvmlBusId)
    {
        string id = nvmlBusId.Trim().ToLowerInvariant();
        Match m = BusIdRegex().Match(id);
        if (!m.Success)
        {
            return null;
        }

        string domain = m.Groups["domain"].Value;
        if (domain.Length == 8)
        {
            if (!domain.StartsWith("0000", StringComparison.Ordinal))
            {
                return null; // a 32-bit domain Kubernetes' 4-digit form cannot carry
            }

            domain = domain[4..];
        }

        return $"{domain}:{m.Groups["rest"].Value}";
    }

    /// <summary>
    /// The PCIe root of a device (<c>pci0000:00</c>): the first <c>pciDDDD:BB</c> segment of where
    /// <c>&lt;sysfs&gt;/bus/pci/devices/&lt;bus id&gt;</c> points; null when that cannot be resolved.
    /// </summary>
    public static string? PcieRoot(string sysfsRoot, string pciBusId)
    {
        string link = Path.Combine(sysfsRoot, "bus/pci/devices", pciBusId);
        try
        {
            var info = new FileInfo(link);
            string? target = info.LinkTarget;
            if (target is null)
            {
                return null;
            }

            string resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(Path.GetDirectoryName(link)!, target));
            foreach (string segment in resolved.Split('/'))
            {
                if (PcieRootRegex().IsMatch(segment))
                {
                    return segment;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    [GeneratedRegex("^(?<domain>[0-9a-f]{4}|[0-9a-f]{8}):(?<rest>[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7])$")]
    private static partial Regex BusIdRegex();

    [GeneratedRegex("^pci[0-9a-f]{4}:[0-9a-f]{2}$")]
    private static partial Regex PcieRootRegex();
}
