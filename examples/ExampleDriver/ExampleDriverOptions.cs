namespace ExampleDriver;

/// <summary>The example driver's own settings, from the environment (<c>NODE_NAME</c>, <c>NUM_DEVICES</c>).</summary>
internal sealed class ExampleDriverOptions
{
    public const string DriverName = "gpu.example.com";

    /// <summary>The CDI kind (vendor/class) of the per-claim specs.</summary>
    public const string CdiKind = "k8s.gpu.example.com/gpu";

    public string NodeName { get; set; } = Environment.MachineName.ToLowerInvariant();

    public int NumDevices { get; set; } = 8;
}
