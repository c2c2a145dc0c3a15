using DraSdk.KubeletPlugin;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NvidiaGpuDriver.Discovery;
using NvidiaGpuDriver.Driver;
using NvidiaGpuDriver.Health;
using NvidiaGpuDriver.Nvml;

namespace NvidiaGpuDriver;

/// <summary>How the NVIDIA driver is composed on the generic host; the same for the DaemonSet, the tests and the demo.</summary>
internal static class NvidiaDriverHosting
{
    public static IHostApplicationBuilder AddNvidiaGpuDriver(this IHostApplicationBuilder builder)
    {
        IConfiguration config = builder.Configuration;
        IServiceCollection services = builder.Services;
        services.AddOptions<NvidiaDriverOptions>()
            .Configure(o => o.Bind(config))
            .Validate(o => o.Validate() is null, "invalid NVIDIA driver settings")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => CreateSource(sp.GetRequiredService<IOptions<NvidiaDriverOptions>>().Value, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<TaintState>();
        services.AddSingleton<DeviceInventory>();
        services.AddSingleton<ContainerEditsBuilder>();
        services.TryAddSingleton<IGpuControl>(sp => sp.GetRequiredService<IOptions<NvidiaDriverOptions>>().Value is { IsReplay: false } o
            ? new NvidiaSmiGpuControl(o.EffectiveContainerDriverRoot, sp.GetRequiredService<ILogger<NvidiaSmiGpuControl>>())
            : new RecordingGpuControl(sp.GetRequiredService<ILogger<RecordingGpuControl>>()));
        services.AddSingleton<DeviceHealthTracker>();

        // Device metadata (KEP-5304) unless DEVICE_METADATA=false.
        bool deviceMetadata = NvidiaDriverOptions.DeviceMetadataSetting.Read(config);
        services.AddCdiDriver<NvidiaDriver>(NvidiaDriverOptions.CdiKind, o => o.DriverName = NvidiaDriverOptions.DriverName, c => c.DeviceMetadata = deviceMetadata)
            .AddDeviceHealth<DeviceHealthTracker>()
            .AddResourceSlicePublisher()
            .AddClaimDeviceStatus();
        services.AddHostedService<DevicePublisher>();
        return builder;
    }

    /// <summary>The device source DEVICE_SOURCE names.</summary>
    public static IGpuDeviceSource CreateSource(NvidiaDriverOptions options, ILoggerFactory loggers) =>
        options.ReplayPath is { } path
            ? new ReplayDeviceSource(path)
            : new NvmlDeviceSource(options.EffectiveContainerDriverRoot, options.ProcRoot, loggers.CreateLogger<NvmlDeviceSource>());
}
