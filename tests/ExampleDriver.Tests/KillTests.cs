using DraSdk.Testing;
using DraSdk.Tests.Shared;
using k8s;
using k8s.Models;

namespace ExampleDriver.Tests;

/// <summary>The crash-safety contract of the prepare pipeline, with real SIGKILLs of the driver process.</summary>
public sealed class KillTests
{
    [Fact]
    public async Task Killed_at_random_points_of_prepare_and_unprepare_the_driver_comes_back_with_no_lost_or_corrupt_state()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var root = new TempRoot();
        (InMemoryKubernetesApiServer api, IKubernetes client, string kubeconfig) = await PrepareKillTest.StartApiServerAsync(root.Path, ct);
        await using InMemoryKubernetesApiServer _ = api;
        Resourcev1ResourceClaim[] claims =
        [
            await Claims.CreateAllocatedAsync(client, "a", "gpu-0"),
            await Claims.CreateAllocatedAsync(client, "b", "gpu-1", """{"apiVersion":"gpu.example.com/v1alpha1","kind":"GpuConfig","sharing":{"strategy":"TimeSlicing","timeSlicingConfig":{"interval":"Long"}}}"""),
            await Claims.CreateAllocatedAsync(client, "c", "gpu-2"),
        ];

        string report = await PrepareKillTest.RunAsync(
            root.Path, "gpu.example.com", () => DriverProcesses.Start(root.Path, kubeconfig), claims, PrepareKillTest.Points(ciDefault: 40), seed: 11, ct);
        TestContext.Current.SendDiagnosticMessage(report);
    }
}
