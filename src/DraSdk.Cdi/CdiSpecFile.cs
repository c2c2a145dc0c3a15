namespace DraSdk.Cdi;

/// <summary>A spec file that <see cref="CdiSpecWriter"/> wrote.</summary>
/// <param name="Path">The full path of the file.</param>
/// <param name="Version">The cdiVersion written.</param>
/// <param name="Requirement">The lowest version the content needed, and the field that forced it.</param>
public sealed record CdiSpecFile(string Path, CdiVersion Version, CdiVersionRequirement Requirement);

/// <summary>The spec file for one claim, written by <see cref="CdiClaimSpecs"/>.</summary>
/// <param name="Path">The full path of the file.</param>
/// <param name="Version">The cdiVersion written.</param>
/// <param name="DeviceIds">The qualified CDI id of each device, keyed by the device name given (e.g. <c>gpu-0</c>),
/// in the order given: the <c>cdi_device_ids</c> to answer the kubelet with.</param>
public sealed record CdiClaimSpecFile(string Path, CdiVersion Version, IReadOnlyDictionary<string, CdiDeviceId> DeviceIds);
