using k8s.Models;

namespace DraSdk.ResourceSlices;

/// <summary>
/// Settings of a publisher of network-attached pools (<c>AddNetworkResourceSlicePublisher</c>): a cluster-level
/// controller, usually a Deployment, whose replicas elect a leader through a Lease; only the leader publishes.
/// </summary>
public sealed class NetworkResourceSlicePublisherOptions : ResourceSlicePublisherOptions
{
    /// <summary>The driver name; defaults to <c>DraDriverOptions.DriverName</c> (<c>DRIVER_NAME</c>) when the host has a DRA driver.</summary>
    public string? DriverName { get; set; }

    /// <summary>
    /// The object that owns the slices (for example the controller's Deployment), set on every slice as owner
    /// reference with <c>controller: true</c>, so that the slices are garbage-collected with it. Its name is part of the
    /// slices' names. Optional: without it the slices have no owner and stay until the publisher deletes them.
    /// </summary>
    public V1OwnerReference? Owner { get; set; }

    /// <summary>Whether replicas elect a leader through a coordination.k8s.io/v1 Lease; only the leader publishes. Default: true.</summary>
    public bool LeaderElection { get; set; } = true;

    /// <summary>The Lease's name; defaults to <c>&lt;driver&gt;-resourceslices</c> with dots as dashes.</summary>
    public string? LeaseName { get; set; }

    /// <summary>The Lease's namespace; defaults to <c>POD_NAMESPACE</c>, else <c>default</c>.</summary>
    public string? LeaseNamespace { get; set; }

    /// <summary>This replica's identity in the Lease; defaults to <c>POD_NAME</c>, else the host name, plus a random suffix.</summary>
    public string? Identity { get; set; }

    /// <summary>How long a Lease that is not renewed keeps other replicas from taking over. Default: 15 seconds.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps trying to renew before it stops publishing. Default: 10 seconds.</summary>
    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the Lease is renewed or its acquisition retried. Default: 2 seconds.</summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);
}
