using Microsoft.Extensions.Logging;

namespace DraSdk.Cdi.Internal;

internal static partial class RegistryLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "CDI spec {Path} skipped: {Errors}")]
    public static partial void SpecSkipped(ILogger logger, string path, string errors);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "CDI device {Device} is defined by {Path} and {OtherPath} at the same priority; both are ignored")]
    public static partial void Conflict(ILogger logger, string device, string path, string otherPath);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "CDI spec directory {Directory} cannot be read: {Reason}")]
    public static partial void DirectoryUnreadable(ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "CDI registry refreshed: {Specs} specs, {Devices} devices, {Errors} errors")]
    public static partial void Refreshed(ILogger logger, int specs, int devices, int errors);
}
