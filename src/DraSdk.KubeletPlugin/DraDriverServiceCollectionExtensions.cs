using DraSdk.KubeletPlugin;
using DraSdk.KubeletPlugin.Internal;
using k8s;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds a DRA driver's kubelet plugin to the generic host.</summary>
public static class DraDriverServiceCollectionExtensions
{
    /// <summary>
    /// Adds a DRA driver: its kubelet plugin (registration and DRA sockets, claim fetching, serialization,
    /// health stream when the driver offers one) runs as a hosted service of the host.
    /// </summary>
    /// <typeparam name="TDriver">The driver; a singleton. If it also implements <see cref="IDeviceHealthSource"/>, its health is streamed to the kubelet.</typeparam>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets options; applied after the environment variables and the <c>DraDriver</c> configuration section.</param>
    /// <returns>A builder for further driver features.</returns>
    public static IDraDriverBuilder AddDraDriver<TDriver>(this IServiceCollection services, Action<DraDriverOptions>? configure = null)
        where TDriver : class, IDraDriver
    {
        ArgumentNullException.ThrowIfNull(services);

        OptionsBuilder<DraDriverOptions> options = services.AddOptions<DraDriverOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<DraDriverOptions>, ConventionalEnvironmentSetup>());
        options.BindConfiguration(DraDriverOptions.SectionName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DraDriverOptions>, DraDriverOptionsValidator>());
        options.ValidateOnStart();

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new KubeletRegistration(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<DriverErrorReporter>();
        services.TryAddSingleton<IKubernetes>(sp => KubernetesClientFactory.Create(sp.GetRequiredService<IOptions<DraDriverOptions>>().Value));

        services.TryAddSingleton<TDriver>();
        services.TryAddSingleton<IDraDriver>(sp => sp.GetRequiredService<TDriver>());
        if (typeof(IDraDriverStartup).IsAssignableFrom(typeof(TDriver)))
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IDraDriverStartup, DriverStartupAdapter<TDriver>>());
        }

        if (typeof(IDeviceHealthSource).IsAssignableFrom(typeof(TDriver)))
        {
            services.TryAddSingleton<IDeviceHealthSource>(sp => (IDeviceHealthSource)sp.GetRequiredService<TDriver>());
        }

        services.TryAddSingleton<KubeletPluginMetrics>();
        services.TryAddSingleton<ClaimFetcher>();
        services.TryAddSingleton<CallSerializer>();
        services.TryAddSingleton<NodeRequestHandler>();
        services.AddHostedService<KubeletPluginServer>();

        // Probes (HEALTH_PORT) and metrics (METRICS_PORT): each served only when its port is set.
        services.TryAddSingleton<PluginServingState>();
        if (!services.Any(d => d.ServiceType == typeof(KubeletSocketsHealthCheck)))
        {
            services.AddSingleton<KubeletSocketsHealthCheck>();
            services.AddSingleton<KubeletRegistrationHealthCheck>();
            services.AddHealthChecks()
                .AddCheck<KubeletSocketsHealthCheck>(KubeletSocketsHealthCheck.Name, tags: [HttpEndpointsServer.LiveTag])
                .AddCheck<KubeletRegistrationHealthCheck>(KubeletRegistrationHealthCheck.Name);
            services.AddHostedService<HttpEndpointsServer>();
        }

        return new DraDriverBuilder(services);
    }

    /// <summary>Streams device health to the kubelet from <typeparamref name="THealthSource"/> (a singleton).</summary>
    /// <typeparam name="THealthSource">The health source.</typeparam>
    /// <param name="builder">The driver builder.</param>
    /// <returns>The builder.</returns>
    public static IDraDriverBuilder AddDeviceHealth<THealthSource>(this IDraDriverBuilder builder)
        where THealthSource : class, IDeviceHealthSource
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<THealthSource>();
        builder.Services.Replace(ServiceDescriptor.Singleton<IDeviceHealthSource>(sp => sp.GetRequiredService<THealthSource>()));
        return builder;
    }

    /// <summary>
    /// Reports per-device status on ResourceClaims (<c>status.devices</c>): the <see cref="PreparedDevice.Status"/> of
    /// prepared devices after each prepare is answered, whatever the driver reports through <see cref="IClaimDeviceStatus"/>
    /// (injectable), and the removal of the driver's entries at unprepare. Written with server-side apply under the
    /// driver's own field manager, in the background, retried with backoff. Needs <c>patch</c> on
    /// <c>resourceclaims/status</c> in the driver's RBAC.
    /// </summary>
    /// <param name="builder">The driver builder.</param>
    /// <param name="configure">Sets the field manager and retry delays.</param>
    /// <returns>The builder.</returns>
    public static IDraDriverBuilder AddClaimDeviceStatus(this IDraDriverBuilder builder, Action<ClaimDeviceStatusOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        OptionsBuilder<ClaimDeviceStatusOptions> options = builder.Services.AddOptions<ClaimDeviceStatusOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (!builder.Services.Any(d => d.ServiceType == typeof(ClaimStatusReporter)))
        {
            builder.Services.AddSingleton<ClaimStatusReporter>();
            builder.Services.AddSingleton<IClaimDeviceStatus>(sp => sp.GetRequiredService<ClaimStatusReporter>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<ClaimStatusReporter>());
        }

        return builder;
    }

    /// <summary>Lets the driver singleton serve as its own startup step without a second instance.</summary>
    private sealed class DriverStartupAdapter<TDriver>(TDriver driver) : IDraDriverStartup
        where TDriver : class, IDraDriver
    {
        public Task StartAsync(CancellationToken cancellationToken) => ((IDraDriverStartup)driver).StartAsync(cancellationToken);
    }

    private sealed class DraDriverBuilder(IServiceCollection services) : IDraDriverBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
