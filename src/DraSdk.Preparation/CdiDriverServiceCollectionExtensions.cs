using System.Diagnostics.CodeAnalysis;
using DraSdk.Cdi;
using DraSdk.Checkpoint;
using DraSdk.KubeletPlugin;
using DraSdk.Preparation;
using DraSdk.Preparation.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds a DRA driver whose prepare pipeline the SDK owns.</summary>
public static class CdiDriverServiceCollectionExtensions
{
    /// <summary>
    /// Adds a DRA driver made of <typeparamref name="TDriver"/>'s plan and the SDK's prepare pipeline: the kubelet plugin
    /// of <c>AddDraDriver</c>, with CDI specs in <c>CdiRoot</c>, the crash-safe checkpoint in the plugin data directory,
    /// repeated prepares answered alike, device exclusivity, unprepare, and recovery from kills and reboots before the
    /// kubelet can call.
    /// </summary>
    /// <typeparam name="TDriver">
    /// The driver's plan (a singleton); it may also implement <see cref="IClaimSideEffects"/>, <see cref="IDeviceHealthSource"/>
    /// and <see cref="IDraDriverStartup"/> (run before the pipeline's recovery, e.g. device discovery).
    /// </typeparam>
    /// <param name="services">The host's services.</param>
    /// <param name="kind">The CDI kind of the claims' devices, <c>vendor/class</c>, e.g. <c>k8s.gpu.example.com/gpu</c>.</param>
    /// <param name="configure">Sets the driver's options, as in <c>AddDraDriver</c>.</param>
    /// <param name="configureCdi">Sets the CDI version floor or cap.</param>
    /// <returns>The driver builder, for <c>AddResourceSlicePublisher()</c> and the rest.</returns>
    public static IDraDriverBuilder AddCdiDriver<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TDriver>(
        this IServiceCollection services,
        string kind,
        Action<DraDriverOptions>? configure = null,
        Action<CdiDriverOptions>? configureCdi = null)
        where TDriver : class, ICdiDriver
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<CdiDriverOptions> options = services.AddOptions<CdiDriverOptions>().Configure(o => o.Kind = kind);
        if (configureCdi is not null)
        {
            options.Configure(configureCdi);
        }

        options.Validate(o => CdiKind.TryParse(o.Kind, out _), $"CdiDriverOptions.Kind '{kind}' is not a CDI kind (vendor/class, e.g. k8s.gpu.example.com/gpu).");
        options.Validate(o => o.MinimumVersion is null || o.MaximumVersion is null || o.MinimumVersion <= o.MaximumVersion, "CdiDriverOptions.MinimumVersion is above MaximumVersion.");
        options.Validate(
            o => !o.DeviceMetadata || (o.DeviceMetadataApiVersions.Count > 0 && o.DeviceMetadataApiVersions.All(v => DraSdk.DeviceMetadata.DeviceMetadataVersions.Supported.Contains(v, StringComparer.Ordinal))),
            $"CdiDriverOptions.DeviceMetadataApiVersions must name at least one of {string.Join(", ", DraSdk.DeviceMetadata.DeviceMetadataVersions.Supported)}.");
        options.Validate(o => o.DeviceMetadataMaxBytes > 0, "CdiDriverOptions.DeviceMetadataMaxBytes must be positive.");
        options.ValidateOnStart();

        // The checkpoint in the plugin data directory, unless the host set another; a service, for drivers that read it.
        services.AddOptions<PreparedClaimStoreOptions>().PostConfigure<IOptions<DraDriverOptions>>((o, dra) =>
        {
            if (string.IsNullOrEmpty(o.CheckpointDirectory))
            {
                o.CheckpointDirectory = dra.Value.EffectivePluginDataDirectoryPath;
            }
        });
        services.TryAddSingleton(sp => new PreparedClaimStore(
            sp.GetRequiredService<IOptions<PreparedClaimStoreOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<PreparedClaimStore>()));
        services.TryAddSingleton(sp =>
        {
            CdiDriverOptions cdi = sp.GetRequiredService<IOptions<CdiDriverOptions>>().Value;
            DraDriverOptions dra = sp.GetRequiredService<IOptions<DraDriverOptions>>().Value;
            return new DeviceMetadataUpdater(cdi.DeviceMetadata
                ? new DeviceMetadataFiles(dra.DriverName, dra.EffectivePluginDataDirectoryPath, dra.CdiRoot, cdi.DeviceMetadataApiVersions, cdi.DeviceMetadataMaxBytes)
                : null);
        });
        services.TryAddSingleton<TDriver>();
        if (typeof(IDeviceHealthSource).IsAssignableFrom(typeof(TDriver)))
        {
            services.TryAddSingleton<IDeviceHealthSource>(sp => (IDeviceHealthSource)sp.GetRequiredService<TDriver>());
        }

        // The driver's own start-up work (discovery) runs first, then the pipeline's recovery.
        if (typeof(IDraDriverStartup).IsAssignableFrom(typeof(TDriver)))
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IDraDriverStartup, DriverStartup<TDriver>>());
        }

        return services.AddDraDriver<PreparationPipeline<TDriver>>(configure);
    }

    /// <summary>The driver singleton as its own start-up step.</summary>
    private sealed class DriverStartup<TDriver>(TDriver driver) : IDraDriverStartup
        where TDriver : class, ICdiDriver
    {
        public Task StartAsync(CancellationToken cancellationToken) => ((IDraDriverStartup)driver).StartAsync(cancellationToken);
    }
}
