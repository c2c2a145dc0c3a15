using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DraSdk.Packaging.Tests.Infrastructure;

namespace DraSdk.Packaging.Tests;

/// <summary><c>dotnet new dra-driver</c>: what it generates builds, passes its tests and runs; what it refuses, it says why.</summary>
[Collection(TemplateWorkspaceGroup.Name)]
public sealed class TemplateTests(TemplateWorkspace workspace)
{
    [Fact]
    public async Task The_generated_solution_builds_and_its_tests_pass()
    {
        CommandResult test = await DotnetCli.RunAsync(workspace.Solution, "test", "--no-build");

        Assert.True(test.ExitCode == 0, test.Output);
        Assert.Equal("0", SummaryValue(test.Output, "failed"));
        Assert.Equal("10", SummaryValue(test.Output, "succeeded"));

        IReadOnlyList<string> files = TemplateWorkspace.SourceFiles(workspace.Solution);
        int lines = files.Sum(f => File.ReadLines(Path.Combine(workspace.Solution, f)).Count());
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"dotnet new + restore {workspace.Generated.Elapsed.TotalSeconds:F1} s, build {workspace.Built.Elapsed.TotalSeconds:F1} s, " +
            $"test {test.Elapsed.TotalSeconds:F1} s; {files.Count} files, {lines} lines");
    }

    [Fact]
    public void The_generated_solution_has_the_driver_its_tests_and_its_deployment()
    {
        IReadOnlyList<string> files = TemplateWorkspace.SourceFiles(workspace.Solution);

        string[] expected =
        [
            ".github/workflows/ci.yml", ".gitignore", "Acme.FpgaDriver.slnx", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "README.md",
            "deployments/Dockerfile", "deployments/Dockerfile.dockerignore", "deployments/demo/claim-demo.yaml",
            "deployments/helm/acme-fpgadriver/Chart.yaml",
            "deployments/helm/acme-fpgadriver/templates/daemonset.yaml", "deployments/helm/acme-fpgadriver/templates/deviceclass.yaml",
            "deployments/helm/acme-fpgadriver/templates/rbac.yaml", "deployments/helm/acme-fpgadriver/templates/validatingadmissionpolicy.yaml",
            "deployments/helm/acme-fpgadriver/values-kind.yaml", "deployments/helm/acme-fpgadriver/values.yaml",
            "deployments/kind/kind-config.yaml",
            "deployments/scripts/build-image.sh", "deployments/scripts/common.sh", "deployments/scripts/create-cluster.sh", "deployments/scripts/demo.sh",
            "deployments/scripts/down.sh", "deployments/scripts/install.sh", "deployments/scripts/load-image.sh", "deployments/scripts/up.sh",
            "global.json",
            "src/Acme.FpgaDriver/Acme.FpgaDriver.csproj", "src/Acme.FpgaDriver/Config/DeviceConfig.cs", "src/Acme.FpgaDriver/Devices/DevicePublisher.cs",
            "src/Acme.FpgaDriver/Devices/FakeDeviceDiscovery.cs", "src/Acme.FpgaDriver/Driver/NodeDriver.cs", "src/Acme.FpgaDriver/DriverHosting.cs",
            "src/Acme.FpgaDriver/DriverInfo.cs", "src/Acme.FpgaDriver/Local/LocalDemo.cs", "src/Acme.FpgaDriver/Program.cs",
            "tests/Acme.FpgaDriver.Tests/Acme.FpgaDriver.Tests.csproj", "tests/Acme.FpgaDriver.Tests/DriverTests.cs",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), files);

        // Every placeholder of the template was replaced; no TODO is left for the author to trip over.
        foreach (string file in files)
        {
            string text = File.ReadAllText(Path.Combine(workspace.Solution, file));
            foreach (string placeholder in new[] { "Acme.DeviceDriver", "acme-devicedriver", "device.example.com", "devkind", "DEFAULT_DEVICE_COUNT", "DRASDK_VERSION", "CDI_VENDOR_OVERRIDE", "CDI_CLASS_OVERRIDE", "TODO" })
            {
                Assert.False(text.Contains(placeholder, StringComparison.Ordinal), $"{file} still contains {placeholder}");
            }
        }

        string info = File.ReadAllText(Path.Combine(workspace.Solution, "src/Acme.FpgaDriver/DriverInfo.cs"));
        Assert.Contains("public const string DriverName = \"fpga.acme.com\";", info, StringComparison.Ordinal);
        Assert.Contains("public const string CdiVendor = \"k8s.\" + DriverName;", info, StringComparison.Ordinal);
        Assert.Contains("public const string CdiClass = \"fpga\";", info, StringComparison.Ordinal);
        Assert.Contains("public const int DefaultDeviceCount = 2;", info, StringComparison.Ordinal);
        Assert.Contains($"<DraSdkVersion>{Repository.Version}</DraSdkVersion>", File.ReadAllText(Path.Combine(workspace.Solution, "Directory.Build.props")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_command_runs_the_driver_end_to_end()
    {
        CommandResult demo = await DotnetCli.RunAsync(workspace.Solution, "run", "--no-build", "--project", "src/Acme.FpgaDriver", "--", "demo");

        Assert.True(demo.ExitCode == 0, demo.Output);
        Assert.Contains("Driver fpga.acme.com registered by the fake kubelet", demo.Output, StringComparison.Ordinal);
        Assert.Contains("pool node-a, 2 devices", demo.Output, StringComparison.Ordinal);
        Assert.Contains("allocated node-a/fpga-1", demo.Output, StringComparison.Ordinal);
        Assert.Contains("\"FPGA_1_PROFILE=Performance\"", demo.Output, StringComparison.Ordinal);
        Assert.Contains("Demo OK", demo.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--driver-name", "Fpga.Acme.com", "--driver-name must be a lowercase DNS subdomain")]
    [InlineData("--driver-name", "a-very-long-driver-name-that-goes-on.and-on-and-on.example-company.com", "--driver-name must be a lowercase DNS subdomain")]
    [InlineData("--driver-name", "fpga_acme.com", "--driver-name must be a lowercase DNS subdomain")]
    [InlineData("--driver-name", "-fpga.acme.com", "--driver-name must be a lowercase DNS subdomain")]
    [InlineData("--driver-name", "fpga..acme.com", "--driver-name must be a lowercase DNS subdomain")]
    [InlineData("--device-kind", "FPGA", "--device-kind must be a lowercase DNS label")]
    [InlineData("--device-count", "10001", "--device-count must be a number from 0 to 10000")]
    [InlineData("--cdi-vendor", "bad!vendor", "--cdi-vendor must be letters, digits")]
    [InlineData("--cdi-class", "a.b", "--cdi-class must be letters, digits")]
    public async Task A_parameter_the_driver_could_not_use_generates_nothing_and_says_why(string option, string value, string message)
    {
        string name = "Bad" + Math.Abs(HashCode.Combine(option, value)).ToString(CultureInfo.InvariantCulture);

        CommandResult result = await workspace.NewAsync(name, option, value, "--no-restore");

        Assert.Equal(105, result.ExitCode); // the templating engine's "post action failed"
        Assert.Contains($"ERROR: nothing was generated: {message}", result.Output, StringComparison.Ordinal);
        string output = Path.Combine(workspace.Feed.WorkDirectory, name);
        Assert.Empty(Directory.Exists(output) ? Directory.GetFileSystemEntries(output) : []);
    }

    [Fact]
    public async Task Other_parameters_give_a_driver_that_builds_and_passes_its_tests()
    {
        const string name = "my_org.Nic-Driver";
        CommandResult created = await workspace.NewAsync(name, "--driver-name", "nic.example.org", "--cdi-vendor", "example.org", "--cdi-class", "nic", "--device-kind", "port", "--device-count", "1");
        Assert.True(created.ExitCode == 0, created.Output);
        string solution = Path.Combine(workspace.Feed.WorkDirectory, name);

        string info = File.ReadAllText(Path.Combine(solution, "src", name, "DriverInfo.cs"));
        Assert.Contains("public const string CdiVendor = \"example.org\";", info, StringComparison.Ordinal);
        Assert.Contains("public const string CdiClass = \"nic\";", info, StringComparison.Ordinal);
        Assert.Contains("public const string DeviceKind = \"port\";", info, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(solution, "deployments", "helm", "my-org-nic-driver")), "the chart is named after the project as a DNS label");

        CommandResult test = await DotnetCli.RunAsync(solution, "test");
        Assert.True(test.ExitCode == 0, test.Output);
        Assert.Equal("10", SummaryValue(test.Output, "succeeded"));
    }

    [Fact]
    public async Task Without_options_the_template_uses_working_defaults()
    {
        CommandResult created = await workspace.NewAsync("Contoso.Gadget", "--no-restore");
        Assert.True(created.ExitCode == 0, created.Output);
        string solution = Path.Combine(workspace.Feed.WorkDirectory, "Contoso.Gadget");

        string info = File.ReadAllText(Path.Combine(solution, "src", "Contoso.Gadget", "DriverInfo.cs"));
        Assert.Contains("public const string DriverName = \"device.example.com\";", info, StringComparison.Ordinal);
        Assert.Contains("public const string DeviceKind = \"device\";", info, StringComparison.Ordinal);
        Assert.Contains("public const int DefaultDeviceCount = 4;", info, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(solution, "src", "Contoso.Gadget", "obj")), "--no-restore skips the restore post-action");
    }

    [Fact]
    public async Task The_template_package_packs_installs_and_defaults_to_this_sdk_version()
    {
        string output = Path.Combine(workspace.Feed.WorkDirectory, "template-package");
        (await DotnetCli.RunAsync(Repository.Root, "pack", Repository.PathOf("templates", "DraSdk.Templates"), "-o", output, "-nologo")).EnsureSuccess();
        string package = Assert.Single(Directory.GetFiles(output, "DraSdk.Templates.*.nupkg"));
        Assert.Equal($"DraSdk.Templates.{Repository.Version}.nupkg", Path.GetFileName(package));
        using (ZipArchive zip = ZipFile.OpenRead(package))
        {
            string[] entries = [.. zip.Entries.Select(e => e.FullName)];
            Assert.Contains("content/dra-driver/.template.config/template.json", entries);
            Assert.Contains("content/dra-driver/.github/workflows/ci.yml", entries);
            Assert.DoesNotContain(entries, e => e.Contains("/bin/", StringComparison.Ordinal) || e.Contains("/obj/", StringComparison.Ordinal));
        }

        string hive = Path.Combine(workspace.Feed.WorkDirectory, "hive-package");
        (await DotnetCli.RunAsync(workspace.Feed.WorkDirectory, "new", "install", package, "--debug:custom-hive", hive)).EnsureSuccess();
        CommandResult list = (await DotnetCli.RunAsync(workspace.Feed.WorkDirectory, "new", "list", "dra-driver", "--debug:custom-hive", hive)).EnsureSuccess();
        Assert.Contains("dra-driver", list.Output, StringComparison.Ordinal);

        // The default --sdk-version is the version this repository builds.
        JsonNode template = JsonNode.Parse(File.ReadAllText(Path.Combine(TemplateWorkspace.TemplateSource, ".template.config", "template.json")))!;
        Assert.Equal(Repository.Version, (string?)template["symbols"]!["sdkVersion"]!["defaultValue"]);
    }

    private static string SummaryValue(string output, string key)
    {
        Match match = Regex.Match(output, $@"^\s*{key}: (\d+)\s*$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no '{key}:' in the test summary:\n{output}");
        return match.Groups[1].Value;
    }
}
