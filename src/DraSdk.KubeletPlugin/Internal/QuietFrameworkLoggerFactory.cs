using System.Text;
using Microsoft.Extensions.Logging;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>
/// The driver's logger factory as one of the plugin's two internal web servers sees it. ASP.NET Core's per-request and
/// hosting messages (categories <c>Microsoft.AspNetCore.*</c>, <c>Microsoft.Hosting.Lifetime</c>) are kept to warnings
/// and errors, because every kubelet call is already logged once by the plugin itself, with its request id. Kestrel's
/// own reports of a call that failed at the HTTP/2 level (a bad preface, a stream it reset, a header it refused), which it
/// logs at Debug, become one short warning line each, at most one per <see cref="FailureInterval"/> and socket, with a
/// count of those left out: a kubelet that cannot call the driver is then visible in the driver's log.
/// </summary>
internal sealed class QuietFrameworkLoggerFactory : ILoggerFactory
{
    /// <summary>At most one HTTP/2 failure line per socket in this interval.</summary>
    internal static readonly TimeSpan FailureInterval = TimeSpan.FromSeconds(10);

    private const int MaxReasonLength = 300;

    private const string KestrelPrefix = "Microsoft.AspNetCore.Server.Kestrel";

    private static readonly string[] QuietPrefixes = ["Microsoft.AspNetCore", "Microsoft.Hosting.Lifetime"];

    /// <summary>Kestrel's events (by name) that report a connection or stream ended by an HTTP/2-level error.</summary>
    private static readonly HashSet<string> FailureEvents = new(StringComparer.Ordinal)
    {
        "Http2ConnectionError",
        "Http2StreamError",
        "Http2StreamResetAbort",
        "HPackDecodingError",
        "HPackEncodingError",
        "PossibleInvalidHttpVersionDetected",
        "ConnectionBadRequest",
        "RequestProcessingError",
        "Http2TooManyEnhanceYourCalms",
        "Http2FlowControlQueueOperationsExceeded",
    };

    private readonly ILoggerFactory _inner;
    private readonly ILogger _failures;
    private readonly string _socket;
    private readonly string _socketPath;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private long _lastFailure = long.MinValue;
    private int _suppressed;

    public QuietFrameworkLoggerFactory(ILoggerFactory inner, string socket, string socketPath, TimeProvider time)
    {
        _inner = inner;
        _socket = socket;
        _socketPath = socketPath;
        _time = time;
        _failures = inner.CreateLogger<KubeletPluginServer>();
    }

    public ILogger CreateLogger(string categoryName)
    {
        ILogger logger = _inner.CreateLogger(categoryName);
        if (!QuietPrefixes.Any(p => categoryName.StartsWith(p, StringComparison.Ordinal)))
        {
            return logger;
        }

        // Only Kestrel's categories are read below warning level, for its HTTP/2 failure events.
        return new WarningsOnly(logger, categoryName.StartsWith(KestrelPrefix, StringComparison.Ordinal) ? this : null);
    }

    public void AddProvider(ILoggerProvider provider) => _inner.AddProvider(provider);

    /// <summary>The driver's host owns the inner factory.</summary>
    public void Dispose()
    {
    }

    /// <summary>Text from a client made safe for one log line: control characters escaped, length bounded.</summary>
    internal static string Sanitize(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, MaxReasonLength) + 8);
        foreach (char c in text)
        {
            if (builder.Length >= MaxReasonLength)
            {
                builder.Append('…');
                break;
            }

            if (char.IsControl(c))
            {
                builder.Append(@"\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private void ReportFailure(string message, Exception? exception)
    {
        // Kestrel's messages start with the connection or trace id; the reason is what follows, and the exception's message.
        int idEnd = message.IndexOf("\": ", StringComparison.Ordinal);
        string reason = idEnd >= 0 && (message.StartsWith("Connection id", StringComparison.Ordinal) || message.StartsWith("Trace id", StringComparison.Ordinal))
            ? message[(idEnd + 3)..]
            : message;
        if (exception is not null && !reason.Contains(exception.Message, StringComparison.Ordinal))
        {
            // "HTTP/2 connection error." with "HTTP/2 connection error (PROTOCOL_ERROR): …" says it once.
            string generic = reason.TrimEnd('.');
            reason = exception.Message.StartsWith(generic, StringComparison.Ordinal) ? exception.Message : generic + ": " + exception.Message;
        }

        int suppressed;
        lock (_gate)
        {
            long now = _time.GetTimestamp();
            if (_lastFailure != long.MinValue && _time.GetElapsedTime(_lastFailure, now) < FailureInterval)
            {
                _suppressed++;
                return;
            }

            _lastFailure = now;
            suppressed = _suppressed;
            _suppressed = 0;
        }

        Log.Http2Failure(
            _failures,
            _socket,
            _socketPath,
            Sanitize(reason),
            suppressed == 0 ? string.Empty : $" ({suppressed} more in the last {FailureInterval.TotalSeconds:F0} s not shown)");
    }

    /// <summary>Passes warnings and errors on; below that, only reads Kestrel's failure events (when <paramref name="failures"/> is set).</summary>
    private sealed class WarningsOnly(ILogger inner, QuietFrameworkLoggerFactory? failures) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= LogLevel.Warning ? inner.IsEnabled(logLevel) : failures is not null && logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Warning)
            {
                if (failures is not null && eventId.Name is { } name && FailureEvents.Contains(name))
                {
                    failures.ReportFailure(formatter(state, exception), exception);
                }

                return;
            }

            if (inner.IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
