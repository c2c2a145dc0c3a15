using Microsoft.Extensions.Logging;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>
/// Warns while the kubelet has not registered the driver: first <see cref="DraDriverOptions.RegistrationWarningDelay"/>
/// after serving began (or after the kubelet refused it), again after the same delay, then at doubling intervals up to
/// <see cref="MaxInterval"/>; each warning says what the kubelet did so far. Says once when registration comes after a warning.
/// </summary>
internal sealed class RegistrationMonitor(
    KubeletRegistration registration,
    DraDriverOptions options,
    string registrationSocketPath,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>The longest interval between two warnings.</summary>
    internal static readonly TimeSpan MaxInterval = TimeSpan.FromMinutes(10);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        TimeSpan delay = options.RegistrationWarningDelay;
        if (delay == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        try
        {
            long waitingSince = time.GetTimestamp();
            while (true)
            {
                while (registration.IsRegistered)
                {
                    await registration.WaitForStateChangeAsync(cancellationToken).ConfigureAwait(false);
                    waitingSince = time.GetTimestamp();
                }

                TimeSpan next = delay;
                TimeSpan interval = delay;
                bool warned = false;
                while (!registration.IsRegistered)
                {
                    TimeSpan elapsed = time.GetElapsedTime(waitingSince);
                    if (elapsed >= next)
                    {
                        Log.NotRegistered(logger, options.DriverName, elapsed.TotalSeconds, registrationSocketPath, Reason(registration.Status));
                        warned = true;
                        next += interval;
                        interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, MaxInterval.Ticks));
                        continue;
                    }

                    try
                    {
                        await registration.WaitForStateChangeAsync(cancellationToken).WaitAsync(next - elapsed, time, cancellationToken).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                    }
                }

                if (warned)
                {
                    Log.RegisteredLate(logger, options.DriverName, time.GetElapsedTime(waitingSince).TotalSeconds);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>What the kubelet did so far, and where to look.</summary>
    private string Reason(KubeletRegistrationStatus status) => status switch
    {
        { State: KubeletRegistrationState.Refused } =>
            $"the kubelet refused it at {status.LastReport:O}: {QuietFrameworkLoggerFactory.Sanitize(status.LastError ?? string.Empty)}",
        { LastGetInfo: null } =>
            $"the kubelet has not called it; check that the kubelet runs and that {options.RegistrarDirectoryPath} is the kubelet's plugins_registry directory, mounted from the host (under the kubelet's --root-dir)",
        _ =>
            $"the kubelet last asked for its plugin info at {status.LastGetInfo:O} but reported no registration status; the kubelet's log says why (search it for \"RegisterPlugin error\")",
    };
}
