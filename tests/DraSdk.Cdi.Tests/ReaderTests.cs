using System.Globalization;
using System.Text;

namespace DraSdk.Cdi.Tests;

public sealed class ReaderTests
{
    private const string Source = "/etc/cdi/vendor.yaml";

    private static CdiSpec Parse(string text, string source = Source) => CdiSpecReader.Parse(Encoding.UTF8.GetBytes(text), source);

    private static IReadOnlyList<CdiSpecError> Errors(string text, string source = Source)
    {
        Assert.False(CdiSpecReader.TryParse(Encoding.UTF8.GetBytes(text), source, out CdiSpec? spec, out IReadOnlyList<CdiSpecError> errors));
        Assert.Null(spec);
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Equal(source, e.SourceName));
        return errors;
    }

    private static CdiSpecError Single(string text) => Assert.Single(Errors(text));

    private static string Canonical(CdiSpec spec) => Encoding.UTF8.GetString(new CdiSpecWriter().Serialize(spec));

    [Theory]
    [InlineData("gpu")]
    [InlineData("every")]
    public void Writer_output_reads_back_to_the_same_spec(string which)
    {
        CdiSpec original = which == "gpu" ? Specs.Gpu() : Specs.EveryField();
        byte[] json = new CdiSpecWriter().Serialize(original);

        CdiSpec read = CdiSpecReader.Parse(json, "spec.json");

        Assert.Equal(original.GetMinimumVersion().Version, read.Version);
        Assert.Equal(Encoding.UTF8.GetString(json), Canonical(read));
    }

    [Fact]
    public void Golden_files_read_back()
    {
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Golden"), "*.json"))
        {
            CdiSpec spec = CdiSpecReader.Read(file);
            Assert.Equal(File.ReadAllText(file), Canonical(spec));
        }
    }

    [Fact]
    public void Yaml_spec_reads_like_the_same_json()
    {
        const string yaml = """
            ---
            cdiVersion: 0.5.0
            kind: vendor.com/gpu
            devices:
            - name: "0"
              containerEdits:
                env: [ "A=1" ]
                deviceNodes:
                - path: /dev/gpu0
                  hostPath: /dev/host-gpu0
                  major: 195
                  minor: 0
                  fileMode: 0666     # YAML 1.1 octal, as the runtimes read it
                  permissions: rw
                  uid: 0
            containerEdits:
              mounts:
              - {hostPath: /usr/lib/libgpu.so, containerPath: /usr/lib/libgpu.so, options: [ro, rbind]}
            """;
        const string json = """
            {"cdiVersion":"0.5.0","kind":"vendor.com/gpu","devices":[{"name":"0","containerEdits":{"env":["A=1"],
             "deviceNodes":[{"path":"/dev/gpu0","hostPath":"/dev/host-gpu0","major":195,"minor":0,"fileMode":438,"permissions":"rw","uid":0}]}}],
             "containerEdits":{"mounts":[{"hostPath":"/usr/lib/libgpu.so","containerPath":"/usr/lib/libgpu.so","options":["ro","rbind"]}]}}
            """;

        CdiSpec fromYaml = Parse(yaml);
        Assert.Equal(Canonical(Parse(json, "x.json")), Canonical(fromYaml));
        Assert.Equal(438u, fromYaml.Devices[0].ContainerEdits.DeviceNodes![0].FileMode);
        Assert.Equal(0u, fromYaml.Devices[0].ContainerEdits.DeviceNodes![0].Uid);
    }

    [Fact]
    public void Yaml_anchors_and_aliases_are_expanded()
    {
        CdiSpec spec = Parse("""
            cdiVersion: 0.3.0
            kind: vendor.com/dev
            devices:
            - name: a
              containerEdits: &edits
                env: [X=1]
            - name: b
              containerEdits: *edits
            """);

        Assert.Equal(["X=1"], spec.Devices[1].ContainerEdits.Env!);
    }

    [Fact]
    public void Field_names_match_case_insensitively_like_go()
    {
        CdiSpec spec = Parse("""{"CDIVersion":"0.3.0","KIND":"vendor.com/dev","Devices":[{"Name":"d","ContainerEdits":{"ENV":["A=1"]}}]}""");

        Assert.Equal(CdiVersion.V0_3_0, spec.Version);
        Assert.Equal("vendor.com/dev", spec.Kind);
        Assert.Equal(["A=1"], spec.Devices[0].ContainerEdits.Env!);
    }

    [Fact]
    public void Two_spellings_of_one_field_are_rejected()
    {
        CdiSpecError error = Single("""{"cdiVersion":"0.3.0","kind":"vendor.com/a","Kind":"vendor.com/b","devices":[{"name":"d","containerEdits":{"env":["A=1"]}}]}""");

        Assert.Equal("kind", error.Field);
        Assert.Contains("\"Kind\" and \"kind\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Annotation_keys_are_case_sensitive_map_keys()
    {
        CdiSpec spec = Parse("""{"cdiVersion":"0.6.0","kind":"vendor.com/dev","annotations":{"a.com/x":"1","a.com/X":"2"},"devices":[{"name":"d","containerEdits":{"env":["A=1"]}}]}""");

        Assert.Equal(2, spec.Annotations!.Count);
    }

    [Theory]
    [InlineData("{\"cdiVersion\":\"0.3.0\",\"cdiVersion\":\"0.3.0\",\"kind\":\"v.com/d\",\"devices\":[]}", 1, 23)]
    [InlineData("cdiVersion: 0.3.0\nkind: v.com/dd\nkind: v.com/e\n", 3, 1)]
    [InlineData("cdiVersion: 0.6.0\nannotations: {a: \"1\", a: \"2\"}\n", 2, 23)]
    public void Duplicate_keys_are_rejected_with_their_position(string text, int line, int column)
    {
        CdiSpecError error = Single(text);

        Assert.Null(error.Field);
        Assert.StartsWith("duplicate key", error.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Fact]
    public void Unknown_fields_are_rejected_with_path_and_line()
    {
        IReadOnlyList<CdiSpecError> errors = Errors("""
            cdiVersion: 0.7.0
            kind: vendor.com/dev
            devices:
            - name: d
              containerEdits:
                env: [A=1]
                intelRdt: {closID: c, enableCMT: true}
                deviceNodes:
                - path: /dev/x
                  mode: 0666
            """);

        Assert.Equal(
        [
            "/etc/cdi/vendor.yaml: devices[0].containerEdits.intelRdt.enableCMT: unknown field \"enableCMT\" (removed in CDI 1.1.0); " +
                "the fields here are closID, l3CacheSchema, memBwSchema, schemata, enableMonitoring (line 7, column 27)",
            "/etc/cdi/vendor.yaml: devices[0].containerEdits.deviceNodes[0].mode: unknown field \"mode\"; " +
                "the fields here are path, hostPath, type, major, minor, fileMode, permissions, uid, gid (line 10, column 7)",
        ], errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Validation_errors_name_the_file_the_field_and_the_line()
    {
        IReadOnlyList<CdiSpecError> errors = Errors("""
            cdiVersion: 0.5.0
            kind: vendor.com/dev
            devices:
            - name: ok
              containerEdits: {env: [A=1]}
            - name: bad
              containerEdits:
                deviceNodes:
                - path: /dev/x
                  permissions: rwz
                env: [NOEQUALS]
            """);

        Assert.Equal(
        [
            "/etc/cdi/vendor.yaml: devices[1].containerEdits.deviceNodes[0].permissions: \"rwz\" must use only the letters r, w and m (line 10, column 20)",
            "/etc/cdi/vendor.yaml: devices[1].containerEdits.env[0]: \"NOEQUALS\" is not KEY=VALUE (a non-empty key followed by '=') (line 11, column 11)",
        ], errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Every_type_error_is_reported_not_just_the_first()
    {
        IReadOnlyList<CdiSpecError> errors = Errors("""
            {"cdiVersion": 5, "kind": ["x"], "devices": [{"name": "d", "containerEdits": {
              "env": "A=1", "deviceNodes": [{"path": "/dev/x", "major": "1", "minor": 1.5, "uid": -1, "fileMode": 99999999999}],
              "additionalGids": [1, null], "hooks": {}, "intelRdt": {"enableMonitoring": "yes"}}}]}
            """);

        Assert.Equal(
        [
            ("cdiVersion", "expected a string, got the number 5"),
            ("kind", "expected a string, got a list"),
            ("devices[0].containerEdits.env", "expected a list, got the string \"A=1\""),
            ("devices[0].containerEdits.deviceNodes[0].major", "expected an integer from -9223372036854775808 to 9223372036854775807, got the string \"1\""),
            ("devices[0].containerEdits.deviceNodes[0].minor", "expected an integer from -9223372036854775808 to 9223372036854775807, got the number 1.5"),
            ("devices[0].containerEdits.deviceNodes[0].uid", "-1 is out of range: expected an integer from 0 to 4294967295"),
            ("devices[0].containerEdits.deviceNodes[0].fileMode", "99999999999 is out of range: expected an integer from 0 to 4294967295"),
            ("devices[0].containerEdits.additionalGids[1]", "is null"),
            ("devices[0].containerEdits.hooks", "expected a list, got an object"),
            ("devices[0].containerEdits.intelRdt.enableMonitoring", "expected true or false, got the string \"yes\""),
        ], errors.Select(e => (e.Field!, e.Message)));
        Assert.All(errors, e => Assert.True(e.Line > 0));
    }

    [Theory]
    [InlineData("cdiVersion: 0.9.0\nkind: v.com/dd\ndevices: [{name: d, containerEdits: {env: [A=1]}}]", "cdiVersion", "\"0.9.0\" is not a released CDI spec version (0.1.0 to 1.1.0): invalid version")]
    [InlineData("kind: v.com/dd\ndevices: [{name: d, containerEdits: {env: [A=1]}}]", "cdiVersion", "is missing; every spec needs its version, e.g. \"0.5.0\"")]
    [InlineData("cdiVersion: 0.2.0\nkind: v.com/dd\ndevices: [{name: d, containerEdits: {env: [A=1]}}]", "cdiVersion", "cdiVersion 0.2.0 is no longer valid; the lowest is 0.3.0")]
    [InlineData("cdiVersion: 0.5.0\nkind: v.com/dd\nannotations: {a: b}\ndevices: [{name: d, containerEdits: {env: [A=1]}}]", "cdiVersion", "cdiVersion 0.5.0 is below the 0.6.0 the content needs: annotations requires 0.6.0 (spec annotations)")]
    [InlineData("cdiVersion: 0.5.0\nkind: v.com/dd\ndevices: [{name: d, containerEdits: {}}]", "devices[0].containerEdits", "a device's container edits must not be empty")]
    [InlineData("cdiVersion: 0.5.0\nkind: v.com/dd\ndevices: []", "devices", "a spec needs at least one device")]
    [InlineData("cdiVersion: 0.5.0\nkind: v/d\ndevices: [{name: d, containerEdits: {env: [A=1]}}]", "kind", "\"v/d\" is not a valid kind (vendor/class): vendor \"v\" is too short: at least 2 characters")]
    public void Version_and_content_rules_apply_on_read(string yaml, string field, string message)
    {
        CdiSpecError error = Single(yaml);

        Assert.Equal(field, error.Field);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void A_leading_v_in_the_version_is_accepted_like_the_reference_library()
    {
        Assert.Equal(CdiVersion.V0_5_0, Parse("cdiVersion: v0.5.0\nkind: v.com/dd\ndevices: [{name: \"0\", containerEdits: {env: [A=1]}}]").Version);
    }

    [Fact]
    public void Null_means_not_set()
    {
        CdiSpec spec = Parse("""{"cdiVersion":"0.3.0","kind":"vendor.com/dev","annotations":null,"containerEdits":null,"devices":[{"name":"d","containerEdits":{"env":["A=1"],"mounts":null,"intelRdt":null}}]}""");

        Assert.Null(spec.Annotations);
        Assert.Null(spec.ContainerEdits);
        Assert.Null(spec.Devices[0].ContainerEdits.IntelRdt);
    }

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData(" \n\t\n", "the file is empty")]
    [InlineData("# just a comment\n", "the file holds no YAML document")]
    [InlineData("cdiVersion: 0.3.0\n---\ncdiVersion: 0.3.0\n", "the file holds more than one YAML document; a spec file holds one")]
    [InlineData("{\"cdiVersion\": \"0.3.0\",}", "not valid JSON: ")]
    [InlineData("{\"a\": 1} x", "not valid JSON: ")]
    [InlineData("cdiVersion: [\n", "not valid YAML: ")]
    [InlineData("base: &b {env: [A=1]}\nother:\n  <<: *b\n", "YAML merge keys (<<) are not supported in CDI specs")]
    [InlineData("a: *nothing\n", "unknown YAML anchor \"nothing\"")]
    [InlineData("a: !custom x\n", "unsupported YAML tag \"!custom\"")]
    [InlineData("? [a, b]\n: c\n", "a mapping key must be a string, not a list")]
    [InlineData("- 1\n- 2\n", "expected an object, got a list")]
    [InlineData("\"just a string\"", "expected an object, got the string \"just a string\"")]
    public void Broken_documents_get_one_precise_error(string text, string message)
    {
        CdiSpecError error = Single(text);

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_is_rejected_with_its_position()
    {
        byte[] bytes = [.. "cdiVersion: 0.3.0\nkind: v"u8, 0xC3, 0x28, .. "x.com/d\n"u8];

        Assert.False(CdiSpecReader.TryParse(bytes, "bad.yaml", out _, out IReadOnlyList<CdiSpecError> errors));

        CdiSpecError error = Assert.Single(errors);
        Assert.Equal("invalid UTF-8 at byte 25", error.Message);
        Assert.Equal((2, 8), (error.Line, error.Column));
    }

    [Fact]
    public void Lone_surrogate_escape_in_json_is_an_error_not_a_crash()
    {
        CdiSpecError error = Single("""{"cdiVersion":"0.3.0","kind":"\ud800"}""");

        Assert.StartsWith("not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("LS0tCmNkaVZlcnNpb246IDAuNy4wCmtpbmQ6IHZlbmRvci5jb20vZ3B1CmFubm90YXRpb25zOiB7dmVuZG9yLmNvbS9vd25lcjogdGVhbX0KY29udGFpbmVyRWRpdHM6CiAgZW52OiBbU0hBUkVEPTFwdQphbm5vdGF0aW9uczoge3ZlbmRvci5jb20vb3duZXI6IHRlYW19CmNvbnRhaW5lckVkaXRzOgogIGVudjogW1NIQVJFRD0xXQogIG1vdW50c106Cl0KICBtb3VudHNdOgo=")]
    [InlineData("PyDwn5iAJVlBTUwgMS4xClsuLi4Kw6l8CjB4JVlBTUwgMS4xCmtpbmQ6IDotMSEhc3RyIFx1MDAwMCJkZXZpY2VzIjpbImtpbmQiOiEhYmluYXJ5IDB48J+YgCJcdWQ4MDAsw6lbbnVsbC0xIgludWxsJmEgImRldmljZXMiOltudWxsezw8OiAweCEhYmluYXJ5IAogIC0gISFzdHIgOiwweGtpbmQ6IPCfmIAxZTk5OScnbnVsbA==")]
    public void Inputs_that_crash_the_yaml_scanner_are_errors(string base64)
    {
        // Found by FuzzTests: YamlDotNet throws InvalidOperationException from ScanPlainScalar on these.
        Assert.False(CdiSpecReader.TryParse(Convert.FromBase64String(base64), "fuzz.yaml", out _, out IReadOnlyList<CdiSpecError> errors));

        CdiSpecError error = Assert.Single(errors);
        Assert.StartsWith("not valid YAML", error.Message, StringComparison.Ordinal);
        Assert.True(error.Line > 0);
    }

    [Fact]
    public void A_utf8_byte_order_mark_is_skipped()
    {
        byte[] json = new CdiSpecWriter().Serialize(Specs.Minimal());

        CdiSpec spec = CdiSpecReader.Parse([0xEF, 0xBB, 0xBF, .. json], "bom.json");

        Assert.Equal("vendor.com/device", spec.Kind);
    }

    [Fact]
    public void Deep_nesting_stops_at_the_limit()
    {
        Assert.Equal("nested deeper than 32 levels", Single(new string('[', 100_000)).Message);
        Assert.Equal("nested deeper than 32 levels", Single("{\"a\":" + new string('[', 100_000)).Message);
    }

    [Fact]
    public void Billion_laughs_aliases_stop_at_the_expansion_limit()
    {
        var yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 10; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        }

        CdiSpecError error = Single(yaml.ToString());

        Assert.Equal("the document expands to more than 1000000 values (YAML aliases repeat what they refer to)", error.Message);
    }

    [Fact]
    public void Files_over_the_size_limit_are_not_read_whole()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "huge.json");
        File.WriteAllBytes(path, new byte[(4 * 1024 * 1024) + 1]);

        Assert.False(CdiSpecReader.TryRead(path, out _, out IReadOnlyList<CdiSpecError> errors));
        Assert.Equal("the file is larger than the 4194304 bytes a spec may have", Assert.Single(errors).Message);
        CdiSpecException thrown = Assert.Throws<CdiSpecException>(() => CdiSpecReader.Read(path));
        Assert.Contains(path, thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_throws_io_errors_and_TryRead_reports_them()
    {
        string missing = Path.Combine(Path.GetTempPath(), "drasdk-missing-" + Guid.NewGuid().ToString("N") + ".json");

        Assert.Throws<FileNotFoundException>(() => CdiSpecReader.Read(missing));
        Assert.False(CdiSpecReader.TryRead(missing, out _, out IReadOnlyList<CdiSpecError> errors));
        Assert.StartsWith("cannot read the file: ", Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exception_lists_every_problem()
    {
        CdiSpecException e = Assert.Throws<CdiSpecException>(() =>
            Parse("cdiVersion: 0.3.0\nkind: v.com/dd\ndevices: [{name: -x, containerEdits: {env: [=1]}}]"));

        Assert.Equal(2, e.Errors.Count);
        Assert.StartsWith("Invalid CDI spec, 2 problems:", e.Message, StringComparison.Ordinal);
        Assert.Contains("/etc/cdi/vendor.yaml: devices[0].name:", e.Message, StringComparison.Ordinal);
        Assert.Contains("/etc/cdi/vendor.yaml: devices[0].containerEdits.env[0]:", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0x1b6", 438)]
    [InlineData("0o666", 438)]
    [InlineData("0666", 438)]
    [InlineData("438", 438)]
    [InlineData("+4_38", 438)]
    [InlineData("0b110110110", 438)]
    [InlineData("-9223372036854775808", long.MinValue)]
    public void Yaml_integers_follow_yaml_1_1(string text, long expected)
    {
        Assert.True(Cdi.Internal.SpecMapper.TryParseYamlInteger(text, out long value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("089")]
    [InlineData("1.5")]
    [InlineData("9223372036854775808")]
    [InlineData("0xFFFFFFFFFFFFFFFFF")]
    public void Non_integers_are_rejected(string text) => Assert.False(Cdi.Internal.SpecMapper.TryParseYamlInteger(text, out _));
}
