namespace DraSdk.Testing;

/// <summary>A claim for <see cref="LocalNode.CreateAndAllocateClaimAsync(LocalClaim, CancellationToken)"/>: one request for devices of one class.</summary>
/// <param name="Name">The claim's name.</param>
public sealed record LocalClaim(string Name)
{
    /// <summary>The claim's namespace.</summary>
    public string Namespace { get; init; } = "default";

    /// <summary>The DeviceClass of the request; null for the class named after the driver (<see cref="LocalNodeOptions.CreateDeviceClass"/>).</summary>
    public string? DeviceClassName { get; init; }

    /// <summary>The request's name, as allocation results and driver errors name it.</summary>
    public string RequestName { get; init; } = "req";

    /// <summary>A CEL expression the devices must match, e.g. <c>device.attributes['gpu.example.com'].index == 1</c>.</summary>
    public string? Selector { get; init; }

    /// <summary>How many devices (<c>ExactCount</c>).</summary>
    public int Count { get; init; } = 1;

    /// <summary>
    /// Whether the request asks for admin access (devices in use by other claims stay eligible). As on a real cluster,
    /// the claim's namespace must exist with the label <c>resource.kubernetes.io/admin-access: "true"</c>.
    /// </summary>
    public bool AdminAccess { get; init; }

    /// <summary>Opaque configuration parameters for the driver (a JSON object), or null for none.</summary>
    public string? ConfigJson { get; init; }
}
