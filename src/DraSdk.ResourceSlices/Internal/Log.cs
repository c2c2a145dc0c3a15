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

    [LoggerMessage(204, LogLevel.Debug, "Conflict while publishing ResourceSlices (attempt {Attempt}), reading them again: {ErrorMessage}")]
    public static partial void Conflict(ILogger logger, int attempt, string errorMessage);

    [LoggerMessage(205, LogLevel.Debug, "Publishing ResourceSlices again in {Delay} (failure {Failures})")]
    public static partial void RetryScheduled(ILogger logger, TimeSpan delay, int failures);

    [LoggerMessage(206, LogLevel.Information, "ResourceSlices of driver {DriverName} on node {NodeName} are published again after {Failures} failed attempt(s)")]
    public static partial void Recovered(ILogger logger, string driverName, string nodeName, int failures);

    [LoggerMessage(207, LogLevel.Debug, "Publishing ResourceSlices of driver {DriverName} on node {NodeName} (version {Version})")]
    public static partial void Syncing(ILogger logger, string driverName, string nodeName, long version);
}
