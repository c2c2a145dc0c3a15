namespace DraSdk.ResourceSlices;

/// <summary>A snapshot of what a <see cref="IResourceSlicePublisher"/> has done, for health checks and tests.</summary>
public sealed record ResourceSlicePublisherStatus
{
    /// <summary>Whether the resources last given to the publisher are published (false before the first update).</summary>
    public bool IsUpToDate { get; init; }

    /// <summary>When the publisher last brought the slices in line with the resources (UTC, from the host's <see cref="TimeProvider"/>).</summary>
    public DateTimeOffset? LastSuccessfulSync { get; init; }

    /// <summary>The last error, cleared by the next successful sync.</summary>
    public Exception? LastError { get; init; }

    /// <summary>When <see cref="LastError"/> happened.</summary>
    public DateTimeOffset? LastErrorTime { get; init; }

    /// <summary>Failed attempts since the last successful sync.</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>The published generation of each pool (<c>spec.pool.generation</c>), by pool name.</summary>
    public IReadOnlyDictionary<string, long> PoolGenerations { get; init; } = new Dictionary<string, long>();

    /// <summary>
    /// Pools the API server refused for good (422 Invalid, 403 Forbidden, 404 Not Found), with its message, which names
    /// the slice and the field; retried only every <c>PermanentErrorRetryInterval</c> or when the devices change. The key
    /// <c>""</c> is the list and watch of the driver's slices (403: the driver's RBAC lacks list or watch). Empty when none.
    /// </summary>
    public IReadOnlyDictionary<string, string> PermanentErrors { get; init; } = new Dictionary<string, string>();

    /// <summary>ResourceSlices this publisher created.</summary>
    public long SlicesCreated { get; init; }

    /// <summary>ResourceSlices this publisher updated.</summary>
    public long SlicesUpdated { get; init; }

    /// <summary>ResourceSlices this publisher deleted (obsolete, duplicate, or of a pool no longer published).</summary>
    public long SlicesDeleted { get; init; }
}
