using k8s;
using k8s.Exceptions;

namespace DraSdk.KubeletPlugin.Internal;

internal static class KubernetesClientFactory
{
    public static IKubernetes Create(DraDriverOptions options)
    {
        KubernetesClientConfiguration config;
        if (!string.IsNullOrEmpty(options.KubeconfigPath))
        {
            try
            {
                config = KubernetesClientConfiguration.BuildConfigFromConfigFile(options.KubeconfigPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or KubeConfigException or FormatException or ArgumentException or YamlDotNet.Core.YamlException)
            {
                throw new DriverConfigurationException("KUBECONFIG",
                    $"KUBECONFIG '{options.KubeconfigPath}' cannot be used: {ex.Message.TrimEnd('.')}. Point KUBECONFIG at a readable kubeconfig file, or unset it to use the pod's service account.", ex);
            }
        }
        else if (KubernetesClientConfiguration.IsInCluster())
        {
            try
            {
                config = KubernetesClientConfiguration.InClusterConfig();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or KubeConfigException)
            {
                throw new DriverConfigurationException("KUBECONFIG", $"The pod's service account cannot be used: {ex.Message.TrimEnd('.')}. Set KUBECONFIG, or give the pod a service account token.", ex);
            }
        }
        else
        {
            throw new DriverConfigurationException("KUBECONFIG",
                "No Kubernetes API server configured: set KUBECONFIG (or DraDriver:KubeconfigPath), run in a pod with a service account, or register an IKubernetes before AddDraDriver.");
        }

        return new Kubernetes(config);
    }
}
