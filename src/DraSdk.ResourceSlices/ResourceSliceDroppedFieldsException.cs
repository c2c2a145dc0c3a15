namespace DraSdk.ResourceSlices;

/// <summary>
/// The API server accepted a ResourceSlice but dropped fields the driver set, which is what it does with the fields of
/// a feature gate that is disabled in the cluster. Reported once to <c>DriverErrorReporter</c> as recoverable; the
/// publisher then treats what the server stored as published, so that it does not write the slice again and again.
/// </summary>
public sealed class ResourceSliceDroppedFieldsException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="poolName">The pool.</param>
    /// <param name="sliceName">The ResourceSlice whose fields were dropped.</param>
    /// <param name="fields">The dropped fields as paths in the slice's spec, such as <c>devices[].taints</c>.</param>
    /// <param name="featureGates">The feature gates that are probably disabled.</param>
    public ResourceSliceDroppedFieldsException(string poolName, string sliceName, IReadOnlyList<string> fields, IReadOnlyList<string> featureGates)
        : base(Describe(poolName, sliceName, fields, featureGates))
    {
        PoolName = poolName;
        SliceName = sliceName;
        Fields = fields;
        FeatureGates = featureGates;
    }

    /// <summary>Creates the exception.</summary>
    public ResourceSliceDroppedFieldsException()
        : this(string.Empty, string.Empty, [], [])
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public ResourceSliceDroppedFieldsException(string message)
        : base(message)
    {
        PoolName = SliceName = string.Empty;
        Fields = FeatureGates = [];
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ResourceSliceDroppedFieldsException(string message, Exception innerException)
        : base(message, innerException)
    {
        PoolName = SliceName = string.Empty;
        Fields = FeatureGates = [];
    }

    /// <summary>The pool.</summary>
    public string PoolName { get; }

    /// <summary>The ResourceSlice whose fields were dropped.</summary>
    public string SliceName { get; }

    /// <summary>The dropped fields as paths in the slice's spec (list indexes as <c>[]</c>, map keys as <c>*</c>), such as <c>devices[].taints</c>.</summary>
    public IReadOnlyList<string> Fields { get; }

    /// <summary>The feature gates that are probably disabled in the cluster, such as <c>DRADeviceTaints</c>; empty when unknown.</summary>
    public IReadOnlyList<string> FeatureGates { get; }

    private static string Describe(string pool, string slice, IReadOnlyList<string> fields, IReadOnlyList<string> gates) =>
        $"The API server dropped {string.Join(", ", fields)} from ResourceSlice '{slice}' of pool '{pool}'. " +
        (gates.Count > 0
            ? $"The feature gate{(gates.Count > 1 ? "s" : string.Empty)} {string.Join(", ", gates)} {(gates.Count > 1 ? "are" : "is")} probably disabled in the cluster."
            : "A feature gate is probably disabled in the cluster, or the server is older than the client.") +
        " The slice is published without these fields.";
}
