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
        services.AddHostedService<Devices>();
        services.AddCdiDriver<Plan>("k8s.dev.example.com/dev", o => o.DriverName = "dev.example.com").AddNodeDevices();
        return services;
    }

    private sealed class Plan : ICdiDriver
    {
        // What a container that gets a device gets: here one variable; for real devices, device nodes and mounts too.
        public ValueTask<ClaimPlan> PlanAsync(PreparableClaim claim, CancellationToken cancellationToken) => ValueTask.FromResult(
            claim.Devices.Aggregate(new ClaimPlan(), (plan, device) => plan.Add(device, new ContainerEdits { Env = [$"DEVICE={device.Device}"] })));
    }

    // The node's devices: published as its ResourceSlice and reported healthy on the kubelet's health stream.
    private sealed class Devices(NodeDevices devices) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken)
        {
            devices.Publish(Enumerable.Range(0, 4).Select(i => new V1Device { Name = $"dev-{i}" }));
            return Task.CompletedTask;
        }
    }
}
