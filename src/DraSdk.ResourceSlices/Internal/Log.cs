using Microsoft.Extensions.Logging;

namespace DraSdk.ResourceSlices.Internal;

internal static partial class Log
{
    [LoggerMessage(200, LogLevel.Information, "Created ResourceSlice {SliceName} of pool {Pool} (generation {Generation})")]
    public static partial void Created(ILogger logger, string sliceName, string pool, long generation);

    [LoggerMessage(201, LogLevel.Information, "Updated ResourceSlice {SliceName} of pool {Pool} (generation {Generation})")]
    public static partial void Updated(ILogger logger, string sliceName, string pool, long generation);

    [LoggerMessage(202, LogLevel.Information, "Deleted ResourceSlice {SliceName} of pool {Pool}: {Reason}")]
    public static partial void Deleted(ILogger logger, string sliceName, string pool, string reason);

    [LoggerMessage(203, LogLevel.Debug, "Pool {Pool} is published at generation {Generation} in {SliceCount} slice(s)")]
    public static partial void PoolPublished(ILogger logger, string pool, long generation, int sliceCount);

    [LoggerMessage(204, LogLevel.Debug, "Conflict while publishing pool {Pool} (attempt {Attempt}), reading the slice again: {ErrorMessage}")]
    public static partial void Conflict(ILogger logger, string pool, int attempt, string errorMessage);

    [LoggerMessage(206, LogLevel.Information, "ResourceSlices of driver {DriverName} are published again after {Failures} failed attempt(s)")]
    public static partial void Recovered(ILogger logger, string driverName, int failures);

    [LoggerMessage(207, LogLevel.Debug, "Pool {Pool}: generation {Generation}, {Obsolete} obsolete, {Updates} to update, {Creates} to create")]
    public static partial void Planned(ILogger logger, string pool, long generation, int obsolete, int updates, int creates);

    [LoggerMessage(210, LogLevel.Information, "{Identity} is now the leader of lease {Namespace}/{Lease} and publishes the ResourceSlices of driver {DriverName}")]
    public static partial void StartedLeading(ILogger logger, string identity, string @namespace, string lease, string driverName);

    [LoggerMessage(211, LogLevel.Warning, "{Identity} lost lease {Namespace}/{Lease} and stops publishing ResourceSlices")]
    public static partial void StoppedLeading(ILogger logger, string identity, string @namespace, string lease);

    [LoggerMessage(212, LogLevel.Debug, "Lease {Namespace}/{Lease} could not be acquired or renewed: {ErrorMessage}")]
    public static partial void LeaseFailed(ILogger logger, string @namespace, string lease, string errorMessage);

    [LoggerMessage(220, LogLevel.Information, "ResourceSlices of driver {DriverName} wait for the kubelet to register the driver: devices the kubelet cannot prepare are not advertised")]
    public static partial void WaitingForRegistration(ILogger logger, string driverName);

    [LoggerMessage(221, LogLevel.Information, "The kubelet registered driver {DriverName}: publishing its ResourceSlices")]
    public static partial void Registered(ILogger logger, string driverName);

    [LoggerMessage(222, LogLevel.Warning, "The kubelet refused driver {DriverName} ({Error}): withdrawing its ResourceSlices until the kubelet registers it")]
    public static partial void Withdrawing(ILogger logger, string driverName, string error);

    [LoggerMessage(223, LogLevel.Error, "Pool {Pool} is refused by the API server: {ErrorMessage}. Not retried before {RetryInterval} unless the driver's devices change; other pools keep publishing")]
    public static partial void PermanentError(ILogger logger, string pool, string errorMessage, TimeSpan retryInterval);

    [LoggerMessage(224, LogLevel.Error, "The API server refuses to list or watch the driver's ResourceSlices: {ErrorMessage}. Check the driver's RBAC (list and watch on resourceslices) and that resource.k8s.io (v1, v1beta2 or v1beta1) is served; tried again every {RetryInterval}")]
    public static partial void PermanentWatchError(ILogger logger, string errorMessage, TimeSpan retryInterval);
}
