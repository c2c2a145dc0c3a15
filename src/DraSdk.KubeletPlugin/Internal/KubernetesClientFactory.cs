using k8s;

namespace DraSdk.KubeletPlugin.Internal;

internal static class KubernetesClientFactory
{
    public static IKubernetes Create(DraDriverOptions options)
    {
        KubernetesClientConfiguration config;
        if (!string.IsNullOrEmpty(options.KubeconfigPath))
        {
            config = KubernetesClientConfiguration.BuildConfigFromConfigFile(options.KubeconfigPath);
        }
        else if (KubernetesClientConfiguration.IsInCluster())
        {
            config = KubernetesClientConfiguration.InClusterConfig();
        }
        else
        {
            throw new InvalidOperationException(
                "No Kubernetes API server configured: set KUBECONFIG (or DraDriver:KubeconfigPath), run in a pod with a service account, or register an IKubernetes before AddDraDriver.");
        }

        return new Kubernetes(config);
    }
}
