using DraSdk.Testing;
using k8s;
using k8s.Models;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace ExampleDriver.Tests;

/// <summary>The driver run as a DaemonSet runs it: its own process, a kubeconfig, the kubelet's directories, signals.</summary>
public sealed class DriverProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task After_SIGKILL_a_restarted_driver_gives_the_same_answers_and_SIGTERM_removes_its_sockets()
    {
        using var root = new TempRoot();
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(Ct);
        IKubernetes client = api.CreateClient();
        await client.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "node-a" } }, cancellationToken: Ct);
        string kubeconfig = api.WriteKubeconfig(Path.Combine(root.Path, "kubeconfig"));
        Resourcev1ResourceClaim claim = await Claims.CreateAllocatedAsync(client, "train", "gpu-1");

        // First instance: registers, publishes, prepares.
        V1.NodePrepareResourceResponse first;
        await using (DriverProcess driver = DriverProcesses.Start(root.Path, kubeconfig))
        {
            await using var kubelet = new FakeKubelet(Path.Combine(root.Path, "reg"));
            KubeletPluginConnection plugin = await WaitForDriver(kubelet, driver);
            first = (await plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];
            Assert.True(first.Error.Length == 0, first.Error);
            Assert.Equal("gpu-1", Assert.Single(first.Devices).DeviceName);

            V1ResourceSliceList slices = await client.ResourceV1.ListResourceSliceAsync(cancellationToken: Ct);
            Assert.Equal(4, Assert.Single(slices.Items).Spec.Devices.Count);
            driver.Kill(); // SIGKILL: no cleanup at all
            await driver.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        // Second instance after the kill: stale sockets do not stop it; the same claim gets the same answer.
        await using (DriverProcess driver = DriverProcesses.Start(root.Path, kubeconfig))
        {
            await using var kubelet = new FakeKubelet(Path.Combine(root.Path, "reg"));
            KubeletPluginConnection plugin = await WaitForDriver(kubelet, driver);
            V1.NodePrepareResourceResponse again = (await plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];
            Assert.Equal(first, again);
            Assert.Single(Directory.GetFiles(Path.Combine(root.Path, "cdi"), "k8s.gpu.example.com-gpu_*"));
            Assert.Single(Directory.GetFiles(Path.Combine(root.Path, "cdi"), "gpu.example.com_metadata_*"));

            // Still exactly one slice for the node: the restart adopted it.
            V1ResourceSliceList slices = await client.ResourceV1.ListResourceSliceAsync(cancellationToken: Ct);
            Assert.Single(slices.Items);

            V1.NodeUnprepareResourcesResponse un = await plugin.UnprepareAsync([claim], Ct);
            Assert.Equal(string.Empty, un.Claims[claim.Metadata.Uid].Error);
            Assert.Empty(Directory.GetFiles(Path.Combine(root.Path, "cdi")));

            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            driver.Terminate();
            int exit = await driver.WaitForExitAsync(TimeSpan.FromSeconds(10));
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
            Assert.True(exit == 0, driver.Output);
            Assert.False(File.Exists(plugin.Endpoint));
            Assert.False(File.Exists(plugin.RegistrationSocketPath));
        }
    }

    [Theory]
    [InlineData("percent-encoded path")]
    [InlineData("bare path")]
    public async Task An_external_HTTP2_client_gets_the_plugin_info_with_the_kubelets_authority(string form)
    {
        using var root = new TempRoot();
        await using InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(Ct);
        string kubeconfig = api.WriteKubeconfig(Path.Combine(root.Path, "kubeconfig"));
        await using DriverProcess driver = DriverProcesses.Start(root.Path, kubeconfig);
        string socket = Path.Combine(root.Path, "reg", "gpu.example.com-reg.sock");
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(socket))
        {
            Assert.True(DateTime.UtcNow < deadline, "no registration socket; output:\n" + driver.Output);
            await Task.Delay(50, Ct);
        }

        // What the kubelet's grpc-go sends, made by curl: the socket path as :authority (curl puts Host there in HTTP/2).
        string authority = form == "bare path" ? socket : Http2GrpcClient.GrpcGoAuthority(socket);
        string request = Path.Combine(root.Path, "request.bin");
        string body = Path.Combine(root.Path, "body.bin");
        await File.WriteAllBytesAsync(request, new byte[5], Ct);
        var curl = new System.Diagnostics.ProcessStartInfo("curl")
        {
            ArgumentList =
            {
                "-sS", "--http2-prior-knowledge", "--unix-socket", socket, "-H", "Host: " + authority, "-H", "content-type: application/grpc",
                "-H", "te: trailers", "--data-binary", "@" + request, "-D", "-", "-o", body, "http://localhost/pluginregistration.Registration/GetInfo",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using System.Diagnostics.Process process = System.Diagnostics.Process.Start(curl)!;
        string headers = await process.StandardOutput.ReadToEndAsync(Ct) + await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        Assert.True(process.ExitCode == 0, headers);
        Assert.Contains("HTTP/2 200", headers, StringComparison.Ordinal);
        Assert.Contains("grpc-status: 0", headers, StringComparison.Ordinal);
        var info = DraSdk.Kubelet.Api.PluginRegistration.V1.PluginInfo.Parser.ParseFrom((await File.ReadAllBytesAsync(body, Ct))[5..]);
        Assert.Equal("gpu.example.com", info.Name);
        Assert.Equal(Path.Combine(root.Path, "plugins", "gpu.example.com", "dra.sock"), info.Endpoint);
    }

    private static async Task<KubeletPluginConnection> WaitForDriver(FakeKubelet kubelet, DriverProcess driver)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            return await kubelet.WaitForDriverAsync("gpu.example.com", timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("driver did not register; output:\n" + driver.Output);
        }
    }
}
