namespace DraSdk.Preparation.Tests;

/// <summary>The complete driver the prepare-pipeline guide shows is the one these tests compile and run.</summary>
public sealed class MinimalDriverDocsTests
{
    [Fact]
    public void The_guide_shows_the_minimal_driver_these_tests_run_unchanged()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "DraSdk.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("DraSdk.sln not found above " + AppContext.BaseDirectory);
        }

        string guide = File.ReadAllText(Path.Combine(root, "docs", "guides", "prepare-pipeline.md")).ReplaceLineEndings("\n");
        string code = File.ReadAllText(Path.Combine(root, "tests", "DraSdk.Preparation.Tests", "MinimalDriver.cs")).ReplaceLineEndings("\n");
        int start = guide.IndexOf("<!-- minimal-driver -->\n```csharp\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "the guide has no minimal-driver block");
        start = guide.IndexOf('\n', guide.IndexOf("```csharp", start, StringComparison.Ordinal)) + 1;
        int end = guide.IndexOf("```\n", start, StringComparison.Ordinal);

        Assert.Equal(code.TrimEnd('\n'), guide[start..end].TrimEnd('\n'));
    }
}
