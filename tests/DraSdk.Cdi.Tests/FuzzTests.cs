using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DraSdk.Cdi.Internal;
using FsCheck;
using FsCheck.Fluent;

namespace DraSdk.Cdi.Tests;

/// <summary>
/// Property-based tests of the reader on bad input: FsCheck generates malformed, truncated, mutated and hostile specs;
/// every one must give either a valid spec (that survives a round trip) or precise errors, never another exception,
/// and within a time bound. Each test prints how many inputs it tried.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    /// <summary>The longest one input may take (a 4 MiB input takes well under 100 ms here; slack for loaded CI machines).</summary>
    private static readonly TimeSpan PerInputLimit = TimeSpan.FromSeconds(5);

    private static readonly string[] WholeFileMessages =
    [
        "the file is ", "the file holds no YAML document",
    ];

    private static readonly byte[][] Seeds = BuildSeeds();

    private static byte[][] BuildSeeds()
    {
        var writer = new CdiSpecWriter();
        byte[] gpu = writer.Serialize(Specs.Gpu());
        byte[] every = writer.Serialize(Specs.EveryField());
        byte[] minimal = writer.Serialize(Specs.Minimal());
        byte[] yaml = Encoding.UTF8.GetBytes("""
            ---
            cdiVersion: 0.7.0
            kind: vendor.com/gpu
            annotations: {vendor.com/owner: team}
            containerEdits:
              env: [SHARED=1]
              mounts:
              - hostPath: /usr/lib/libgpu.so
                containerPath: /usr/lib/libgpu.so
                options: [ro, rbind]
            devices:
            - name: "0"
              containerEdits: &e
                deviceNodes:
                - {path: /dev/gpu0, hostPath: /dev/host-gpu0, type: c, major: 195, minor: 0, fileMode: 0666, permissions: rw}
                additionalGids: [44]
                hooks:
                - hookName: createContainer
                  path: /usr/bin/hook
                  args: [hook, update]
                  timeout: 5
            - name: gpu1
              containerEdits: *e
            """);
        return [gpu, every, minimal, yaml];
    }

    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", "\"", ":", ",", "null", "true", "-1", "1e999", "0x", "\\u0000", "\\ud800", "&a ", "*a", "<<: ", "!!str ",
        "!!binary ", "---\n", "...\n", "\t", "\n", "\n  - ", "? ", "|\n", ">-\n", "%YAML 1.1\n", "#", "'", "\"kind\":", "kind: ",
        "\"devices\":[", "cdiVersion: ", "\u00e9", "\U0001F600", "\0",
    ];

    private static Gen<byte[]> Mutated =>
        from seed in Gen.Elements(Seeds)
        from count in Gen.Choose(1, 6)
        from ops in Gen.ArrayOf(Mutation, count)
        select ops.Aggregate(seed, (bytes, op) => op(bytes));

    private static Gen<Func<byte[], byte[]>> Mutation => Gen.OneOf(
        // Truncate.
        Gen.Choose(0, 1000).Select(p => (Func<byte[], byte[]>)(b => b[..Pos(b, p)])),
        // Overwrite a byte (anything, including invalid UTF-8 and NUL).
        Gen.Zip(Gen.Choose(0, 1000), Gen.Choose(0, 255)).Select(t => (Func<byte[], byte[]>)(b =>
        {
            if (b.Length == 0)
            {
                return b;
            }

            byte[] copy = [.. b];
            copy[Pos(b, t.Item1) % b.Length] = (byte)t.Item2;
            return copy;
        })),
        // Insert a structural token.
        Gen.Zip(Gen.Choose(0, 1000), Gen.Elements(Tokens)).Select(t => (Func<byte[], byte[]>)(b =>
        {
            int at = Pos(b, t.Item1);
            return [.. b[..at], .. Encoding.UTF8.GetBytes(t.Item2), .. b[at..]];
        })),
        // Delete a span.
        Gen.Zip(Gen.Choose(0, 1000), Gen.Choose(1, 40)).Select(t => (Func<byte[], byte[]>)(b =>
        {
            int at = Pos(b, t.Item1);
            return [.. b[..at], .. b[Math.Min(b.Length, at + t.Item2)..]];
        })),
        // Repeat a span (duplicate keys, repeated elements).
        Gen.Zip(Gen.Choose(0, 1000), Gen.Choose(1, 80)).Select(t => (Func<byte[], byte[]>)(b =>
        {
            int at = Pos(b, t.Item1);
            byte[] span = b[at..Math.Min(b.Length, at + t.Item2)];
            return [.. b[..at], .. span, .. span, .. b[(at + span.Length)..]];
        })));

    private static int Pos(byte[] bytes, int permille) => (int)((long)bytes.Length * permille / 1000);

    /// <summary>A valid JSON spec with one field replaced by a value of another type (or a new unknown field).</summary>
    private static Gen<byte[]> WrongTypes =>
        from seed in Gen.Elements(Seeds[..3])
        from pick in Gen.Choose(0, 10_000)
        from replacement in Gen.Elements<JsonNode?>(
            null, JsonValue.Create(0), JsonValue.Create(-1), JsonValue.Create(1.5), JsonValue.Create(long.MaxValue),
            JsonValue.Create("x"), JsonValue.Create(true), new JsonArray(), new JsonObject(), new JsonArray(JsonValue.Create(1)),
            new JsonObject { ["unknown"] = 1 })
        from addField in Gen.Elements(false, false, true)
        select ReplaceOne(seed, pick, replacement, addField);

    private static byte[] ReplaceOne(byte[] seed, int pick, JsonNode? replacement, bool addField)
    {
        JsonNode root = JsonNode.Parse(seed)!;
        var slots = new List<JsonNode>();
        Collect(root, slots);
        JsonNode target = slots[pick % slots.Count];
        JsonNode? value = replacement?.DeepClone();
        if (addField && target is JsonObject obj)
        {
            obj["Extra" + (pick % 7).ToString(CultureInfo.InvariantCulture)] = value;
        }
        else if (target.Parent is JsonObject parent)
        {
            parent[target.GetPropertyName()] = value;
        }
        else if (target.Parent is JsonArray array)
        {
            array[target.GetElementIndex()] = value;
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private static void Collect(JsonNode? node, List<JsonNode> slots)
    {
        if (node is null)
        {
            return;
        }

        slots.Add(node);
        switch (node)
        {
            case JsonObject obj:
                foreach (KeyValuePair<string, JsonNode?> child in obj)
                {
                    Collect(child.Value, slots);
                }

                break;
            case JsonArray array:
                foreach (JsonNode? child in array)
                {
                    Collect(child, slots);
                }

                break;
        }
    }

    /// <summary>Deep nesting, huge strings, alias bombs, duplicate keys, random bytes and random text.</summary>
    private static Gen<byte[]> Hostile => Gen.OneOf(
        Gen.Zip(Gen.Choose(1, 200_000), Gen.Elements("[", "{\"a\":", "- ", "a:\n ", "[{\"kind\":")).Select(t =>
            Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(t.Item2, t.Item1)))),
        Gen.Zip(Gen.Choose(0, 5 * 1024 * 1024), Gen.Elements("kind", "name", "env")).Select(t =>
            Encoding.UTF8.GetBytes($"{{\"cdiVersion\":\"0.3.0\",\"{t.Item2}\":\"{new string('x', t.Item1)}\"}}")),
        Gen.Zip(Gen.Choose(1, 12), Gen.Choose(2, 12)).Select(t => AliasBomb(t.Item1, t.Item2)),
        Gen.Zip(Gen.Choose(1, 5), Gen.Elements("cdiVersion", "kind", "name", "env", "path")).Select(t => DuplicateKeys(t.Item1, t.Item2)),
        Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i)),
        Gen.ArrayOf(Gen.Elements(Tokens)).Select(parts => Encoding.UTF8.GetBytes(string.Concat(parts))),
        ArbMap.Default.GeneratorFor<string>().Select(s => Encoding.UTF8.GetBytes(s ?? string.Empty)));

    private static byte[] AliasBomb(int levels, int fanOut)
    {
        var yaml = new StringBuilder("cdiVersion: 0.3.0\nkind: vendor.com/dev\nl0: &l0 [\"A=1\"]\n");
        for (int i = 1; i <= levels; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", fanOut))}]\n");
        }

        yaml.Append(CultureInfo.InvariantCulture, $"devices: [{{name: d, containerEdits: {{env: *l{levels}}}}}]\n");
        return Encoding.UTF8.GetBytes(yaml.ToString());
    }

    private static byte[] DuplicateKeys(int depth, string key)
    {
        string inner = $"{{\"{key}\": 1, \"{key}\": 2}}";
        for (int i = 0; i < depth; i++)
        {
            inner = $"{{\"devices\": [{inner}]}}";
        }

        return Encoding.UTF8.GetBytes(inner);
    }

    /// <summary>Parses one input and checks the contract; returns whether it parsed.</summary>
    private static bool Check(byte[] input)
    {
        var stopwatch = Stopwatch.StartNew();
        bool ok;
        CdiSpec? spec;
        IReadOnlyList<CdiSpecError> errors;
        try
        {
            ok = CdiSpecReader.TryParse(input, "fuzz.yaml", out spec, out errors);
        }
        catch (Exception e)
        {
            Assert.Fail($"TryParse threw {e.GetType().Name} on input (base64) {Convert.ToBase64String(input[..Math.Min(input.Length, 4096)])}: {e}");
            throw;
        }

        stopwatch.Stop();
        Assert.True(stopwatch.Elapsed < PerInputLimit, $"{input.Length}-byte input took {stopwatch.Elapsed}");
        if (ok)
        {
            Assert.NotNull(spec);
            Assert.Empty(errors);
            Assert.Empty(SpecValidator.Validate(spec, strictVendor: false));
            // A spec that reads is written back and reads again to the same bytes.
            byte[] json = CdiJson.Serialize(spec);
            Assert.Equal(Encoding.UTF8.GetString(json), Encoding.UTF8.GetString(CdiJson.Serialize(CdiSpecReader.Parse(json, "again.json"))));
            return true;
        }

        Assert.Null(spec);
        Assert.NotEmpty(errors);
        foreach (CdiSpecError error in errors)
        {
            Assert.Equal("fuzz.yaml", error.SourceName);
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
            Assert.True(error.Field is not null || error.Line > 0 || WholeFileMessages.Any(m => error.Message.StartsWith(m, StringComparison.Ordinal)),
                $"imprecise error: {error}");
        }

        // Parse throws exactly our exception type with the same errors.
        CdiSpecException thrown = Assert.Throws<CdiSpecException>(() => CdiSpecReader.Parse(input, "fuzz.yaml"));
        Assert.Equal(errors, thrown.Errors);
        return false;
    }

    private int Run(string what, Gen<byte[]> gen, int count, int size, ulong seed)
    {
        byte[][] inputs = gen.Sample(count, new Rnd(seed, 0x9E3779B97F4A7C15UL), size);
        int parsed = inputs.Count(Check);
        output.WriteLine($"{what}: {inputs.Length} inputs tried, {parsed} parsed as valid specs, {inputs.Length - parsed} rejected with errors (seed {seed})");
        return inputs.Length;
    }

    [Fact]
    public void Mutated_and_truncated_specs_never_crash() =>
        Assert.Equal(6000, Run("mutated/truncated", Mutated, 6000, 50, 20260101));

    [Fact]
    public void Fields_of_the_wrong_type_get_a_precise_error() =>
        Assert.Equal(3000, Run("wrong types", WrongTypes, 3000, 50, 20260102));

    [Fact]
    public void Hostile_inputs_are_bounded() =>
        Assert.Equal(600, Run("hostile", Hostile, 600, 200, 20260103));

    [Fact]
    public void Truncation_at_every_byte_of_a_spec_is_an_error()
    {
        byte[] json = Seeds[0];
        byte[] yaml = Seeds[3];
        int tried = 0;
        for (int i = 0; i < json.Length - 2; i++, tried++)
        {
            Assert.False(Check(json[..i]), $"a JSON spec cut at byte {i} parsed");
        }

        for (int i = 0; i < yaml.Length; i++, tried++)
        {
            Check(yaml[..i]); // a YAML document cut at a line end can be a valid (smaller) spec
        }

        output.WriteLine($"truncation: {tried} inputs tried");
    }
}
