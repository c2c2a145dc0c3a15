using System.Reflection;
using System.Text;
using DraSdk.Packaging.Tests.Infrastructure;

namespace DraSdk.Packaging.Tests;

/// <summary>
/// docs/api holds the public API of every package, rendered from the assemblies and their XML documentation: it must
/// be what the code says. After an API change: <c>UPDATE_API_REFERENCE=1 dotnet test tests/DraSdk.Packaging.Tests</c>.
/// </summary>
public sealed class ApiReferenceTests
{
    private static readonly string Directory = Repository.PathOf("docs", "api");

    public static TheoryData<string> Libraries => [.. Repository.LibraryNames];

    [Theory]
    [MemberData(nameof(Libraries))]
    public void The_api_reference_of_each_package_is_current(string library)
    {
        // The generated gRPC and protobuf classes are listed by type only; their members are the .proto messages'.
        string rendered = ApiReference.Render(Assembly.Load(library), typesOnly: library == "DraSdk.Kubelet.Api");

        AssertCurrent(Path.Combine(Directory, library + ".md"), rendered);
        Assert.DoesNotContain("|  |", rendered.Replace("| (inherited) |", "| x |", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void The_index_lists_every_package_and_its_public_types()
    {
        var text = new StringBuilder("# API reference\n\n");
        text.Append("One page per package, generated from the assemblies and their XML documentation by `tests/DraSdk.Packaging.Tests` ")
            .Append("(`ApiReferenceTests`, which fails when a page is stale; `UPDATE_API_REFERENCE=1 dotnet test tests/DraSdk.Packaging.Tests` ")
            .Append("rewrites them). Start with the [guides](../README.md) for how the pieces fit.\n\n")
            .Append("| Package | Public types |\n| --- | --- |\n");
        foreach (string library in Repository.LibraryNames)
        {
            Type[] types = Assembly.Load(library).GetExportedTypes();
            string names = library == "DraSdk.Kubelet.Api"
                ? $"{types.Length} generated gRPC/protobuf types"
                : string.Join(", ", types.Where(t => !t.IsNested).Select(t => t.Name.Split('`')[0]).Order(StringComparer.Ordinal).Select(n => $"`{n}`"));
            text.Append(CultureInfo.InvariantCulture, $"| [{library}]({library}.md) | {names} |\n");
        }

        AssertCurrent(Path.Combine(Directory, "README.md"), text.ToString());
    }

    private static void AssertCurrent(string path, string rendered)
    {
        if (Environment.GetEnvironmentVariable("UPDATE_API_REFERENCE") == "1")
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, rendered);
            return;
        }

        Assert.True(File.Exists(path), $"{path} is missing: run UPDATE_API_REFERENCE=1 dotnet test tests/DraSdk.Packaging.Tests");
        string committed = File.ReadAllText(path);
        if (committed != rendered)
        {
            string[] a = committed.Split('\n'), b = rendered.Split('\n');
            int line = Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], Math.Min(a.Length, b.Length));
            Assert.Fail($"{Path.GetFileName(path)} is stale from line {line + 1}:\n  committed: {(line < a.Length ? a[line] : "<end>")}\n  current:   {(line < b.Length ? b[line] : "<end>")}\n" +
                "Run UPDATE_API_REFERENCE=1 dotnet test tests/DraSdk.Packaging.Tests and commit docs/api.");
        }
    }
}
