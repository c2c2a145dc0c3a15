using System.Text.Json;
using System.Text.Json.Serialization;

namespace DraSdk.KubeletPlugin.Tests;

/// <summary>OpaqueDeviceConfig.Deserialize: strict by default, and every error names the field and what was wrong.</summary>
public sealed class OpaqueDeviceConfigTests
{
    private const string At = "status.allocation.devices.config[2].opaque.parameters";

    [Fact]
    public void A_valid_config_is_read_with_camel_case_names()
    {
        SampleConfig config = Config("""{"apiVersion":"a/v1","kind":"Sample","replicas":3,"sharing":{"strategy":"TimeSlicing"},"ids":[1,2]}""").Deserialize<SampleConfig>();

        Assert.Equal(("a/v1", "Sample", 3, Strategy.TimeSlicing), (config.ApiVersion, config.Kind, config.Replicas, config.Sharing!.Strategy));
        Assert.Equal([1, 2], config.Ids!);
    }

    [Theory]
    [InlineData("""{"Replicas":3}""", ".Replicas: unknown field")]
    [InlineData("""{"replicas":3,"sharing":{"strategy":"MPS","bogus":1}}""", ".sharing.bogus: unknown field")]
    [InlineData("""{"replicas":"3"}""", ".replicas: must be an integer, not the string \"3\"")]
    [InlineData("""{"replicas":3,"replicas":4}""", ".replicas: the field is given more than once")]
    [InlineData("""{"replicas":1.5}""", ".replicas: must be an integer, not the number 1.5")]
    [InlineData("""{"sharing":{"strategy":"Turbo"}}""", ".sharing.strategy: must be a valid Strategy, not the string \"Turbo\"")]
    [InlineData("""{"sharing":"MPS"}""", ".sharing: must be a valid SharingSettings, not the string \"MPS\"")]
    [InlineData("""{"ids":[1,"two"]}""", ".ids[1]: must be an integer, not the string \"two\"")]
    [InlineData("""{"ids":{}}""", ".ids: must be a list, not an object")]
    [InlineData("""{"apiVersion":true}""", ".apiVersion: must be a string, not true")]
    [InlineData("""[1]""", ": must be a valid SampleConfig, not a list")]
    public void A_bad_config_is_reported_at_its_field_in_words_a_claim_author_knows(string json, string expected)
    {
        OpaqueConfigException error = Assert.Throws<OpaqueConfigException>(() => Config(json).Deserialize<SampleConfig>());

        Assert.Equal($"invalid opaque device configuration at {At}{expected}", error.Message);
        Assert.StartsWith(At, error.Path, StringComparison.Ordinal);
        Assert.IsAssignableFrom<JsonException>(error.InnerException);
    }

    [Fact]
    public void Options_of_the_driver_replace_the_strict_defaults()
    {
        var lenient = new JsonSerializerOptions(JsonSerializerDefaults.Web);

        SampleConfig config = Config("""{"Replicas":"3","unknown":1}""").Deserialize<SampleConfig>(lenient);

        Assert.Equal(3, config.Replicas);
    }

    private static OpaqueDeviceConfig Config(string json) =>
        new(2, ConfigSource.FromClaim, [], JsonDocument.Parse(json).RootElement.Clone());

    private sealed class SampleConfig
    {
        public string? ApiVersion { get; set; }

        public string? Kind { get; set; }

        public int Replicas { get; set; }

        public SharingSettings? Sharing { get; set; }

        public List<int>? Ids { get; set; }
    }

    private sealed class SharingSettings
    {
        [JsonConverter(typeof(JsonStringEnumConverter<Strategy>))]
        public Strategy Strategy { get; set; }
    }

    private enum Strategy
    {
        TimeSlicing,
        MPS,
    }
}
