using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using DraSdk.KubeletPlugin.Internal;
using DraSdk.KubeletPlugin.Tests.Infrastructure;
using DraSdk.Testing;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DraSdk.KubeletPlugin.Tests;

public sealed class LifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Shutdown_removes_both_sockets()
    {
        DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();
        Assert.True(File.Exists(plugin.Endpoint));
        Assert.True(File.Exists(plugin.RegistrationSocketPath));

        await host.Host.StopAsync(Ct);

        Assert.False(File.Exists(plugin.Endpoint));
        Assert.False(File.Exists(plugin.RegistrationSocketPath));
        await host.DisposeAsync();
    }

    [Fact]
    public async Task Stale_sockets_left_by_a_killed_instance_do_not_stop_a_restart()
    {
        using var root = new TempDirectory();
        string dataDir = Path.Combine(root.Path, "plugins", DriverHost.DriverName);
        string regDir = Path.Combine(root.Path, "reg");
        Directory.CreateDirectory(dataDir);
        Directory.CreateDirectory(regDir);
        BindAndAbandon(Path.Combine(dataDir, "dra.sock"));
        BindAndAbandon(Path.Combine(regDir, "gpu.example.com-reg.sock"));

        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>(root: root);
        KubeletPluginConnection plugin = await host.RegisterAsync();

        Assert.Equal(Path.Combine(dataDir, "dra.sock"), plugin.Endpoint);
    }

    [Fact]
    public async Task Rolling_update_names_sockets_per_pod_and_clears_only_dead_ones()
    {
        using var root = new TempDirectory();
        string dataDir = Path.Combine(root.Path, "plugins", DriverHost.DriverName);
        string regDir = Path.Combine(root.Path, "reg");
        Directory.CreateDirectory(dataDir);
        Directory.CreateDirectory(regDir);
        const string deadPod = "0b9c7d8e-dead-4000-8000-000000000000";
        BindAndAbandon(Path.Combine(dataDir, $"dra-{deadPod}.sock"));
        BindAndAbandon(Path.Combine(regDir, $"gpu.example.com-{deadPod}-reg.sock"));

        await using DriverHost first = await DriverHost.StartAsync<RecordingDriver>(root: root, options: o => o.PodUid = "11111111-aaaa-4000-8000-000000000001");
        Assert.False(File.Exists(Path.Combine(dataDir, $"dra-{deadPod}.sock")));
        Assert.False(File.Exists(Path.Combine(regDir, $"gpu.example.com-{deadPod}-reg.sock")));

        // A second instance (the new pod of a rolling update) starts beside the first without disturbing it.
        await using DriverHost second = await DriverHost.StartAsync<RecordingDriver>(root: root, api: first.Api, options: o => o.PodUid = "22222222-bbbb-4000-8000-000000000002");
        Assert.True(File.Exists(Path.Combine(dataDir, "dra-11111111-aaaa-4000-8000-000000000001.sock")));
        Assert.True(File.Exists(Path.Combine(dataDir, "dra-22222222-bbbb-4000-8000-000000000002.sock")));
        Assert.True(File.Exists(Path.Combine(regDir, "gpu.example.com-11111111-aaaa-4000-8000-000000000001-reg.sock")));
        Assert.True(File.Exists(Path.Combine(regDir, "gpu.example.com-22222222-bbbb-4000-8000-000000000002-reg.sock")));
    }

    [Fact]
    public async Task Rolling_update_clears_dead_hashed_registration_sockets_of_this_driver_only()
    {
        // A registration directory so long that only the hashed form fits.
        using var root = new TempDirectory();
        string regDir = Path.Combine(root.Path, new string('r', 72 - root.Path.Length - 1));
        const string driver = "a-very-long-driver-name.with-many-labels.example.com";
        Directory.CreateDirectory(regDir);
        string dead = SocketPaths.RollingUpdateRegistrationSocket(regDir, driver, "0b9c7d8e-dead-4000-8000-000000000000");
        string otherDriversDead = SocketPaths.RollingUpdateRegistrationSocket(regDir, "b-very-long-driver-name.with-many-labels.example.com", "0b9c7d8e-dead-4000-8000-000000000000");
        Assert.StartsWith("dra-", Path.GetFileName(dead), StringComparison.Ordinal);
        BindAndAbandon(dead);
        BindAndAbandon(otherDriversDead);

        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>(root: root, options: o =>
        {
            o.DriverName = driver;
            o.RegistrarDirectoryPath = regDir;
            o.PluginDataDirectoryPath = Path.Combine(root.Path, "data");
            o.PodUid = "11111111-aaaa-4000-8000-000000000001";
        });

        Assert.False(File.Exists(dead), "this driver's dead socket is removed");
        Assert.True(File.Exists(otherDriversDead), "another driver's socket is not this driver's to remove");
        Assert.True(File.Exists(SocketPaths.RollingUpdateRegistrationSocket(regDir, driver, "11111111-aaaa-4000-8000-000000000001")));
    }

    [Fact]
    public async Task Rolling_update_instances_never_prepare_at_the_same_time()
    {
        using var root = new TempDirectory();
        var probe = new ConcurrencyProbe();
        await using DriverHost first = await DriverHost.StartAsync<RecordingDriver>(root: root, services: s => s.AddSingleton(probe), options: o => o.PodUid = "11111111-aaaa-4000-8000-00000000000a");
        await using DriverHost second = await DriverHost.StartAsync<RecordingDriver>(root: root, api: first.Api, services: s => s.AddSingleton(probe), options: o => o.PodUid = "22222222-bbbb-4000-8000-00000000000b");
        foreach (DriverHost h in new[] { first, second })
        {
            h.Host.Services.GetRequiredService<RecordingDriver>().BeforeEachCall = () => Task.Delay(30);
        }

        Resourcev1ResourceClaim claim = await first.CreateAllocatedClaimAsync("shared", ("gpu", "gpu.example.com", "gpu-0"));

        // The kubelet registers the old pod's instance, then the new pod's beside it.
        KubeletPluginConnection old = await first.RegisterAsync();
        KubeletPluginConnection @new = await first.Kubelet.WaitForNewInstanceAsync(DriverHost.DriverName, Ct);
        Assert.Equal(Path.Combine(first.PluginDataDirectory, "dra-11111111-aaaa-4000-8000-00000000000a.sock"), old.Endpoint);
        Assert.Equal(Path.Combine(first.PluginDataDirectory, "dra-22222222-bbbb-4000-8000-00000000000b.sock"), @new.Endpoint);
        var clients = new[] { old.DraV1, @new.DraV1 };

        var calls = Enumerable.Range(0, 8).Select(i =>
        {
            var request = new Kubelet.Api.Dra.V1.NodePrepareResourcesRequest();
            request.Claims.Add(KubeletPluginConnection.ToWire(claim));
            return clients[i % 2].NodePrepareResourcesAsync(request, cancellationToken: Ct).ResponseAsync;
        });
        try
        {
            await Task.WhenAll(calls);
        }
        catch (Grpc.Core.RpcException)
        {
            Assert.Fail(string.Join("\n", first.Logs.Snapshot().Concat(second.Logs.Snapshot()).Where(l => l.Contains("Exception", StringComparison.Ordinal) || l.Contains("fail", StringComparison.OrdinalIgnoreCase))));
        }

        Assert.Equal(1, probe.MaxConcurrency);
        Assert.True(File.Exists(Path.Combine(first.PluginDataDirectory, "serialize.lock")));
    }

    [Fact]
    public async Task Calls_are_serialized_by_default_and_concurrent_when_allowed()
    {
        foreach (bool serialize in new[] { true, false })
        {
            await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>(options: o => o.SerializeCalls = serialize);
            KubeletPluginConnection plugin = await host.RegisterAsync();
            RecordingDriver driver = host.Host.Services.GetRequiredService<RecordingDriver>();
            driver.BeforeEachCall = () => Task.Delay(50);
            Resourcev1ResourceClaim claim = await host.CreateAllocatedClaimAsync("c", ("gpu", "gpu.example.com", "gpu-0"));

            await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => plugin.PrepareAsync([claim], Ct)));

            if (serialize)
            {
                Assert.Equal(1, driver.MaxConcurrency);
            }
            else
            {
                Assert.True(driver.MaxConcurrency > 1, $"max concurrency {driver.MaxConcurrency}");
            }
        }
    }

    [Fact]
    public void Rolling_update_socket_names_fit_the_unix_limit()
    {
        const string uid = "0b9c7d8e-1234-4000-8000-000000000000";
        Assert.Equal("/var/lib/kubelet/plugins_registry/gpu.example.com-0b9c7d8e-1234-4000-8000-000000000000-reg.sock",
            SocketPaths.RollingUpdateRegistrationSocket("/var/lib/kubelet/plugins_registry", "gpu.example.com", uid));

        string longDriver = "a-very-long-driver-name.with-many-labels.example.com";
        string second = SocketPaths.RollingUpdateRegistrationSocket("/var/lib/kubelet/plugins_registry", longDriver, uid);
        Assert.Matches(@"^/var/lib/kubelet/plugins_registry/a-very-long-driver-name\.with-many-labels\.example\.com-[A-Za-z0-9_-]{8}-reg\.sock$", second);
        Assert.True(SocketPaths.Fits(second));

        string longDir = "/var/lib/kubelet/" + new string('d', 40);
        string third = SocketPaths.RollingUpdateRegistrationSocket(longDir, longDriver, uid);
        Assert.Matches(@"/dra-[A-Za-z0-9_-]{8}-[A-Za-z0-9_-]{12}-reg\.sock$", third);
        Assert.True(SocketPaths.Fits(third));

        // Deterministic: the same pod always gets the same name.
        Assert.Equal(third, SocketPaths.RollingUpdateRegistrationSocket(longDir, longDriver, uid));
    }

    [Fact]
    public async Task A_socket_path_over_the_limit_fails_start_with_a_clear_message()
    {
        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DriverHost.StartAsync<RecordingDriver>(options: o => o.PluginDataDirectoryPath = "/tmp/" + new string('x', 120)));
        Assert.Contains("Unix sockets allow at most 107", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_come_from_the_conventional_environment_variables()
    {
        var config = new Dictionary<string, string?>
        {
            ["DRIVER_NAME"] = "fpga.acme.com",
            ["NODE_NAME"] = "worker-7",
            ["KUBELET_REGISTRAR_DIRECTORY_PATH"] = "/x/registry",
            ["KUBELET_PLUGINS_DIRECTORY_PATH"] = "/x/plugins",
            ["CDI_ROOT"] = "/x/cdi",
            ["POD_UID"] = "abc-123",
            ["DraDriver:SerializeCalls"] = "false",
        };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(config);
        builder.Services.AddDraDriver<RecordingDriver>();
        using IHost host = builder.Build();

        DraDriverOptions o = host.Services.GetRequiredService<IOptions<DraDriverOptions>>().Value;
        Assert.Equal("fpga.acme.com", o.DriverName);
        Assert.Equal("worker-7", o.NodeName);
        Assert.Equal("/x/registry", o.RegistrarDirectoryPath);
        Assert.Equal("/x/plugins/fpga.acme.com", o.EffectivePluginDataDirectoryPath);
        Assert.Equal("/x/cdi", o.CdiRoot);
        Assert.Equal("abc-123", o.PodUid);
        Assert.False(o.SerializeCalls);
    }

    [Fact]
    public async Task An_invalid_driver_name_stops_start_with_the_reason()
    {
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            DriverHost.StartAsync<RecordingDriver>(options: o => o.DriverName = "GPU.Example.com"));
        Assert.Contains("not a DNS subdomain", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_driver_name_longer_than_the_API_server_allows_stops_start_with_the_reason()
    {
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            DriverHost.StartAsync<RecordingDriver>(options: o => o.DriverName = new string('a', 52) + ".example.com"));
        Assert.Contains("is 64 characters long; the API server allows at most 63", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_removed_socket_is_a_fatal_error_that_stops_the_host()
    {
        TimeSpan before = KubeletPluginServer.WatchdogInterval;
        KubeletPluginServer.WatchdogInterval = TimeSpan.FromMilliseconds(50);
        try
        {
            await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
            KubeletPluginConnection plugin = await host.RegisterAsync();
            var stopping = new TaskCompletionSource();
            host.Host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => stopping.TrySetResult());

            File.Delete(plugin.Endpoint);

            await stopping.Task.WaitAsync(TimeSpan.FromSeconds(5), Ct);
            DriverErrorReporter errors = host.Host.Services.GetRequiredService<DriverErrorReporter>();
            Assert.IsType<FileNotFoundException>(errors.FatalError);
            Assert.Contains(host.Logs.Snapshot(), l => l.StartsWith("Critical", StringComparison.Ordinal) && l.Contains("was removed", StringComparison.Ordinal));
            Environment.ExitCode = 0;
        }
        finally
        {
            KubeletPluginServer.WatchdogInterval = before;
        }
    }

    /// <summary>
    /// Leaves a socket file nobody listens on, exactly as a SIGKILLed process does: socket(2) and bind(2), then close(2)
    /// without unlink(2). (.NET's Socket cannot do this: disposing a bound Unix socket deletes its file.)
    /// </summary>
    private static void BindAndAbandon(string path)
    {
        int fd = NativeSockets.socket(1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0);
        Assert.True(fd >= 0, $"socket: errno {Marshal.GetLastPInvokeError()}");
        byte[] address = new byte[110];
        BitConverter.GetBytes((ushort)1).CopyTo(address, 0);
        Encoding.UTF8.GetBytes(path).CopyTo(address, 2);
        int bound = NativeSockets.bind(fd, address, address.Length);
        int error = Marshal.GetLastPInvokeError();
        NativeSockets.close(fd);
        Assert.True(bound == 0, $"bind {path}: errno {error}");
        Assert.True(File.Exists(path), $"{path} should be left behind");
        Assert.False(SocketPaths.IsListening(path));
    }
}

internal static partial class NativeSockets
{
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int bind(int fd, byte[] address, int length);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int close(int fd);
}
