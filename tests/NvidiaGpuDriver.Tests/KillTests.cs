using DraSdk.Testing;
using DraSdk.Tests.Shared;
using k8s;
using k8s.Models;

namespace NvidiaGpuDriver.Tests;

/// <summary>The crash-safety contract of the prepare pipeline with the NVIDIA driver's side effects (MPS, time slices), with real SIGKILLs.</summary>
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
            await Claims.CreateAllocatedAsync(client, "mps", "gpu-0", """{"apiVersion":"resource.nvidia.com/v1beta1","kind":"GpuConfig","sharing":{"strategy":"MPS","mpsConfig":{"defaultActiveThreadPercentage":50}}}"""),
            await Claims.CreateAllocatedAsync(client, "sliced", "gpu-1", """{"apiVersion":"resource.nvidia.com/v1beta1","kind":"GpuConfig","sharing":{"strategy":"TimeSlicing","timeSlicingConfig":{"interval":"Long"}}}"""),
            await Claims.CreateAllocatedAsync(client, "plain", "gpu-2"),
        ];
        string source = "replay:" + Fixtures.KindSnapshot;

        await PrepareKillTest.RunAsync(
            root.Path, "gpu.nvidia.com", () => DriverProcesses.Start(root.Path, kubeconfig, source), claims, PrepareKillTest.Points(ciDefault: 30), seed: 17, ct);

        // MPS daemons of unprepared claims are gone with their directories.
        string mps = Path.Combine(root.Path, "plugins", "gpu.nvidia.com", "mps");
        Assert.True(!Directory.Exists(mps) || Directory.GetDirectories(mps).Length <= 1);
    }
}
