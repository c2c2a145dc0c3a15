using System.Globalization;
using DraSdk.KubeletPlugin.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DraSdk.KubeletPlugin;

/// <summary>
/// Where background work of a driver reports errors. A recoverable error is logged and the caller retries;
/// a fatal one is logged as critical and stops the host with a non-zero exit code, so Kubernetes restarts the pod.
/// </summary>
public sealed class DriverErrorReporter
{
    private readonly ILogger<DriverErrorReporter> _logger;
    private readonly IHostApplicationLifetime _lifetime;
    private int _recoverableCount;

    /// <summary>Creates the reporter.</summary>
    /// <param name="logger">Where errors are logged.</param>
    /// <param name="lifetime">The host, stopped on a fatal error.</param>
    public DriverErrorReporter(ILogger<DriverErrorReporter> logger, IHostApplicationLifetime lifetime)
    {
        _logger = logger;
        _lifetime = lifetime;
    }

    /// <summary>How many recoverable errors were reported.</summary>
    public int RecoverableCount => Volatile.Read(ref _recoverableCount);

    /// <summary>The first fatal error, if any.</summary>
    public Exception? FatalError { get; private set; }

    /// <summary>Reports an error the caller recovers from (it retries).</summary>
    /// <param name="error">The error.</param>
    /// <param name="context">What was being done, e.g. "publishing ResourceSlices".</param>
    public void ReportRecoverable(Exception error, string context)
    {
        Interlocked.Increment(ref _recoverableCount);

        // One line per retry; the stack trace only at Debug.
        Log.RecoverableError(_logger, context, error.Message);
        Log.RecoverableErrorDetail(_logger, error, context);
    }

    /// <summary>
    /// Reports an error the caller retries after <paramref name="retryDelay"/>: one line with what failed, the attempt
    /// and when the next one comes; the stack trace only at Debug.
    /// </summary>
    /// <param name="error">The error.</param>
    /// <param name="context">What was being done, e.g. "publishing ResourceSlices".</param>
    /// <param name="attempt">How many times in a row this has failed, counting this one (1 for the first failure).</param>
    /// <param name="retryDelay">How long the caller waits before it tries again.</param>
    public void ReportRecoverable(Exception error, string context, int attempt, TimeSpan retryDelay)
    {
        ArgumentNullException.ThrowIfNull(error);
        Interlocked.Increment(ref _recoverableCount);
        Log.RetriedError(_logger, context, attempt, FormatDelay(retryDelay), error.Message);
        Log.RecoverableErrorDetail(_logger, error, context);
    }

    /// <summary>Reports an error the driver cannot continue after: logs it and stops the host with exit code 1.</summary>
    /// <param name="error">The error.</param>
    /// <param name="context">What was being done, e.g. "serving the DRA socket".</param>
    public void ReportFatal(Exception error, string context)
    {
        FatalError ??= error;
        Log.FatalError(_logger, error, context, error.Message);
        Environment.ExitCode = 1;
        _lifetime.StopApplication();
    }

    // "250 ms", "5 s", "2 min": what a person reads in a log line.
    private static string FormatDelay(TimeSpan delay) => delay switch
    {
        { TotalSeconds: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{delay.TotalMilliseconds:0} ms"),
        { TotalMinutes: < 2 } => string.Create(CultureInfo.InvariantCulture, $"{delay.TotalSeconds:0.#} s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{delay.TotalMinutes:0.#} min"),
    };
}
