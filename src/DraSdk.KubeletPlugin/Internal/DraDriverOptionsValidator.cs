using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace DraSdk.KubeletPlugin.Internal;

internal sealed partial class DraDriverOptionsValidator : IValidateOptions<DraDriverOptions>
{
    public ValidateOptionsResult Validate(string? name, DraDriverOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrEmpty(options.DriverName))
        {
            failures.Add("DriverName is required (set it in AddDraDriver, the DraDriver:DriverName setting or DRIVER_NAME).");
        }
        else if (ValidateDnsSubdomain(options.DriverName) is { } problem)
        {
            failures.Add($"DriverName '{options.DriverName}' is not a DNS subdomain: {problem}.");
        }
        else if (options.DriverName.Length > 63)
        {
            failures.Add($"DriverName '{options.DriverName}' is {options.DriverName.Length} characters long; the API server allows at most 63 (ResourceSlice spec.driver, DeviceClass and claim references).");
        }

        foreach ((string label, string? path) in new[]
        {
            (nameof(options.RegistrarDirectoryPath), (string?)options.RegistrarDirectoryPath),
            (nameof(options.KubeletPluginsDirectoryPath), options.KubeletPluginsDirectoryPath),
            (nameof(options.PluginDataDirectoryPath), options.PluginDataDirectoryPath),
            (nameof(options.LockDirectoryPath), options.LockDirectoryPath),
        })
        {
            if (path is not null && !Path.IsPathRooted(path))
            {
                failures.Add($"{label} '{path}' must be an absolute path.");
            }
        }

        if (!options.ServeV1 && !options.ServeV1Beta1)
        {
            failures.Add("At least one of ServeV1 and ServeV1Beta1 must be enabled.");
        }

        if (options.RegistrationWarningDelay <= TimeSpan.Zero && options.RegistrationWarningDelay != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"RegistrationWarningDelay must be positive or Timeout.InfiniteTimeSpan (it is {options.RegistrationWarningDelay}).");
        }

        if (options.PodUid is { Length: > 0 } uid && !PodUidPattern().IsMatch(uid))
        {
            failures.Add($"PodUid '{uid}' is not a pod UID (letters, digits and '-').");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Checks a DNS-1123 subdomain: at most 253 characters of lowercase alphanumerics, '-' and '.', each label starting and ending alphanumeric.</summary>
    internal static string? ValidateDnsSubdomain(string value)
    {
        if (value.Length > 253)
        {
            return $"must be no more than 253 characters (it has {value.Length})";
        }

        return DnsSubdomainPattern().IsMatch(value)
            ? null
            : "must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomainPattern();

    [GeneratedRegex("^[A-Za-z0-9-]{1,64}$")]
    private static partial Regex PodUidPattern();
}
