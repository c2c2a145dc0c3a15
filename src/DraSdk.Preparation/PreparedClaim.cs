using System.Text.Json;
using DraSdk.KubeletPlugin;

namespace DraSdk.Preparation;

/// <summary>A claim as the pipeline prepared (or is preparing) it: what <see cref="IClaimSideEffects"/> applies and undoes.</summary>
public sealed record PreparedClaim
{
    /// <summary>The claim.</summary>
    public required ClaimReference Claim { get; init; }

    /// <summary>Its devices, with their CDI ids.</summary>
    public required IReadOnlyList<PlannedDevice> Devices { get; init; }

    /// <summary>The driver's data from the plan (<see cref="ClaimPlan.DriverData"/>).</summary>
    public JsonElement? DriverData { get; init; }
}
