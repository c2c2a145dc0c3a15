using DraSdk.KubeletPlugin;
using ExampleDriver.Devices;
using ExampleDriver.Driver;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ExampleDriver;

/// <summary>How the example driver is composed on the generic host; the same for the DaemonSet and the demo.</summary>
internal static class ExampleDriverHosting
{
    public static IHostApplicationBuilder AddExampleDriver(this IHostApplicationBuilder builder)
    {
        var options = new ExampleDriverOptions
        {
            NodeName = DraDriverSettings.NodeName.Read(builder.Configuration) ?? string.Empty,
            NumDevices = ExampleDriverOptions.NumDevicesSetting.Read(builder.Configuration),
            DeviceMetadata = ExampleDriverOptions.DeviceMetadataSetting.Read(builder.Configuration),
        };

        IServiceCollection services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton<FakeGpuDiscovery>();
        services.AddCdiDriver<GpuDriver>(ExampleDriverOptions.CdiKind, o => o.DriverName = ExampleDriverOptions.DriverName, c => c.DeviceMetadata = options.DeviceMetadata)
            .AddNodeDevices()
            .AddClaimDeviceStatus();
        services.AddHostedService<DevicePublisher>();
        return builder;
    }
}
