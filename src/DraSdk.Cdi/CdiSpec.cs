using System.Text.Json.Serialization;
using DraSdk.Cdi.Internal;

namespace DraSdk.Cdi;

/// <summary>
/// A CDI spec file: a set of devices of one kind (<c>vendor/class</c>) and the container edits each needs.
/// </summary>
/// <remarks>
/// Build one with an object initializer and collection expressions. Record equality compares collections by
/// reference. Optional fields left <see langword="null"/> (or empty) are omitted from the written JSON.
/// </remarks>
public sealed record CdiSpec
{
    /// <summary>
    /// The spec version (<c>cdiVersion</c>). Leave <see langword="null"/> when writing: the writer fills in the lowest
    /// version the content needs. When set, it acts as a floor and must be at least that minimum.
    /// </summary>
    [JsonPropertyName("cdiVersion")]
    [JsonPropertyOrder(0)]
    public CdiVersion? Version { get; init; }

    /// <summary>The device kind, <c>vendor/class</c>, for example <c>k8s.gpu.example.com/gpu</c>.</summary>
    [JsonPropertyName("kind")]
    [JsonPropertyOrder(1)]
    public required string Kind { get; init; }

    /// <summary>Spec annotations (needs cdiVersion 0.6.0 when non-empty). Keys follow Kubernetes annotation key rules.</summary>
    [JsonPropertyName("annotations")]
    [JsonPropertyOrder(2)]
    [JsonConverter(typeof(StringMapConverter))]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>The devices; at least one, with unique names.</summary>
    [JsonPropertyName("devices")]
    [JsonPropertyOrder(3)]
    public required IReadOnlyList<CdiDevice> Devices { get; init; }

    /// <summary>Edits applied once to a container that gets any device of this spec. May be empty.</summary>
    [JsonPropertyName("containerEdits")]
    [JsonPropertyOrder(4)]
    public ContainerEdits? ContainerEdits { get; init; }

    /// <summary>
    /// The lowest <c>cdiVersion</c> this spec's content needs (at least 0.3.0) and the field that forced it, by the
    /// rules of the CDI library the runtimes use: 1.1.0 for <c>netDevices</c>, <c>intelRdt.schemata</c> (even empty)
    /// or <c>intelRdt.enableMonitoring</c>; 0.7.0 for <c>intelRdt</c> (even empty) or <c>additionalGids</c>; 0.6.0
    /// for annotations or a <c>.</c> in the class; 0.5.0 for a device name starting with a digit or a device node
    /// <c>hostPath</c>; 0.4.0 for a mount <c>type</c>.
    /// </summary>
    /// <returns>The requirement; its <see cref="CdiVersionRequirement.Field"/> names the field.</returns>
    public CdiVersionRequirement GetMinimumVersion() => MinimumVersion.Compute(this);

    /// <summary>
    /// Checks the spec before it is written and returns every problem with its field path: kind and device names,
    /// at least one device with unique names and non-empty edits, <c>KEY=VALUE</c> env entries, absolute container
    /// and hook paths, device node types (<c>b c u p</c>) and permissions (<c>rwm</c>), hook names and timeouts,
    /// mounts, <c>intelRdt.closID</c>, network interface names, annotation keys, and a set
    /// <see cref="Version"/> that is below what the content needs.
    /// </summary>
    /// <returns>The problems, in document order; empty when the spec is valid.</returns>
    public IReadOnlyList<CdiValidationError> Validate() => SpecValidator.Validate(this, strictVendor: true);
}

/// <summary>One device of a <see cref="CdiSpec"/>: its name and the container edits it needs.</summary>
public sealed record CdiDevice
{
    /// <summary>
    /// The device name, the part after <c>=</c> in <c>vendor/class=name</c>: letters, digits, <c>_ . : -</c>, starting
    /// and ending with a letter or digit. A name starting with a digit needs cdiVersion 0.5.0.
    /// </summary>
    [JsonPropertyName("name")]
    [JsonPropertyOrder(0)]
    public required string Name { get; init; }

    /// <summary>Device annotations (needs cdiVersion 0.6.0 when non-empty).</summary>
    [JsonPropertyName("annotations")]
    [JsonPropertyOrder(1)]
    [JsonConverter(typeof(StringMapConverter))]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>The edits for a container that gets this device; must not be empty.</summary>
    [JsonPropertyName("containerEdits")]
    [JsonPropertyOrder(2)]
    public required ContainerEdits ContainerEdits { get; init; }
}
