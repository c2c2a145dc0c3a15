using Acme.DeviceDriver.Devices;
using Acme.DeviceDriver.Driver;
using DraSdk.KubeletPlugin;
using DraSdk.ResourceSlices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Acme.DeviceDriver;

/// <summary>How the driver is composed on the generic host; the same in the DaemonSet and in the tests.</summary>
internal static class DriverHosting
{
    public static IHostApplicationBuilder AddDeviceDriver(this IHostApplicationBuilder builder, Action<DraDriverOptions>? configure = null)
    {
        // The settings (a bad value is one line on stderr and exit code 1; `--help` lists them with their defaults).
        var info = new DriverInfo
        {
            NodeName = DraDriverSettings.NodeName.Read(builder.Configuration) ?? string.Empty,
            DeviceCount = DriverInfo.DeviceCountSetting.Read(builder.Configuration),
        };

        IServiceCollection services = builder.Services;
        services.AddSingleton(info);
        services.AddSingleton<FakeDeviceDiscovery>(); // replace with your hardware's discovery


        // The driver: its plan, and the SDK's prepare pipeline (CDI specs under CdiRoot, the checkpoint in the plugin
        // data directory, recovery before the kubelet calls).
        services.AddCdiDriver<NodeDriver>(DriverInfo.CdiKind, o =>
            {
                o.DriverName = DriverInfo.DriverName;
                configure?.Invoke(o);
            })
            .AddNodeDevices()
            .AddClaimDeviceStatus(); // each prepared device's status in the claim's status.devices (needs patch on resourceclaims/status)
        services.AddHostedService<DevicePublisher>();
        return builder;
    }
}
