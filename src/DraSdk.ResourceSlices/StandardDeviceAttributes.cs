using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using k8s.Models;

namespace DraSdk.ResourceSlices;

/// <summary>
/// The standard device attributes of the <c>resource.kubernetes.io</c> domain that schedulers and DeviceClasses match
/// on, read from sysfs. The sysfs root is replaceable, so tests can use a directory of their own.
/// </summary>
/// <example>
/// <code>
/// var pci = new StandardDeviceAttributes();                // or new StandardDeviceAttributes("/tmp/fake-sys")
/// device.Attributes[StandardDeviceAttributes.PciBusIdName] = StandardDeviceAttributes.PciBusId("0000:3b:00.0");
/// device.Attributes[StandardDeviceAttributes.PcieRootName] = pci.PcieRoot("0000:3b:00.0");   // e.g. "pci0000:3a"
/// </code>
/// </example>
public sealed partial class StandardDeviceAttributes
{
    /// <summary>The PCI bus address of a device, such as <c>0000:3b:00.0</c>.</summary>
    public const string PciBusIdName = "resource.kubernetes.io/pciBusID";

    /// <summary>The PCIe root complex a device is attached to, such as <c>pci0000:3a</c>; devices with the same value share a root.</summary>
    public const string PcieRootName = "resource.kubernetes.io/pcieRoot";

    private readonly string _sysfsRoot;

    /// <summary>Creates a reader of sysfs under <paramref name="sysfsRoot"/>.</summary>
    /// <param name="sysfsRoot">The sysfs mount point; <c>/sys</c> unless a test replaces it.</param>
    public StandardDeviceAttributes(string sysfsRoot = "/sys")
    {
        ArgumentException.ThrowIfNullOrEmpty(sysfsRoot);
        _sysfsRoot = sysfsRoot;
    }

    /// <summary>The <see cref="PciBusIdName"/> attribute for a PCI address in the full form <c>dddd:bb:dd.f</c> (lower-case hex).</summary>
    /// <param name="pciBusId">The address, such as <c>0000:3b:00.0</c>.</param>
    /// <returns>The attribute (a string value).</returns>
    /// <exception cref="ArgumentException">The address is not in the form <c>dddd:bb:dd.f</c>.</exception>
    public static V1DeviceAttribute PciBusId(string pciBusId)
    {
        CheckAddress(pciBusId);
        return new V1DeviceAttribute { StringValue = pciBusId };
    }

    /// <summary>
    /// The <see cref="PcieRootName"/> attribute of a PCI device: <c>&lt;root&gt;/bus/pci/devices/&lt;address&gt;</c> is a
    /// link to <c>…/devices/pci&lt;domain&gt;:&lt;bus&gt;/…/&lt;address&gt;</c>, and the root complex is the
    /// <c>pci&lt;domain&gt;:&lt;bus&gt;</c> directory under <c>devices</c>.
    /// </summary>
    /// <param name="pciBusId">The address, such as <c>0000:3b:00.0</c>.</param>
    /// <returns>The attribute (a string value such as <c>pci0000:3a</c>).</returns>
    /// <exception cref="ArgumentException">The address is not in the form <c>dddd:bb:dd.f</c>.</exception>
    /// <exception cref="InvalidOperationException">The device is not in sysfs, or its link does not lead to a PCI root.</exception>
    public V1DeviceAttribute PcieRoot(string pciBusId)
    {
        CheckAddress(pciBusId);
        string link = Path.Combine(_sysfsRoot, "bus", "pci", "devices", pciBusId);
        var info = new FileInfo(link);
        string target = info.LinkTarget
            ?? throw new InvalidOperationException($"'{link}' is not a symbolic link to the PCI device; is '{pciBusId}' a PCI device of this machine?");
        string resolved = Path.GetFullPath(target, Path.GetDirectoryName(link)!);
        string[] parts = resolved.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int devices = Array.LastIndexOf(parts, "devices");
        if (devices < 0 || devices + 1 >= parts.Length || !RootPattern().IsMatch(parts[devices + 1]))
        {
            throw new InvalidOperationException($"'{link}' points to '{resolved}', which is not under a PCI root ('devices/pci<domain>:<bus>').");
        }

        return new V1DeviceAttribute { StringValue = parts[devices + 1] };
    }

