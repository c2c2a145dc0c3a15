using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DraSdk.Packaging.Tests.Infrastructure;

namespace DraSdk.Packaging.Tests;

/// <summary>Every package of src/ as `dotnet pack` makes it: metadata, content, symbols, dependencies.</summary>
public sealed partial class PackageTests(PackageFeed feed)
{
    public static TheoryData<string> Libraries => [.. Repository.LibraryNames];

    [Fact]
    public void Every_project_under_src_packs_and_nothing_else_does()
    {
        string[] expected = [.. Repository.LibraryNames.Append("DraSdk.Cli").Select(n => $"{n}.{Repository.Version}.nupkg").Order(StringComparer.Ordinal)];

        Assert.Equal(expected, feed.Packages.Select(Path.GetFileName));
        Assert.Equal(expected.Select(p => p.Replace(".nupkg", ".snupkg", StringComparison.Ordinal)), Directory.GetFiles(feed.FeedDirectory, "*.snupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    [InlineData("DraSdk.Cli")]
    public void Package_metadata_is_complete(string id)
    {
        using ZipArchive package = Open(id, "nupkg");
        XElement metadata = Nuspec(package).Element(N("metadata"))!;

        Assert.Equal(id, metadata.Element(N("id"))?.Value);
        Assert.Equal(Repository.Version, metadata.Element(N("version"))?.Value);
        Assert.True(metadata.Element(N("description"))?.Value.Length >= 40, $"{id}: a description of at least 40 characters");
        Assert.Equal("DraSdk contributors", metadata.Element(N("authors"))?.Value);
        XElement license = metadata.Element(N("license"))!;
        Assert.Equal(("expression", "Apache-2.0"), ((string?)license.Attribute("type"), license.Value));
        Assert.Equal("https://github.com/drasdk/drasdk", metadata.Element(N("projectUrl"))?.Value);
        Assert.Contains("kubernetes", metadata.Element(N("tags"))?.Value.Split(' ') ?? []);
        Assert.Contains("Copyright", metadata.Element(N("copyright"))?.Value, StringComparison.Ordinal);

        XElement repository = metadata.Element(N("repository"))!;
        Assert.Equal("git", (string?)repository.Attribute("type"));
        Assert.Equal("https://github.com/drasdk/drasdk", (string?)repository.Attribute("url"));
        Assert.Matches(CommitPattern(), (string?)repository.Attribute("commit") ?? string.Empty);

        // The README shown on nuget.org: the package's own, at the package root.
        Assert.Equal("README.md", metadata.Element(N("readme"))?.Value);
        using var readme = new StreamReader(package.GetEntry("README.md")!.Open());
        Assert.Equal(File.ReadAllText(Repository.PathOf("src", id, "README.md")), readme.ReadToEnd());
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public void A_library_ships_its_assembly_xml_docs_and_symbols_built_deterministically(string id)
    {
        using ZipArchive package = Open(id, "nupkg");
        string[] files = [.. package.Entries.Select(e => e.FullName).Where(f => f.StartsWith("lib/", StringComparison.Ordinal))];
        Assert.Equal([$"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml"], files.Order(StringComparer.Ordinal));

        // XML docs with an entry per public type.
        using (Stream xml = package.GetEntry($"lib/net10.0/{id}.xml")!.Open())
        {
            Assert.Contains(XDocument.Load(xml).Descendants("member"), m => ((string?)m.Attribute("name"))?.StartsWith("T:", StringComparison.Ordinal) == true);
        }

        // Deterministic: the PE carries the "reproducible" debug entry, and the symbol package has the matching PDB.
        using var dll = new MemoryStream();
        using (Stream entry = package.GetEntry($"lib/net10.0/{id}.dll")!.Open())
        {
            entry.CopyTo(dll);
        }

        dll.Position = 0;
        using var pe = new PEReader(dll);
        DebugDirectoryEntry[] debug = [.. pe.ReadDebugDirectory()];
        Assert.Contains(debug, d => d.Type == DebugDirectoryEntryType.Reproducible);
        CodeViewDebugDirectoryData codeView = pe.ReadCodeViewDebugDirectoryData(debug.First(d => d.Type == DebugDirectoryEntryType.CodeView));

        using ZipArchive symbols = Open(id, "snupkg");
        ZipArchiveEntry pdbEntry = symbols.GetEntry($"lib/net10.0/{id}.pdb") ?? throw new Xunit.Sdk.XunitException($"{id}.snupkg has no PDB");
        using var pdb = new MemoryStream();
        using (Stream entry = pdbEntry.Open())
        {
            entry.CopyTo(pdb);
        }

        pdb.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
        var pdbId = new BlobContentId(provider.GetMetadataReader().DebugMetadataHeader!.Id);
        Assert.Equal(codeView.Guid, pdbId.Guid);
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public void Dependencies_are_the_project_references_as_version_ranges_and_central_versions(string id)
    {
        using ZipArchive package = Open(id, "nupkg");
        XElement group = Assert.Single(Nuspec(package).Element(N("metadata"))!.Element(N("dependencies"))!.Elements(N("group")));
        Assert.Equal("net10.0", (string?)group.Attribute("targetFramework"));
        Dictionary<string, string> dependencies = group.Elements(N("dependency")).ToDictionary(d => (string)d.Attribute("id")!, d => (string)d.Attribute("version")!);

        // Each ProjectReference to another library becomes a dependency on its package, ">= this version" (a bare
        // version is NuGet's minimum-inclusive range), which restores from a folder feed holding this version.
        XDocument project = XDocument.Load(Repository.PathOf("src", id, id + ".csproj"));
        string[] referenced = [.. project.Descendants("ProjectReference").Select(r => Path.GetFileNameWithoutExtension((string)r.Attribute("Include")!)).Order(StringComparer.Ordinal)];
        Assert.Equal(referenced, dependencies.Keys.Where(k => k.StartsWith("DraSdk.", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.All(referenced, r => Assert.Equal(Repository.Version, dependencies[r]));

        // The other dependencies carry the versions of Directory.Packages.props; no test framework leaks in.
        XDocument central = XDocument.Load(Repository.PathOf("Directory.Packages.props"));
        Dictionary<string, string> versions = central.Descendants("PackageVersion").ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!);
        foreach ((string dependency, string version) in dependencies.Where(d => !d.Key.StartsWith("DraSdk.", StringComparison.Ordinal)))
        {
            Assert.True(versions.TryGetValue(dependency, out string? expected), $"{id} depends on {dependency}, which Directory.Packages.props does not pin");
            Assert.Equal(expected, version);
            Assert.DoesNotContain("xunit", dependency, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void The_dra_cli_is_a_dotnet_tool()
    {
        using ZipArchive package = Open("DraSdk.Cli", "nupkg");
        XElement metadata = Nuspec(package).Element(N("metadata"))!;

        Assert.Equal("DotnetTool", (string?)metadata.Element(N("packageTypes"))?.Element(N("packageType"))?.Attribute("name"));
        using Stream settings = package.Entries.Single(e => e.FullName.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal)).Open();
        Assert.Equal("dra", (string?)XDocument.Load(settings).Descendants("Command").Single().Attribute("Name"));
    }

    private ZipArchive Open(string id, string extension) =>
        ZipFile.OpenRead(Path.Combine(feed.FeedDirectory, $"{id}.{Repository.Version}.{extension}"));

    private static XElement Nuspec(ZipArchive package)
    {
        using Stream stream = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        XElement root = XDocument.Load(stream).Root!;
        foreach (XElement element in root.DescendantsAndSelf())
        {
            element.Name = element.Name.LocalName; // libraries and tools use different nuspec schema namespaces
        }

        return root;
    }

    private static XName N(string local) => local;

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}
