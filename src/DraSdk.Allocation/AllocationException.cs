namespace DraSdk.Allocation;

/// <summary>
/// The input cannot be allocated because it is invalid (an unknown class, a bad selector, a
/// feature that is switched off, too many devices), as opposed to not fitting on the node.
/// </summary>
public sealed class AllocationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AllocationException() : this("invalid allocation input")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public AllocationException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public AllocationException(string message, Exception innerException) : base(message, innerException)
    {
    }

    internal AllocationException(string message, bool nodeLocal) : base(message)
    {
        IsNodeLocal = nodeLocal;
    }

    /// <summary>
    /// True when the failure only concerns this node (invalid resource pools were met), so other
    /// nodes may still fit; the scheduler reports it only if every node fails.
    /// </summary>
    public bool IsNodeLocal { get; }

    /// <summary>The claim the error is about, as <c>namespace/name</c>, when known.</summary>
    public string? Claim { get; init; }
}
