
namespace DraSdk.Packaging.Tests.Infrastructure;

/// <summary>The tests that share one generated driver: they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class TemplateWorkspaceGroup : ICollectionFixture<TemplateWorkspace>
{
    public const string Name = "template";
}

/// <summary>
/// The template installed from its folder into a throwaway hive (<c>--debug:custom-hive</c>), and one driver generated
/// from it as a newcomer would: <c>dotnet new dra-driver -n Acme.FpgaDriver --driver-name fpga.acme.com ...</c>,
/// which restores (the template's post-action) against the packages of <see cref="PackageFeed"/>, then built.
/// </summary>
public sealed class TemplateWorkspace(PackageFeed feed) : IAsyncLifetime
{
    public const string ProjectName = "Acme.FpgaDriver";
    public const string DriverName = "fpga.acme.com";

    public PackageFeed Feed => feed;

    public string Hive => Path.Combine(feed.WorkDirectory, "hive");

    /// <summary>The generated solution.</summary>
    public string Solution => Path.Combine(feed.WorkDirectory, ProjectName);

    public static string TemplateSource => Repository.PathOf("templates", "DraSdk.Templates", "content", "dra-driver");

    /// <summary><c>dotnet new</c> with its restore post-action.</summary>
    public CommandResult Generated { get; private set; } = null!;

    public CommandResult Built { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        (await DotnetCli.RunAsync(feed.WorkDirectory, "new", "install", TemplateSource, "--debug:custom-hive", Hive)).EnsureSuccess();
        Generated = (await NewAsync(ProjectName, "--driver-name", DriverName, "--device-kind", "fpga", "--device-count", "2")).EnsureSuccess();
        Built = (await DotnetCli.RunAsync(Solution, "build", "--no-restore", "-nologo")).EnsureSuccess();
    }

    /// <summary>Runs <c>dotnet new dra-driver</c> into the work directory with the packages' version.</summary>
    public Task<CommandResult> NewAsync(string name, params string[] options) =>
        DotnetCli.RunAsync(feed.WorkDirectory, ["new", "dra-driver", "-n", name, "-o", name, "--sdk-version", Repository.Version, "--debug:custom-hive", Hive, .. options]);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Files of a generated solution, without build outputs.</summary>
    public static IReadOnlyList<string> SourceFiles(string solution) =>
    [
        .. Directory.EnumerateFiles(solution, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(solution, f))
            .Where(f => !f.Split('/').Any(part => part is "bin" or "obj" or "TestResults"))
            .Order(StringComparer.Ordinal),
    ];
}
