using DraSdk.KubeletPlugin;
using Microsoft.Extensions.Options;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>The publisher needs the node name; checked at host start.</summary>
internal sealed class NodeNameRequiredValidator : IValidateOptions<DraDriverOptions>
{
    internal const string Message =
        "NodeName is required to publish ResourceSlices: set the NODE_NAME environment variable (usually from the downward API, " +
        "fieldRef spec.nodeName), the DraDriver:NodeName setting, or NodeName in AddDraDriver.";

    public ValidateOptionsResult Validate(string? name, DraDriverOptions options) =>
        string.IsNullOrEmpty(options.NodeName) ? ValidateOptionsResult.Fail(Message) : ValidateOptionsResult.Success;
}

/// <summary>Checks the publisher's own options.</summary>
internal sealed class ResourceSlicePublisherOptionsValidator : IValidateOptions<ResourceSlicePublisherOptions>, IValidateOptions<NetworkResourceSlicePublisherOptions>
{
    public ValidateOptionsResult Validate(string? name, ResourceSlicePublisherOptions options)
    {
        List<string> failures = Check(options, nameof(ResourceSlicePublisherOptions));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, NetworkResourceSlicePublisherOptions options)
    {
        const string Type = nameof(NetworkResourceSlicePublisherOptions);
        List<string> failures = Check(options, Type);
        if (string.IsNullOrEmpty(options.DriverName))
        {
            failures.Add($"{Type}.DriverName is required (or DriverName in AddDraDriver / DRIVER_NAME).");
        }
        else if (options.DriverName.Length > ResourceValidation.MaxDriverNameLength || !ResourceValidation.DnsSubdomain().IsMatch(options.DriverName))
        {
            failures.Add($"{Type}.DriverName '{options.DriverName}' must be a DNS subdomain of at most 63 characters.");
        }

        if (options.Owner is { } owner && (string.IsNullOrEmpty(owner.ApiVersion) || string.IsNullOrEmpty(owner.Kind) || string.IsNullOrEmpty(owner.Name) || string.IsNullOrEmpty(owner.Uid)))
        {
            failures.Add($"{Type}.Owner needs ApiVersion, Kind, Name and Uid.");
        }

        if (options.LeaderElection)
        {
            if (options.RetryPeriod <= TimeSpan.Zero || options.RenewDeadline <= options.RetryPeriod || options.LeaseDuration <= options.RenewDeadline)
            {
                failures.Add($"{Type}: leader election needs 0 < RetryPeriod ({options.RetryPeriod}) < RenewDeadline ({options.RenewDeadline}) < LeaseDuration ({options.LeaseDuration}).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static List<string> Check(ResourceSlicePublisherOptions options, string type)
    {
        var failures = new List<string>();
        if (options.InitialBackoff <= TimeSpan.Zero)
        {
            failures.Add($"{type}.InitialBackoff must be positive (it is {options.InitialBackoff}).");
        }

        if (options.MaxBackoff < options.InitialBackoff)
        {
            failures.Add($"{type}.MaxBackoff ({options.MaxBackoff}) must not be less than InitialBackoff ({options.InitialBackoff}).");
        }

        if (options.ResyncInterval <= TimeSpan.Zero && options.ResyncInterval != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{type}.ResyncInterval must be positive or Timeout.InfiniteTimeSpan (it is {options.ResyncInterval}).");
        }

        if (options.PermanentErrorRetryInterval <= TimeSpan.Zero)
        {
            failures.Add($"{type}.PermanentErrorRetryInterval must be positive (it is {options.PermanentErrorRetryInterval}).");
        }

        if (options.SyncDelay < TimeSpan.Zero)
        {
            failures.Add($"{type}.SyncDelay must not be negative (it is {options.SyncDelay}).");
        }

        if (options.RetryQueriesPerSecond <= 0 || options.RetryBurst < 1)
        {
            failures.Add($"{type}.RetryQueriesPerSecond must be positive and RetryBurst at least 1.");
        }

        return failures;
    }
}
