using DraSdk.Cdi;
using DraSdk.KubeletPlugin;
using DraSdk.Preparation;
using DraSdk.ResourceSlices;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Minimal;

/// <summary>A complete DRA driver: four devices, published with their health, prepared through CDI, crash-safe.</summary>
public static class MinimalDriver
{
    public static IServiceCollection AddMinimalDriver(this IServiceCollection services)
    {
        services.AddSingleton<DeviceHealthTracker>().AddHostedService<Devices>();
        services.AddCdiDriver<Plan>("k8s.dev.example.com/dev", o => o.DriverName = "dev.example.com")
            .AddDeviceHealth<DeviceHealthTracker>()
            .AddResourceSlicePublisher();
        return services;
    }

    private sealed class Plan : ICdiDriver
    {
        // What a container that gets a device gets: here one variable; for real devices, device nodes and mounts too.
        public ValueTask<ClaimPlan> PlanAsync(PreparableClaim claim, CancellationToken cancellationToken) => ValueTask.FromResult(
            claim.Devices.Aggregate(new ClaimPlan(), (plan, device) => plan.Add(device, new ContainerEdits { Env = [$"DEVICE={device.Device}"] })));
    }

    private sealed class Devices(IResourceSlicePublisher slices, DeviceHealthTracker health) : BackgroundService
    {
        private static readonly string[] Names = ["dev-0", "dev-1", "dev-2", "dev-3"];

        protected override Task ExecuteAsync(CancellationToken stoppingToken)
        {
            slices.UpdateDevices(Names.Select(name => new V1Device { Name = name }));
            health.Report(Names.Select(name => new DeviceHealth(slices.NodeName, name, DeviceHealthStatus.Healthy)));
            return Task.CompletedTask;
        }
    }
}
