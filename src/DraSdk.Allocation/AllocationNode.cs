using k8s.Models;

namespace DraSdk.Allocation;

/// <summary>The node that devices are allocated for: its name and labels, which node selectors match.</summary>
public sealed class AllocationNode
{
    /// <summary>Creates a node.</summary>
    /// <param name="name">The node name (<c>metadata.name</c>).</param>
    /// <param name="labels">The node labels; none when null.</param>
    public AllocationNode(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Labels = labels ?? new Dictionary<string, string>(StringComparer.Ordinal);
    }

    /// <summary>The node name.</summary>
    public string Name { get; }

    /// <summary>The node labels.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>Creates a node from a Kubernetes Node object.</summary>
    /// <param name="node">The node.</param>
    /// <returns>The node's name and labels.</returns>
    public static AllocationNode From(V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var labels = node.Metadata?.Labels is { } l
            ? new Dictionary<string, string>(l, StringComparer.Ordinal)
            : null;
        return new AllocationNode(node.Metadata?.Name ?? throw new ArgumentException("node has no name", nameof(node)), labels);
    }
}
