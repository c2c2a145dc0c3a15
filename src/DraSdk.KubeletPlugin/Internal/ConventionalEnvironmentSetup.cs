using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>Reads the environment variables every DRA driver of the ecosystem understands (as dra-example-driver does).</summary>
internal sealed class ConventionalEnvironmentSetup(IConfiguration? configuration = null) : IConfigureOptions<DraDriverOptions>
{
    public void Configure(DraDriverOptions options)
    {
        string? Get(string name) => configuration?[name] is { Length: > 0 } value ? value : null;

        options.DriverName = Get("DRIVER_NAME") ?? options.DriverName;
        options.NodeName = Get("NODE_NAME") ?? options.NodeName;
        options.KubeconfigPath = Get("KUBECONFIG") ?? options.KubeconfigPath;
        options.RegistrarDirectoryPath = Get("KUBELET_REGISTRAR_DIRECTORY_PATH") ?? options.RegistrarDirectoryPath;
        options.KubeletPluginsDirectoryPath = Get("KUBELET_PLUGINS_DIRECTORY_PATH") ?? options.KubeletPluginsDirectoryPath;
        options.CdiRoot = Get("CDI_ROOT") ?? options.CdiRoot;
        options.PodUid = Get("POD_UID") ?? options.PodUid;
    }
}
