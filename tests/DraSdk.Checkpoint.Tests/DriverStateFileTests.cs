using System.Text.Json.Serialization;

namespace DraSdk.Checkpoint.Tests;

public sealed class DriverStateFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dsf-" + Guid.NewGuid().ToString("N")[..8]);

    public DriverStateFileTests() => Directory.CreateDirectory(_dir);

    private string BootId => Path.Combine(_dir, "boot_id");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void What_was_saved_in_this_boot_is_read_back_and_an_earlier_boot_reads_as_none()
    {
        File.WriteAllText(BootId, "boot-1\n");
        var file = new DriverStateFile<State>(Path.Combine(_dir, "state.json"), StateJson.Default.State, new DriverStateFileOptions { BootIdPath = BootId });
        Assert.Null(file.Load());

        file.Save(new State { Taints = ["gpu-1"] });
        Assert.Equal(["gpu-1"], file.Load()!.Taints);
        Assert.StartsWith("{\"bootId\":\"boot-1\",\"data\":{", File.ReadAllText(file.Path), StringComparison.Ordinal);

        File.WriteAllText(BootId, "boot-2\n");
        Assert.Null(file.Load());
        var kept = new DriverStateFile<State>(file.Path, StateJson.Default.State, new DriverStateFileOptions { BootIdPath = BootId, BootScoped = false });
        Assert.Equal(["gpu-1"], kept.Load()!.Taints);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"bootId\":\"boot-1\",\"taints\":{}}")]
    [InlineData("{\"data\":{\"taints\":7}}")]
    public void A_file_that_cannot_be_read_is_set_aside_and_reads_as_none(string content)
    {
        string path = Path.Combine(_dir, "state.json");
        File.WriteAllText(path, content);
        var file = new DriverStateFile<State>(path, StateJson.Default.State, new DriverStateFileOptions { BootIdPath = null });

        Assert.Null(file.Load());
        Assert.False(File.Exists(path));
        Assert.Equal(content, File.ReadAllText(Assert.Single(Directory.GetFiles(_dir, "state.json.corrupt-*"))));

        file.Save(new State { Taints = ["gpu-0"] });
        Assert.Equal(["gpu-0"], file.Load()!.Taints);
    }

    [Fact]
    public void Saves_replace_the_file_atomically_and_leave_no_temporary_files()
    {
        var file = new DriverStateFile<State>(Path.Combine(_dir, "state.json"), StateJson.Default.State, new DriverStateFileOptions { BootIdPath = null, Durable = false });
        for (int i = 0; i < 20; i++)
        {
            file.Save(new State { Taints = [$"gpu-{i}"] });
        }

        Assert.Equal(["gpu-19"], file.Load()!.Taints);
        Assert.Equal(["state.json"], Directory.GetFiles(_dir).Select(Path.GetFileName));
        Assert.True(file.Delete());
        Assert.False(file.Delete());
    }
}

public sealed class State
{
    public List<string> Taints { get; set; } = [];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(State))]
internal sealed partial class StateJson : JsonSerializerContext;
