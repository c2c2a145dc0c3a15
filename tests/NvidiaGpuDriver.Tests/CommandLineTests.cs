using DraSdk.KubeletPlugin;
using DraSdk.Tests.Shared;

namespace NvidiaGpuDriver.Tests;

/// <summary>The NVIDIA driver's process as an operator meets it: the command line and a missing or bad setting.</summary>
public sealed class CommandLineTests
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "nvidia-gpu-driver.dll");

    [Fact]
    public Task Started_with_no_environment_it_prints_one_line_that_names_NODE_NAME_and_exits_1() =>
        DriverCommandLineChecks.AssertRefusesToStartWithoutEnvironmentAsync(Dll, "nvidia-gpu-driver");

    [Fact]
    public Task Help_lists_every_environment_variable_version_and_mistakes_exit_2() =>
        DriverCommandLineChecks.AssertCommandLineAsync(
            Dll,
            "nvidia-gpu-driver",
            [.. DraDriverSettings.Standard.Select(s => s.Name), "DEVICE_SOURCE", "NVIDIA_DRIVER_ROOT", "CONTAINER_DRIVER_ROOT", "DEV_ROOT", "SYSFS_ROOT", "PROC_ROOT", "MPS_ROOT", "ADDITIONAL_XIDS_TO_IGNORE"],
            ["discover", "capture", "demo"]);

    [Theory]
    [InlineData("ADDITIONAL_XIDS_TO_IGNORE", "13,x", "nvidia-gpu-driver: ADDITIONAL_XIDS_TO_IGNORE must be a comma-separated list of XID numbers, not '13,x'.")]
    [InlineData("DEVICE_SOURCE", "magic", "nvidia-gpu-driver: DEVICE_SOURCE must be 'nvml' or 'replay:<path to an nvml.json snapshot>', not 'magic'.")]
    [InlineData("SYSFS_ROOT", "sys", "nvidia-gpu-driver: SYSFS_ROOT must be an absolute path, not 'sys'.")]
    public async Task A_bad_setting_is_one_line_and_exit_code_1(string name, string value, string expected)
    {
        (int exit, string output, string error) = await DriverCommandLineChecks.RunAsync(Dll, new Dictionary<string, string> { ["NODE_NAME"] = "node-a", [name] = value });

        Assert.Equal((1, string.Empty, expected + "\n"), (exit, output, error));
    }

    [Fact]
    public void The_commands_options_are_checked_by_the_SDKs_parser()
    {
        (int rc, string output, string error) = CommandTests.Run("discover", "-o", "xml");
        Assert.Equal((2, string.Empty, "nvidia-gpu-driver: option '-o' must be yaml, json or nvidia-smi, not 'xml'. See 'nvidia-gpu-driver discover --help'.\n"), (rc, output, error.Replace("\r", string.Empty, StringComparison.Ordinal)));
        (rc, _, error) = CommandTests.Run("capture", "--node", "n");
        Assert.Equal(2, rc);
        Assert.Contains("unknown option '--node' for 'capture'", error, StringComparison.Ordinal);
    }
}
