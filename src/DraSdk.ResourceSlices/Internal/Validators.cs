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
internal sealed class ResourceSlicePublisherOptionsValidator : IValidateOptions<ResourceSlicePublisherOptions>
{
    public ValidateOptionsResult Validate(string? name, ResourceSlicePublisherOptions options)
    {
        var failures = new List<string>();
        if (options.InitialBackoff <= TimeSpan.Zero)
        {
            failures.Add($"ResourceSlicePublisherOptions.InitialBackoff must be positive (it is {options.InitialBackoff}).");
        }

        if (options.MaxBackoff < options.InitialBackoff)
        {
            failures.Add($"ResourceSlicePublisherOptions.MaxBackoff ({options.MaxBackoff}) must not be less than InitialBackoff ({options.InitialBackoff}).");
        }

        if (options.ResyncInterval <= TimeSpan.Zero && options.ResyncInterval != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"ResourceSlicePublisherOptions.ResyncInterval must be positive or Timeout.InfiniteTimeSpan (it is {options.ResyncInterval}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
