using System.Globalization;

namespace NvidiaGpuDriver.Discovery;

/// <summary>
/// NVML's values in the form NVIDIA's DRA driver publishes them: brand and architecture names, semantic versions,
/// PCI bus ids and PCIe roots.
/// </summary>
internal static class NvidiaAttributes
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
}
