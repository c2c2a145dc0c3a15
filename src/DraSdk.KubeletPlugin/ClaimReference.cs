namespace DraSdk.KubeletPlugin;

/// <summary>Identifies a ResourceClaim as the kubelet names it: namespace, name and UID.</summary>
/// <param name="Namespace">The claim's namespace.</param>
/// <param name="Name">The claim's name.</param>
/// <param name="Uid">The claim's UID; a claim deleted and re-created under the same name has a new UID.</param>
public readonly record struct ClaimReference(string Namespace, string Name, string Uid)
{
    /// <summary>Formats the claim as <c>namespace/name (uid)</c>, the form used in logs and errors.</summary>
    public override string ToString() => $"{Namespace}/{Name} ({Uid})";
}
