using System.Text.Json.Nodes;
using DraSdk.Cel;

namespace DraSdk.Testing;

/// <summary>What a validator may look at besides the object: the namespaces in the store and the disabled gates.</summary>
/// <param name="Namespace">The stored Namespace object of a name, or null.</param>
/// <param name="DisabledFeatureGates">The feature gates treated as disabled.</param>
internal sealed record ValidationContext(Func<string, JsonObject?> Namespace, ICollection<string> DisabledFeatureGates)
{
    public static ValidationContext Empty { get; } = new(_ => null, []);

    /// <summary>The CEL environment of selectors as kube-apiserver v1.36 compiles them: list-type attributes are off by default.</summary>
    public CelEnvironment Cel => CelEnvironment.Create(DisabledFeatureGates.Contains("DRAConsumableCapacity") ? CelFeatures.None : CelFeatures.ConsumableCapacity);
}
