using System.Security;
using System.Text;

[assembly: AssemblyFixture(typeof(DraSdk.Packaging.Tests.Infrastructure.PackageFeed))]

namespace DraSdk.Packaging.Tests.Infrastructure;

/// <summary>
/// The SDK's packages as a driver author gets them: every project under src/ packed (from the build the tests run on)
/// into a folder feed, and a NuGet.config in the work directory that takes DraSdk.* only from that feed, into a
/// packages folder of this run (so no DraSdk package of the same version cached by an earlier run is ever used).
/// Set KEEP_PACKAGING_WORK=1 to keep the work directory.
/// </summary>
public sealed class PackageFeed : IAsyncLifetime
{
    public string WorkDirectory { get; } = Path.Combine(Path.GetTempPath(), "drasdk-pkg-" + Guid.NewGuid().ToString("N")[..8]);

    public string FeedDirectory => Path.Combine(WorkDirectory, "feed");

    public CommandResult PackResult { get; private set; } = null!;

    /// <summary>Full paths of the .nupkg files (not the .snupkg).</summary>
    public IReadOnlyList<string> Packages => [.. Directory.GetFiles(FeedDirectory, "*.nupkg").Order(StringComparer.Ordinal)];

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(FeedDirectory);
        string[] projects =
        [
            .. Repository.LibraryNames.Select(n => Repository.PathOf("src", n, n + ".csproj")),
            Repository.PathOf("src", "DraSdk.Cli", "DraSdk.Cli.csproj"),
        ];
        var traversal = new StringBuilder("<Project>\n  <ItemGroup>\n");
        foreach (string project in projects)
        {
            traversal.Append(CultureInfo.InvariantCulture, $"    <PackProject Include=\"{SecurityElement.Escape(project)}\" />\n");
        }

        traversal.Append(CultureInfo.InvariantCulture, $"""
              </ItemGroup>
              <Target Name="PackAll">
                <MSBuild Projects="@(PackProject)" Targets="Pack" BuildInParallel="true"
                         Properties="NoBuild=true;Configuration={Repository.Configuration};PackageOutputPath={SecurityElement.Escape(FeedDirectory)}/" />
              </Target>
            </Project>
            """);
        string traversalPath = Path.Combine(WorkDirectory, "pack-all.proj");
        await File.WriteAllTextAsync(traversalPath, traversal.ToString());
        PackResult = (await DotnetCli.RunAsync(WorkDirectory, "msbuild", traversalPath, "-t:PackAll", "-m", "-nologo", "-v:m")).EnsureSuccess();

        await File.WriteAllTextAsync(Path.Combine(WorkDirectory, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="drasdk-local" value="{SecurityElement.Escape(FeedDirectory)}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="drasdk-local"><package pattern="DraSdk.*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
              <config>
                <add key="globalPackagesFolder" value="{SecurityElement.Escape(Path.Combine(WorkDirectory, "packages"))}" />
              </config>
            </configuration>
            """);
    }

    public ValueTask DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("KEEP_PACKAGING_WORK") != "1")
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}
