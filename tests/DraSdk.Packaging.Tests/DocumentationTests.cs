using System.Text.RegularExpressions;
using DraSdk.Packaging.Tests.Infrastructure;

namespace DraSdk.Packaging.Tests;

/// <summary>The markdown of the repository: every relative link points at a file that exists (and a heading, if it names one).</summary>
public sealed partial class DocumentationTests
{
    public static TheoryData<string> MarkdownFiles => [.. MarkdownPaths];

    private static IReadOnlyList<string> MarkdownPaths =>
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
            if (!InsideRepository(resolved))
            {
                broken.Add($"{target} (outside the repository)");
            }
            else if (!Path.Exists(resolved))
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

    /// <summary>
    /// The paths a doc names in inline code (<c>`examples/NvidiaGpuDriver/deployments/`</c>) and in its shell blocks
    /// (after <c>--project</c>, <c>replay:</c>, <c>bash</c>, <c>-f</c>) exist in a clone: a path is checked when it starts
    /// with a top-level folder of the repository, with an entry of the doc's own folder (then it is relative to that
    /// folder), or with <c>../</c>; it must stay inside the repository. A path of a generated driver
    /// (<c>src/Acme.FpgaDriver/...</c>) is looked up in the template's content; the template's own README is relative
    /// to that content.
    /// </summary>
    [Fact]
    public void Every_path_the_docs_name_exists_in_a_clone()
    {
        string template = TemplateWorkspace.TemplateSource;
        HashSet<string> topLevel = [.. Directory.GetDirectories(Repository.Root).Select(Path.GetFileName).OfType<string>().Where(n => n is not "bin" and not "obj")];
        int checkedPaths = 0;
        var missing = new List<string>();
        foreach (string file in MarkdownPaths)
        {
            string path = Repository.PathOf(file);
            string directory = Path.GetDirectoryName(path)!;
            bool inTemplate = path.StartsWith(template + "/", StringComparison.Ordinal);
            HashSet<string> siblings = [.. Directory.GetFileSystemEntries(directory).Select(Path.GetFileName).OfType<string>()];
            string text = File.ReadAllText(path);
            IEnumerable<string> named = InlineCode().Matches(CodeBlock().Replace(text, string.Empty)).Select(m => m.Groups[1].Value.Trim())
                .Concat(ShellBlock().Matches(text).SelectMany(block => ShellPath().Matches(block.Groups[1].Value).Select(m => m.Groups[1].Value)));
            foreach (string candidate in named.Where(c => PathLike().IsMatch(c) && (c.Contains('/', StringComparison.Ordinal) || c.StartsWith("..", StringComparison.Ordinal))))
            {
                string first = candidate.Split('/')[0];
                bool relativeToDoc = siblings.Contains(first);
                if (!candidate.StartsWith("../", StringComparison.Ordinal) && !topLevel.Contains(first) && !relativeToDoc)
                {
                    continue;
                }

                checkedPaths++;
                string[] bases = inTemplate ? [template] : relativeToDoc ? [directory, Repository.Root] : [Repository.Root];
                string generated = candidate.Replace("Acme.FpgaDriver", "Acme.DeviceDriver", StringComparison.Ordinal)
                    .Replace("acme-fpgadriver", "acme-devicedriver", StringComparison.Ordinal).Replace("AcmeDeviceDriverProject", "Acme.DeviceDriver", StringComparison.Ordinal);
                bool found = bases.Any(b => Exists(b, candidate) || Exists(b, generated)) || (!inTemplate && Exists(template, generated));
                if (!found)
                {
                    missing.Add($"{file}: {candidate}");
                }
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{checkedPaths} paths checked in {MarkdownPaths.Count} markdown files");
        Assert.True(checkedPaths > 100, $"only {checkedPaths} paths found: the scan is broken");
        Assert.True(missing.Count == 0, "paths that are not in a clone:\n" + string.Join('\n', missing));
    }

    private static bool Exists(string baseDirectory, string relative)
    {
        string full = Path.GetFullPath(Path.Combine(baseDirectory, relative));
        if (!InsideRepository(full))
        {
            return false;
        }

        if (!relative.Contains('*', StringComparison.Ordinal))
        {
            return Path.Exists(full);
        }

        // A pattern: each segment with a '*' matches entries of the folders found so far.
        IEnumerable<string> found = ["/"];
        foreach (string segment in full.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            found = segment.Contains('*', StringComparison.Ordinal)
                ? [.. found.Where(Directory.Exists).SelectMany(d => Directory.EnumerateFileSystemEntries(d, segment))]
                : [.. found.Select(d => Path.Combine(d, segment)).Where(Path.Exists)];
        }

        return found.Any();
    }

    private static bool InsideRepository(string full) => full == Repository.Root || full.StartsWith(Repository.Root + "/", StringComparison.Ordinal);

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

    [GeneratedRegex(@"`([^`\n]+)`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"^```(?:sh|bash|shell)[ \t]*\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex(@"(?:--project\s+|replay:|bash\s+|-f\s+)(\S+)")]
    private static partial Regex ShellPath();

    [GeneratedRegex(@"^(\.\.?/)*[A-Za-z0-9_.-]+(/[A-Za-z0-9_.*-]+)*/?$")]
    private static partial Regex PathLike();
}