    /// <summary>
    /// The PCIe root attribute, or false where it cannot be known — a device missing from sysfs, or one whose link does
    /// not lead to a PCI root, as in many VMs and containers. Leave the attribute out then: a wrong root would let the
    /// scheduler pair devices that are not close.
    /// </summary>
    /// <param name="pciBusId">The address, such as <c>0000:3b:00.0</c>.</param>
    /// <param name="attribute">The attribute, when found.</param>
    /// <exception cref="ArgumentException">The address is not in the form <c>dddd:bb:dd.f</c>.</exception>
    public bool TryGetPcieRoot(string pciBusId, [NotNullWhen(true)] out V1DeviceAttribute? attribute)
    {
        CheckAddress(pciBusId);
        try
        {
            attribute = PcieRoot(pciBusId);
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            attribute = null;
            return false;
        }
    }

    /// <summary>
    /// A PCI address as other tools print it, in the form <see cref="PciBusIdName"/> needs (<c>dddd:bb:dd.f</c>, lower
    /// case): accepts upper case, surrounding white space, and the 8-digit domain of NVML and others
    /// (<c>00000000:3B:00.0</c> → <c>0000:3b:00.0</c>) when its upper half is zero; null for anything else.
    /// </summary>
    /// <param name="address">The address as reported.</param>
    /// <returns>The normalized address, or null when it is not a PCI address the attribute can carry.</returns>
    public static string? NormalizePciBusId(string? address)
    {
        if (address is null)
        {
            return null;
        }

        Match m = LooseAddressPattern().Match(address.Trim().ToLowerInvariant());
        if (!m.Success)
        {
            return null;
        }

        string domain = m.Groups["domain"].Value;
        if (domain.Length == 8)
        {
            if (!domain.StartsWith("0000", StringComparison.Ordinal))
            {
                return null; // a 32-bit domain the 4-digit form cannot carry
            }

            domain = domain[4..];
        }

        return $"{domain}:{m.Groups["rest"].Value}";
    }

    /// <summary>Adds <see cref="PciBusIdName"/> and <see cref="PcieRootName"/> for <paramref name="pciBusId"/> to <paramref name="attributes"/>.</summary>
    /// <param name="attributes">A device's attributes.</param>
    /// <param name="pciBusId">The address, such as <c>0000:3b:00.0</c>.</param>
    public void AddPciAttributes(IDictionary<string, V1DeviceAttribute> attributes, string pciBusId)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        attributes[PciBusIdName] = PciBusId(pciBusId);
        attributes[PcieRootName] = PcieRoot(pciBusId);
    }

    private static void CheckAddress(string pciBusId)
    {
        ArgumentNullException.ThrowIfNull(pciBusId);
        if (!AddressPattern().IsMatch(pciBusId))
        {
            throw new ArgumentException($"'{pciBusId}' is not a PCI address of the form 'dddd:bb:dd.f' in lower-case hex (e.g. '0000:3b:00.0').", nameof(pciBusId));
        }
    }

    [GeneratedRegex("^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-9a-f]$")]
    private static partial Regex AddressPattern();

    [GeneratedRegex("^pci[0-9a-f]{4}:[0-9a-f]{2}$")]
    private static partial Regex RootPattern();

    [GeneratedRegex("^(?<domain>[0-9a-f]{4}|[0-9a-f]{8}):(?<rest>[0-9a-f]{2}:[0-1][0-9a-f]\\.[0-7])$")]
    private static partial Regex LooseAddressPattern();
}
