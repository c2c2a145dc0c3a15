using Microsoft.Extensions.Logging;

namespace DraSdk.KubeletPlugin.Internal;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "Recoverable error while {Context}: {ErrorMessage}")]
    public static partial void RecoverableError(ILogger logger, string context, string errorMessage);

    [LoggerMessage(4, LogLevel.Warning, "Recoverable error while {Context} (attempt {Attempt}, next in {RetryDelay}): {ErrorMessage}")]
    public static partial void RetriedError(ILogger logger, string context, int attempt, string retryDelay, string errorMessage);

    [LoggerMessage(5, LogLevel.Error, "The API server refuses the driver's reads of ResourceClaims, so every prepare fails until that is fixed: {ErrorMessage}")]
    public static partial void ClaimFetchRefused(ILogger logger, string errorMessage);

    [LoggerMessage(6, LogLevel.Information, "The API server lets the driver read ResourceClaims again")]
    public static partial void ClaimFetchAllowed(ILogger logger);

    [LoggerMessage(3, LogLevel.Debug, "Recoverable error while {Context}, in detail")]
    public static partial void RecoverableErrorDetail(ILogger logger, Exception exception, string context);

    [LoggerMessage(2, LogLevel.Critical, "Fatal error while {Context}, stopping the driver: {ErrorMessage}")]
    public static partial void FatalError(ILogger logger, Exception exception, string context, string errorMessage);

    [LoggerMessage(10, LogLevel.Information, "Serving DRA {Versions} for driver {DriverName} on {DraSocket}")]
    public static partial void ServingDra(ILogger logger, string driverName, string versions, string draSocket);

    [LoggerMessage(11, LogLevel.Information, "Serving plugin registration for driver {DriverName} on {RegistrationSocket}")]
    public static partial void ServingRegistration(ILogger logger, string driverName, string registrationSocket);

    [LoggerMessage(12, LogLevel.Information, "Removed stale socket {SocketPath}")]
    public static partial void RemovedStaleSocket(ILogger logger, string socketPath);

    [LoggerMessage(13, LogLevel.Information, "Stopped serving driver {DriverName}; removed {RegistrationSocket} and {DraSocket}")]
    public static partial void Stopped(ILogger logger, string driverName, string registrationSocket, string draSocket);

    [LoggerMessage(20, LogLevel.Information, "The kubelet registered driver {DriverName}")]
    public static partial void Registered(ILogger logger, string driverName);

    [LoggerMessage(22, LogLevel.Error, "The kubelet refused to register driver {DriverName}: {Error}. The driver keeps serving; the kubelet retries when the registration socket changes (restart the pod)")]
    public static partial void RegistrationFailed(ILogger logger, string driverName, string error);

    [LoggerMessage(23, LogLevel.Warning, "Ignored NotifyRegistrationStatus(registered={Registered}) for driver {DriverName}: it did not follow GetInfo on the same connection, as the kubelet's registration does, so it is not from the kubelet; the registration stays {State}")]
    public static partial void RegistrationReportIgnored(ILogger logger, bool registered, string driverName, KubeletRegistrationState state);

    [LoggerMessage(24, LogLevel.Warning, "Driver {DriverName} is not registered with the kubelet {ElapsedSeconds:F0} s after it began serving {RegistrationSocket}: {Reason}. Its ResourceSlices are not published until the kubelet registers it")]
    public static partial void NotRegistered(ILogger logger, string driverName, double elapsedSeconds, string registrationSocket, string reason);

    [LoggerMessage(25, LogLevel.Information, "Driver {DriverName} is registered with the kubelet, {ElapsedSeconds:F0} s after it began waiting")]
    public static partial void RegisteredLate(ILogger logger, string driverName, double elapsedSeconds);

    [LoggerMessage(26, LogLevel.Warning, "HTTP/2 failure on the {Socket} {SocketPath}: {Reason}{Suppressed}")]
    public static partial void Http2Failure(ILogger logger, string socket, string socketPath, string reason, string suppressed);

    [LoggerMessage(21, LogLevel.Debug, "Kubelet asked for plugin info of {DriverName}")]
    public static partial void GetInfo(ILogger logger, string driverName);

    [LoggerMessage(30, LogLevel.Information, "gRPC {Method} request {RequestId} finished with {StatusCode} in {ElapsedMs:F1} ms")]
    public static partial void CallFinished(ILogger logger, string method, long requestId, string statusCode, double elapsedMs);

    [LoggerMessage(31, LogLevel.Warning, "gRPC {Method} request {RequestId} failed with {StatusCode} in {ElapsedMs:F1} ms: {Detail}")]
    public static partial void CallFailed(ILogger logger, Exception? exception, string method, long requestId, string statusCode, double elapsedMs, string detail);

    [LoggerMessage(32, LogLevel.Debug, "gRPC {Method} request {RequestId}: {Request}")]
    public static partial void CallRequest(ILogger logger, string method, long requestId, string request);

    [LoggerMessage(40, LogLevel.Warning, "Claim {Claim} cannot be prepared: {Problem}")]
    public static partial void ClaimRejected(ILogger logger, string claim, string problem);

    [LoggerMessage(41, LogLevel.Warning, "Driver failed claim {Claim}: {Problem}")]
    public static partial void ClaimFailed(ILogger logger, string claim, string problem);

    [LoggerMessage(42, LogLevel.Error, "Driver threw while handling {Operation}")]
    public static partial void DriverThrew(ILogger logger, Exception exception, string operation);

    [LoggerMessage(50, LogLevel.Warning, "Health source failed; the kubelet's stream is closed and the kubelet reconnects")]
    public static partial void HealthSourceFailed(ILogger logger, Exception exception);

    [LoggerMessage(60, LogLevel.Information, "Serving {Paths} on {Addresses}")]
    public static partial void ServingProbes(ILogger logger, string addresses, string paths);
}
