using DraSdk.DeviceMetadata;
using DraSdk.KubeletPlugin;
using DraSdk.Preparation.Internal;

namespace DraSdk.Preparation;

/// <summary>
/// Updates the device metadata of a prepared claim's request (<see cref="CdiDriverOptions.DeviceMetadata"/>), e.g.
/// with network data known only once the pod's sandbox exists; the generation grows by one. Inject it into the driver.
/// </summary>
public sealed class DeviceMetadataUpdater
{
    private readonly DeviceMetadataFiles? _files;
    private readonly Lock _lock = new();

    internal DeviceMetadataUpdater(DeviceMetadataFiles? files) => _files = files;

    /// <summary>The files, null when device metadata is off.</summary>
    internal DeviceMetadataFiles? Files => _files;

    /// <summary>
    /// Writes the request's metadata again with <paramref name="devices"/> (their attributes and network data), keeping
    /// the claim's identity and pod claim name, with the next generation.
    /// </summary>
    /// <param name="claim">The prepared claim.</param>
    /// <param name="requestName">The request, <c>request</c> or <c>request/subrequest</c>.</param>
    /// <param name="devices">The request's devices, each with its pool, name and metadata; the driver is this driver.</param>
    /// <returns>The generation written.</returns>
    /// <exception cref="InvalidOperationException">Device metadata is off, the request has no metadata (not prepared), or the new metadata is over <see cref="CdiDriverOptions.DeviceMetadataMaxBytes"/>.</exception>
    public long Update(ClaimReference claim, string requestName, IReadOnlyList<PlannedDevice> devices)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestName);
        ArgumentNullException.ThrowIfNull(devices);
        if (_files is null)
        {
            throw new InvalidOperationException("Device metadata is not enabled (CdiDriverOptions.DeviceMetadata).");
        }

        string request = DeviceMetadataFiles.BaseRequest(requestName);
        lock (_lock)
        {
            string file = _files.GetFilePath(claim.Namespace, claim.Name, request);
            DeviceMetadataDocument previous = (File.Exists(file) ? DeviceMetadataFiles.TryRead(file) : null)
                ?? throw new InvalidOperationException($"request {requestName} of claim {claim} has no device metadata (is the claim prepared?)");
            List<PlannedDevice> planned = [.. devices.Select(d => d with { Requests = [requestName] })];
            MetadataWrite write = _files.Build(claim.Namespace, claim.Name, previous.ClaimUid, previous.PodClaimName, planned, previous.Generation + 1).Single();
            _files.Write(write);
            return previous.Generation + 1;
        }
    }
}
