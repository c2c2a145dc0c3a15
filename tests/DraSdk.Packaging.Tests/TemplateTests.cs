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
            "deployments/helm/acme-fpgadriver/templates/_helpers.tpl", "deployments/helm/acme-fpgadriver/templates/daemonset.yaml", "deployments/helm/acme-fpgadriver/templates/deviceclass.yaml",
            "deployments/helm/acme-fpgadriver/templates/rbac.yaml", "deployments/helm/acme-fpgadriver/templates/validatingadmissionpolicy.yaml",
            "deployments/helm/acme-fpgadriver/values-kind.yaml", "deployments/helm/acme-fpgadriver/values.schema.json", "deployments/helm/acme-fpgadriver/values.yaml",
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

    /// <summary>
    /// README's "Start a driver" block, run as written by bash (stopping at the first failing command) from the root of
    /// the repository, with a HOME of its own (so its template hive, NuGet config and ~/src are a fresh machine's). One
    /// line is replaced to keep CI short: <c>dotnet pack DraSdk.sln</c> (a Release build of everything) by the packages
    /// this run already packed plus the template packed here; and NuGet's package folder is this run's, where DraSdk.* is
    /// this build's.
    /// </summary>
    [Fact]
    public async Task The_README_start_block_pasted_into_a_shell_ends_with_green_tests()
    {
        string readme = File.ReadAllText(Repository.PathOf("README.md"));
        Match section = Regex.Match(readme, @"^## Start a driver\n.*?^```sh\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(section.Success, "README.md has no sh block under '## Start a driver'");
        string block = section.Groups[1].Value;
        const string Pack = "dotnet pack DraSdk.sln -o ~/drasdk-packages";
        Assert.Contains(Pack + "\n", block, StringComparison.Ordinal);
        Assert.Contains($"~/drasdk-packages/DraSdk.Templates.{Repository.Version}.nupkg", block, StringComparison.Ordinal);
        Assert.EndsWith("dotnet test\n", block, StringComparison.Ordinal);

        // Outside the work directory of the feed, whose NuGet.config would otherwise apply to everything below it.
        string home = Path.Combine(Path.GetTempPath(), "drasdk-readme-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(home);
        try
        {
            string pack = $"mkdir -p ~/drasdk-packages && cp '{workspace.Feed.FeedDirectory}'/*.nupkg ~/drasdk-packages/ && " +
                $"dotnet pack '{Repository.PathOf("templates", "DraSdk.Templates")}' -o ~/drasdk-packages -nologo -v q";
            var environment = new Dictionary<string, string> { ["HOME"] = home, ["NUGET_PACKAGES"] = Path.Combine(workspace.Feed.WorkDirectory, "packages") };
            CommandResult run = await DotnetCli.RunScriptAsync(Repository.Root, TimeSpan.FromMinutes(8), environment, block.Replace(Pack, pack, StringComparison.Ordinal));

            Assert.True(run.ExitCode == 0, run.Output);
            Assert.DoesNotMatch(@"error [A-Z]+[0-9]+", run.Output); // e.g. NU1101: a package the sources do not have
            Assert.Equal("0", SummaryValue(run.Output, "failed"));
            Assert.Equal("10", SummaryValue(run.Output, "succeeded"));
            Assert.True(File.Exists(Path.Combine(home, "src", "Acme.FpgaDriver", "Acme.FpgaDriver.slnx")));
            TestContext.Current.TestOutputHelper?.WriteLine($"README block: {run.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
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
        // The error comes before the engine's own words about the post-action that fails on purpose.
        int error = result.Output.IndexOf($"Manual instructions: ERROR: nothing was generated: {message}", StringComparison.Ordinal);
        Assert.True(error >= 0, result.Output);
        Assert.True(error < result.Output.IndexOf("Post action failed.", StringComparison.Ordinal), result.Output);
        Assert.Equal(1, Regex.Count(result.Output, "ERROR: "));
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
