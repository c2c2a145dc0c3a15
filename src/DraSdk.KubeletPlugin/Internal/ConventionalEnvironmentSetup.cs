using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>Reads the environment variables every DRA driver of the ecosystem understands (as dra-example-driver does), as <see cref="DraDriverSettings"/> declares them.</summary>
internal sealed class ConventionalEnvironmentSetup(IConfiguration? configuration = null) : IConfigureOptions<DraDriverOptions>
{
    public void Configure(DraDriverOptions options)
    {
        T Get<T>(DriverSetting<T> setting, T current) => setting.RawValue(configuration) is null ? current : setting.Read(configuration);

        options.DriverName = Get(DraDriverSettings.DriverName, options.DriverName) ?? options.DriverName;
        options.NodeName = Get(DraDriverSettings.NodeName, options.NodeName);
        options.KubeconfigPath = Get(DraDriverSettings.Kubeconfig, options.KubeconfigPath);
        options.RegistrarDirectoryPath = Get(DraDriverSettings.RegistrarDirectory, options.RegistrarDirectoryPath) ?? options.RegistrarDirectoryPath;
        options.KubeletPluginsDirectoryPath = Get(DraDriverSettings.PluginsDirectory, options.KubeletPluginsDirectoryPath) ?? options.KubeletPluginsDirectoryPath;
        options.CdiRoot = Get(DraDriverSettings.CdiRoot, options.CdiRoot) ?? options.CdiRoot;
        options.PodUid = Get(DraDriverSettings.PodUid, options.PodUid);
        options.HealthPort = Get(DraDriverSettings.HealthPort, options.HealthPort);
        options.MetricsPort = Get(DraDriverSettings.MetricsPort, options.MetricsPort);
        options.HttpBindAddress = Get(DraDriverSettings.HttpBindAddress, options.HttpBindAddress);
    }
}
