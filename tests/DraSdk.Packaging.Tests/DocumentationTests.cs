using System.Text.RegularExpressions;
using DraSdk.Packaging.Tests.Infrastructure;

namespace DraSdk.Packaging.Tests;

/// <summary>The markdown of the repository: every relative link points at a file that exists (and a heading, if it names one).</summary>
public sealed partial class DocumentationTests
{
    public static TheoryData<string> MarkdownFiles =>
    [
        .. Directory.EnumerateFiles(Repository.Root, "*.md", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Repository.Root, f))
            .Where(f => !f.Split('/').Any(part => part is "bin" or "obj" or ".git" or "node_modules" or "BenchmarkDotNet.Artifacts"))
            .Order(StringComparer.Ordinal),
    ];

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void Every_relative_link_resolves(string file)
    {
        string path = Repository.PathOf(file);
        string text = CodeBlock().Replace(File.ReadAllText(path), string.Empty);
        var broken = new List<string>();
        foreach (Match link in Link().Matches(text))
        {
            string target = link.Groups[1].Value;
            if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
            {
                continue;
            }

            string[] parts = target.Split('#', 2);
            string resolved = parts[0].Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, Uri.UnescapeDataString(parts[0])));
            if (!Path.Exists(resolved))
            {
                broken.Add($"{target} (no such file)");
            }
            else if (parts.Length == 2 && resolved.EndsWith(".md", StringComparison.Ordinal) && !Anchors(resolved).Contains(parts[1]))
            {
                broken.Add($"{target} (no such heading)");
            }
        }

        Assert.True(broken.Count == 0, $"{file}: {string.Join(", ", broken)}");
    }

    /// <summary>The anchors GitHub gives a file's headings: lowercase, punctuation dropped, spaces to '-'.</summary>
    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match heading in Heading().Matches(CodeBlock().Replace(File.ReadAllText(markdown), string.Empty)))
        {
            string slug = AnchorDrop().Replace(heading.Groups[1].Value.Trim().ToLowerInvariant(), string.Empty).Replace(' ', '-');
            string unique = slug;
            for (int n = 1; !anchors.Add(unique); n++)
            {
                unique = $"{slug}-{n}";
            }
        }

        return anchors;
    }

    [GeneratedRegex(@"\]\(([^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6}\s+(.+?)\s*#*\s*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{Nd}\- _]")]
    private static partial Regex AnchorDrop();

    [GeneratedRegex(@"^(```|~~~).*?^\1", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
