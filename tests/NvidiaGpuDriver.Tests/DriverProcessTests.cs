using DraSdk.Testing;
using k8s;
using k8s.Models;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace NvidiaGpuDriver.Tests;

/// <summary>The driver run as the DaemonSet runs it: its own process, a kubeconfig, the kubelet's directories, signals.</summary>
public sealed class DriverProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task In_replay_mode_a_SIGKILLed_driver_restarts_with_the_same_answers_and_SIGTERM_removes_its_sockets()
    {
        using var root = new TempRoot();
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(Ct);
        IKubernetes client = api.CreateClient();
        await client.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "node-a" } }, cancellationToken: Ct);
        string kubeconfig = api.WriteKubeconfig(Path.Combine(root.Path, "kubeconfig"));
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(client, "train", "gpu-1");
        string source = "replay:" + Fixtures.KindSnapshot;

        V1.NodePrepareResourceResponse first;
        await using (DriverProcess driver = DriverProcesses.Start(root.Path, kubeconfig, source))
        {
            await using var kubelet = new FakeKubelet(Path.Combine(root.Path, "reg"));
            KubeletPluginConnection plugin = await WaitForDriver(kubelet, driver);
            first = (await plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];
            Assert.True(first.Error.Length == 0, first.Error);
            Assert.Equal("gpu-1", Assert.Single(first.Devices).DeviceName);
            await WaitForSlice(client, 11);
            driver.Kill(); // SIGKILL: no cleanup at all
            await driver.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        await using (DriverProcess driver = DriverProcesses.Start(root.Path, kubeconfig, source))
        {
            await using var kubelet = new FakeKubelet(Path.Combine(root.Path, "reg"));
            KubeletPluginConnection plugin = await WaitForDriver(kubelet, driver);
            Assert.Equal(first, (await plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid]);
            Assert.Single((await client.ResourceV1.ListResourceSliceAsync(cancellationToken: Ct)).Items); // adopted, not duplicated
            Assert.Equal(string.Empty, (await plugin.UnprepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
            Assert.Empty(Directory.GetFiles(Path.Combine(root.Path, "cdi")));

            driver.Terminate();
            int exit = await driver.WaitForExitAsync(TimeSpan.FromSeconds(10));
            Assert.True(exit == 0, driver.Output);
            Assert.False(File.Exists(plugin.Endpoint));
            Assert.False(File.Exists(plugin.RegistrationSocketPath));
        }
    }

    [Theory]
    [InlineData("nvml", "cannot start: NVML is not available: libnvidia-ml.so.1 was not found")]
    [InlineData("replay:/nonexistent/nvml.json", "cannot start: cannot read the NVML snapshot /nonexistent/nvml.json")]
    [InlineData("mystery", "DEVICE_SOURCE must be 'nvml' or 'replay:<path to an nvml.json snapshot>', not 'mystery'")]
    public async Task Without_NVML_or_with_a_bad_snapshot_the_driver_exits_with_one_clear_line(string source, string expected)
    {
        using var root = new TempRoot();
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(Ct);
        string kubeconfig = api.WriteKubeconfig(Path.Combine(root.Path, "kubeconfig"));

        await using DriverProcess driver = DriverProcesses.Start(root.Path, kubeconfig, source);
        int exit = await driver.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exit);
        Assert.Contains(expected, driver.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(root.Path, "reg")) && Directory.GetFiles(Path.Combine(root.Path, "reg")).Length > 0, "no registration socket");
    }

    private static async Task WaitForSlice(IKubernetes client, int devices)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        while ((await client.ResourceV1.ListResourceSliceAsync(cancellationToken: timeout.Token)).Items is not [{ } slice] || slice.Spec.Devices.Count != devices)
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    private static async Task<KubeletPluginConnection> WaitForDriver(FakeKubelet kubelet, DriverProcess driver)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            return await kubelet.WaitForDriverAsync("gpu.nvidia.com", timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("driver did not register; output:\n" + driver.Output);
        }
    }
}
