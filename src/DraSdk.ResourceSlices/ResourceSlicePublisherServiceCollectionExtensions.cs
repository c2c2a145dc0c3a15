using DraSdk.KubeletPlugin;
using DraSdk.ResourceSlices;
using DraSdk.ResourceSlices.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the ResourceSlice publisher to a DRA driver.</summary>
public static class ResourceSlicePublisherServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IResourceSlicePublisher"/>, a hosted service that publishes the driver's devices as
    /// ResourceSlices of its node. Requires <see cref="DraDriverOptions.NodeName"/> (<c>NODE_NAME</c>); the host fails
    /// to start without it. Safe to call more than once.
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
        return builder;
    }
}
