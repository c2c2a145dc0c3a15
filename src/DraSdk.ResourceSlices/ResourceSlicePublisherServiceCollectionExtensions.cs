using DraSdk.KubeletPlugin;
using DraSdk.ResourceSlices;
using DraSdk.ResourceSlices.Internal;
using k8s;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the ResourceSlice publishers to a DRA driver's host.</summary>
public static class ResourceSlicePublisherServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IResourceSlicePublisher"/>, a hosted service that publishes the driver's devices as
    /// ResourceSlices of its node, through the same host as the kubelet plugin. Requires
    /// <see cref="DraDriverOptions.NodeName"/> (<c>NODE_NAME</c>); the host fails to start without it. Safe to call more than once.
    /// </summary>
    /// <param name="builder">The driver builder returned by <c>AddDraDriver</c>.</param>
    /// <param name="configure">Tunes resync and retry; optional.</param>
    /// <returns>The builder.</returns>
    public static IDraDriverBuilder AddResourceSlicePublisher(this IDraDriverBuilder builder, Action<ResourceSlicePublisherOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;

        OptionsBuilder<ResourceSlicePublisherOptions> options = services.AddOptions<ResourceSlicePublisherOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ResourceSlicePublisherOptions>, ResourceSlicePublisherOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DraDriverOptions>, NodeNameRequiredValidator>());
        services.AddOptions<DraDriverOptions>().ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DriverErrorReporter>();
        services.TryAddSingleton<ResourceSlicePublisher>();
        services.TryAddSingleton<IResourceSlicePublisher>(sp => sp.GetRequiredService<ResourceSlicePublisher>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ResourceSlicePublisher>(sp => sp.GetRequiredService<ResourceSlicePublisher>()));

        // Not ready (never not live) while the API server refuses a pool for good.
        if (!services.Any(d => d.ServiceType == typeof(ResourceSlicesHealthCheck)))
        {
            services.AddSingleton<ResourceSlicesHealthCheck>();
            services.AddHealthChecks().AddCheck<ResourceSlicesHealthCheck>(ResourceSlicesHealthCheck.Name);
        }

        return builder;
    }

    /// <summary>
    /// Adds <see cref="NodeDevices"/>: the node's devices in one place, published as its ResourceSlice and reported on
    /// the kubelet's health stream from the same state. Adds the ResourceSlice publisher and a
    /// <see cref="DeviceHealthTracker"/> as the driver's health source too. Safe to call more than once.
    /// </summary>
    /// <param name="builder">The driver builder returned by <c>AddDraDriver</c> or <c>AddCdiDriver</c>.</param>
    /// <returns>The builder.</returns>
    public static IDraDriverBuilder AddNodeDevices(this IDraDriverBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(sp => new DeviceHealthTracker(sp.GetService<TimeProvider>()));
        builder.AddDeviceHealth<DeviceHealthTracker>().AddResourceSlicePublisher();
        builder.Services.TryAddSingleton<NodeDevices>();
        return builder;
    }

    /// <summary>
    /// Adds <see cref="INetworkResourceSlicePublisher"/>, a hosted service that publishes network-attached pools from a
    /// cluster-level controller (usually a Deployment), with leader election through a coordination.k8s.io/v1 Lease.
    /// Works without a kubelet plugin: the driver name then comes from <paramref name="configure"/>, and the Kubernetes
    /// client from the container or, if there is none, from the default configuration (kubeconfig or in-cluster).
    /// Safe to call more than once.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the driver name, the owner, leader election and tuning.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddNetworkResourceSlicePublisher(this IServiceCollection services, Action<NetworkResourceSlicePublisherOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<NetworkResourceSlicePublisherOptions> options = services.AddOptions<NetworkResourceSlicePublisherOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        // The driver name defaults to the DRA driver's, when the host has one.
        options.PostConfigure<IOptions<DraDriverOptions>>((o, driver) =>
        {
            if (string.IsNullOrEmpty(o.DriverName) && !string.IsNullOrEmpty(driver.Value.DriverName))
            {
                o.DriverName = driver.Value.DriverName;
            }
        });
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NetworkResourceSlicePublisherOptions>, ResourceSlicePublisherOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DriverErrorReporter>();
        services.TryAddSingleton<IKubernetes>(_ => new Kubernetes(KubernetesClientConfiguration.BuildDefaultConfig()));
        services.TryAddSingleton<NetworkResourceSlicePublisher>();
        services.TryAddSingleton<INetworkResourceSlicePublisher>(sp => sp.GetRequiredService<NetworkResourceSlicePublisher>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, NetworkResourceSlicePublisher>(sp => sp.GetRequiredService<NetworkResourceSlicePublisher>()));
        return services;
    }
}
