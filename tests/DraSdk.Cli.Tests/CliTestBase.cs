namespace DraSdk.Cli.Tests;

/// <summary>What the dra command tests share: the samples, a scratch folder, and running the CLI in-process.</summary>
public abstract class CliTestBase : IDisposable
{
    /// <summary>The samples shipped with the CLI (src/DraSdk.Cli/samples), copied next to the tests.</summary>
    protected static readonly string Samples = Path.Combine(AppContext.BaseDirectory, "samples");

    private readonly string _dir = Directory.CreateTempSubdirectory("dra-cli-tests-").FullName;

    /// <summary>Deletes the scratch folder.</summary>
    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs dra in-process: its exit code, standard output and standard error.</summary>
    protected static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Writes an input file to the scratch folder and returns its path.</summary>
    protected string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }
}
