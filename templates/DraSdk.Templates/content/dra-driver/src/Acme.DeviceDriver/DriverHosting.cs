using Acme.DeviceDriver.Devices;
using Acme.DeviceDriver.Driver;
using DraSdk.Cdi;
using DraSdk.Checkpoint;
using DraSdk.KubeletPlugin;
using DraSdk.ResourceSlices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Acme.DeviceDriver;

/// <summary>How the driver is composed on the generic host; the same in the DaemonSet and in the tests.</summary>
internal static class DriverHosting
{
    public static IHostApplicationBuilder AddDeviceDriver(this IHostApplicationBuilder builder, Action<DraDriverOptions>? configure = null)
    {
        IConfiguration config = builder.Configuration;
        var info = new DriverInfo();
        if (config["NODE_NAME"] is { Length: > 0 } node)
        {
            info.NodeName = node;
        }

        if (config["NUM_DEVICES"] is { Length: > 0 } count)
        {
            info.DeviceCount = int.TryParse(count, out int n) && n is >= 0 and <= 128
                ? n
                : throw new InvalidOperationException($"NUM_DEVICES must be a number from 0 to 128, not '{count}'.");
        }

        IServiceCollection services = builder.Services;
        services.AddSingleton(info);
        services.AddSingleton<FakeDeviceDiscovery>(); // replace with your hardware's discovery

        // One transient CDI spec per prepared claim, under DraDriverOptions.CdiRoot.
        services.AddSingleton(sp =>
        {
            DraDriverOptions dra = sp.GetRequiredService<IOptions<DraDriverOptions>>().Value;
            var writer = new CdiSpecWriter(new CdiSpecWriterOptions { SpecDirectory = dra.CdiRoot });
            return new CdiClaimSpecs(writer, new CdiKind(DriverInfo.CdiVendor, DriverInfo.CdiClass));
        });

        // The checkpoint of prepared claims, in the driver's plugin data directory: survives restarts and reboots.
        services.AddOptions<PreparedClaimStoreOptions>()
            .Configure<IOptions<DraDriverOptions>>((o, dra) => o.CheckpointDirectory = dra.Value.EffectivePluginDataDirectoryPath);
        services.AddSingleton(sp => new PreparedClaimStore(
            sp.GetRequiredService<IOptions<PreparedClaimStoreOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<PreparedClaimStore>()));
        services.AddSingleton<DeviceHealthTracker>();

        services.AddDraDriver<NodeDriver>(o =>
            {
                o.DriverName = DriverInfo.DriverName;
                o.NodeName ??= info.NodeName;
                configure?.Invoke(o);
            })
            .AddDeviceHealth<DeviceHealthTracker>()
            .AddResourceSlicePublisher();
        services.AddHostedService<DevicePublisher>();
        return builder;
    }
}
