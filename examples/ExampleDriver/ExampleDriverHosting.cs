using DraSdk.KubeletPlugin;
using ExampleDriver.Devices;
using ExampleDriver.Driver;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ExampleDriver;

/// <summary>How the example driver is composed on the generic host; the same for the DaemonSet and the demo.</summary>
internal static class ExampleDriverHosting
{
    public static IHostApplicationBuilder AddExampleDriver(this IHostApplicationBuilder builder)
    {
        IConfiguration config = builder.Configuration;
        var options = new ExampleDriverOptions();
        if (config["NODE_NAME"] is { Length: > 0 } node)
        {
            options.NodeName = node;
        }

        if (config["NUM_DEVICES"] is { Length: > 0 } count)
        {
            options.NumDevices = int.TryParse(count, out int n) && n is >= 0 and <= 128
                ? n
                : throw new InvalidOperationException($"NUM_DEVICES must be a number from 0 to 128, not '{count}'.");
        }

        IServiceCollection services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton<FakeGpuDiscovery>();
        services.AddCdiDriver<GpuDriver>(ExampleDriverOptions.CdiKind, o =>
            {
                o.DriverName = ExampleDriverOptions.DriverName;
                o.NodeName ??= options.NodeName;
            })
            .AddNodeDevices();
        services.AddHostedService<DevicePublisher>();
        return builder;
    }
}
