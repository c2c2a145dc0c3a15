using Microsoft.Extensions.Logging;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>
/// The driver's logger factory as the plugin's two internal web servers see it: ASP.NET Core's per-request and hosting
/// messages (categories <c>Microsoft.AspNetCore.*</c>, <c>Microsoft.Hosting.Lifetime</c>) are kept to warnings and
/// errors, because every kubelet call is already logged once by the plugin itself, with its request id.
/// </summary>
internal sealed class QuietFrameworkLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    private static readonly string[] QuietPrefixes = ["Microsoft.AspNetCore", "Microsoft.Hosting.Lifetime"];

    public ILogger CreateLogger(string categoryName)
    {
        ILogger logger = inner.CreateLogger(categoryName);
        return QuietPrefixes.Any(p => categoryName.StartsWith(p, StringComparison.Ordinal)) ? new WarningsOnly(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <summary>The driver's host owns the inner factory.</summary>
    public void Dispose()
    {
    }

    private sealed class WarningsOnly(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
