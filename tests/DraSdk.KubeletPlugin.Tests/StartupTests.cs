using DraSdk.KubeletPlugin.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DraSdk.KubeletPlugin.Tests;

[Collection(nameof(StartupTests))]
public sealed class StartupTests
{
    [Fact]
    public async Task Driver_startup_runs_once_before_the_sockets_are_served()
    {
        StartupDriver.FailWith = null;
        await using DriverHost host = await DriverHost.StartAsync<StartupDriver>();
        await host.RegisterAsync();

        StartupDriver driver = host.Host.Services.GetRequiredService<StartupDriver>();
        Assert.True(driver.Started);
        Assert.False(driver.SocketExistedAtStartup);
    }

    [Fact]
    public async Task A_failing_startup_stops_the_host_and_serves_nothing()
    {
        StartupDriver.FailWith = new InvalidOperationException("checkpoint directory is read-only");
        try
        {
            using var root = new TempDirectory();
            InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => DriverHost.StartAsync<StartupDriver>(root: root));
            Assert.Equal("checkpoint directory is read-only", error.Message);
            Assert.False(File.Exists(Path.Combine(root.Path, "reg", "gpu.example.com-reg.sock")));
        }
        finally
        {
            StartupDriver.FailWith = null;
        }
    }
}
