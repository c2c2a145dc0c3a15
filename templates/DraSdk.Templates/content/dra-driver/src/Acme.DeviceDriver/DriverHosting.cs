using Acme.DeviceDriver.Devices;
using Acme.DeviceDriver.Driver;
using DraSdk.KubeletPlugin;
using DraSdk.ResourceSlices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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


        // The driver: its plan, and the SDK's prepare pipeline (CDI specs under CdiRoot, the checkpoint in the plugin
        // data directory, recovery before the kubelet calls).
        services.AddCdiDriver<NodeDriver>(DriverInfo.CdiKind, o =>
            {
                o.DriverName = DriverInfo.DriverName;
                o.NodeName ??= info.NodeName;
                configure?.Invoke(o);
            })
            .AddNodeDevices();
        services.AddHostedService<DevicePublisher>();
        return builder;
    }
}
