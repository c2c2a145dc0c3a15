namespace DraSdk.Cdi;

/// <summary>
/// The lowest <c>cdiVersion</c> a spec's content needs, and the field that forced it.
/// </summary>
/// <param name="Version">The lowest version the content needs; at least 0.3.0.</param>
/// <param name="Field">The path of the first field that needs <paramref name="Version"/>, e.g.
/// <c>devices[2].containerEdits.deviceNodes[0].hostPath</c>; <see langword="null"/> at the 0.3.0 floor.</param>
/// <param name="Reason">What in that field needs the version, e.g. <c>a device node hostPath</c>; <see langword="null"/>
/// at the floor.</param>
public sealed record CdiVersionRequirement(CdiVersion Version, string? Field, string? Reason)
{
    /// <summary>The requirement of a spec with nothing newer than 0.3.0.</summary>
    public static CdiVersionRequirement Floor { get; } = new(CdiVersion.V0_3_0, null, null);

    /// <summary>For example <c>devices[2].containerEdits.deviceNodes[0].hostPath requires 0.5.0 (a device node hostPath)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        Field is null ? $"{Version} (nothing in the spec needs a later version)" : $"{Field} requires {Version} ({Reason})";
}
