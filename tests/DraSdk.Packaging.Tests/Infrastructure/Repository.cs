using System.Reflection;

namespace DraSdk.Packaging.Tests.Infrastructure;

/// <summary>Where the repository is, how it was built, and its version (stamped into this assembly at build).</summary>
internal static class Repository
{
    public static string Root { get; } = Metadata("RepositoryRoot").TrimEnd('/');

    public static string Configuration { get; } = Metadata("Configuration");

    public static string Version { get; } = Metadata("DraSdkVersion");

    /// <summary>The library projects under src/ that pack as packages a driver references (all but the dra tool).</summary>
    public static IReadOnlyList<string> LibraryNames { get; } =
    [
        .. Directory.GetDirectories(Path.Combine(Root, "src"), "DraSdk.*")
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => name != "DraSdk.Cli")
            .Order(StringComparer.Ordinal),
    ];

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Metadata(string key) =>
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"No {key} metadata.");
}
