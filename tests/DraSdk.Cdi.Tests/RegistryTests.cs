using System.Text;

namespace DraSdk.Cdi.Tests;

public sealed class RegistryTests : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly string _static;
    private readonly string _dynamic;

    public RegistryTests()
    {
        _static = Path.Combine(_root.Path, "etc-cdi");
        _dynamic = Path.Combine(_root.Path, "run-cdi");
        Directory.CreateDirectory(_static);
        Directory.CreateDirectory(_dynamic);
    }

    public void Dispose() => _root.Dispose();

    private CdiRegistry Registry() => new([_static, _dynamic]);

    private static void WriteJson(string directory, string file, string kind, params (string Name, string[] Env)[] devices)
    {
        string deviceJson = string.Join(",", devices.Select(d =>
            "{\"name\":\"" + d.Name + "\",\"containerEdits\":{\"env\":[" + string.Join(",", d.Env.Select(e => $"\"{e}\"")) + "]}}"));
        File.WriteAllText(Path.Combine(directory, file), "{\"cdiVersion\":\"0.3.0\",\"kind\":\"" + kind + "\",\"devices\":[" + deviceJson + "]}");
    }

    private static string[] Env(CdiRegistry registry, params string[] devices) => [.. registry.GetContainerEdits(devices).Env ?? []];

    [Fact]
    public void Default_directories_are_etc_then_var_run()
    {
        Assert.Equal(["/etc/cdi", "/var/run/cdi"], CdiRegistry.DefaultSpecDirectories);
        Assert.Equal(CdiRegistry.DefaultSpecDirectories, new CdiRegistry().SpecDirectories);
    }

    [Fact]
    public void Later_directory_wins_silently()
    {
        WriteJson(_static, "vendor-gpu.json", "vendor.com/gpu", ("gpu0", ["FROM=etc"]), ("gpu1", ["ONLY=etc"]));
        WriteJson(_dynamic, "vendor-gpu.yaml", "vendor.com/gpu", ("gpu0", ["FROM=run"]));

        CdiRegistry registry = Registry();

        Assert.Empty(registry.Errors);
        Assert.Equal(["vendor.com/gpu=gpu0", "vendor.com/gpu=gpu1"], registry.Devices.Select(d => d.Id.ToString()));
        Assert.Equal(["FROM=run"], Env(registry, "vendor.com/gpu=gpu0"));
        Assert.Equal(["ONLY=etc"], Env(registry, "vendor.com/gpu=gpu1"));
        Assert.True(registry.TryGetDevice("vendor.com/gpu=gpu0", out CdiRegistryDevice? device));
        Assert.Equal(1, device.Spec.Priority);
        Assert.Equal(Path.Combine(_dynamic, "vendor-gpu.yaml"), device.Spec.Path);
    }

    [Fact]
    public void Same_priority_clash_drops_both_copies_and_records_an_error_on_each_file()
    {
        WriteJson(_dynamic, "a.json", "vendor.com/gpu", ("gpu0", ["FROM=a"]), ("gpu1", ["A=1"]));
        WriteJson(_dynamic, "b.json", "vendor.com/gpu", ("gpu0", ["FROM=b"]), ("gpu2", ["B=1"]));

        CdiRegistry registry = Registry();

        Assert.Equal(["vendor.com/gpu=gpu1", "vendor.com/gpu=gpu2"], registry.Devices.Select(d => d.Id.ToString()));
        Assert.False(registry.TryGetDevice("vendor.com/gpu=gpu0", out _));
        Assert.Equal(
            [(Path.Combine(_dynamic, "a.json"), "devices[0].name"), (Path.Combine(_dynamic, "b.json"), "devices[0].name")],
            registry.Errors.Select(e => (e.SourceName, e.Field!)));
        Assert.All(registry.Errors, e => Assert.StartsWith("conflicting device vendor.com/gpu=gpu0: defined by", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Same_priority_clash_in_a_lower_directory_also_hides_a_higher_copy_like_the_runtimes()
    {
        // podman 4.3 shows the same: two copies in /etc/cdi make the one in /var/run/cdi unresolvable too.
        WriteJson(_static, "a.json", "vendor.com/gpu", ("gpu0", ["FROM=a"]));
        WriteJson(_static, "b.json", "vendor.com/gpu", ("gpu0", ["FROM=b"]));
        WriteJson(_dynamic, "c.json", "vendor.com/gpu", ("gpu0", ["FROM=c"]));

        CdiRegistry registry = Registry();

        Assert.Empty(registry.Devices);
        KeyNotFoundException e = Assert.Throws<KeyNotFoundException>(() => registry.GetContainerEdits(["vendor.com/gpu=gpu0"]));
        Assert.Equal("unresolvable CDI devices vendor.com/gpu=gpu0", e.Message);
    }

    [Fact]
    public void A_bad_file_does_not_hide_good_ones_and_keeps_its_errors()
    {
        WriteJson(_dynamic, "good.json", "vendor.com/gpu", ("gpu0", ["A=1"]));
        File.WriteAllText(Path.Combine(_dynamic, "bad.yaml"), "cdiVersion: 0.3.0\nkind: vendor.com/nic\ndevices: [{name: nic0, containerEdits: {env: [A=1]}, extra: 1}]\n");
        File.WriteAllText(Path.Combine(_dynamic, "broken.json"), "{\"cdiVersion\": ");

        CdiRegistry registry = Registry();

        Assert.Equal(["vendor.com/gpu=gpu0"], registry.Devices.Select(d => d.Id.ToString()));
        Assert.Equal(2, registry.Errors.Count);
        Assert.Equal(
            $"{Path.Combine(_dynamic, "bad.yaml")}: devices[0].extra: unknown field \"extra\"; the fields here are name, annotations, containerEdits (line 3, column 54)",
            registry.Errors[0].ToString());
        Assert.Equal(Path.Combine(_dynamic, "broken.json"), registry.Errors[1].SourceName);
        Assert.StartsWith("not valid JSON: ", registry.Errors[1].Message, StringComparison.Ordinal);
        Assert.Equal(1, registry.Errors[1].Line);
    }

    [Fact]
    public void Only_json_and_yaml_files_of_the_directory_itself_are_read()
    {
        WriteJson(_dynamic, "vendor-gpu.json", "vendor.com/gpu", ("gpu0", ["A=1"]));
        // A writer killed mid-write leaves its temporary file behind: half a spec.
        File.WriteAllText(Path.Combine(_dynamic, ".vendor-gpu.json.tmp-0123456789abcdef"), "{\"cdiVersion\":\"0.3.0\",\"kind\":\"vendor.com/gp");
        File.WriteAllText(Path.Combine(_dynamic, "spec.1234.tmp"), "garbage");
        WriteJson(_dynamic, "other.yml", "vendor.com/yml", ("d", ["A=1"]));
        WriteJson(_dynamic, "other.JSON", "vendor.com/upper", ("d", ["A=1"]));
        Directory.CreateDirectory(Path.Combine(_dynamic, "sub"));
        WriteJson(Path.Combine(_dynamic, "sub"), "nested.json", "vendor.com/nested", ("d", ["A=1"]));

        CdiRegistry registry = Registry();

        Assert.Empty(registry.Errors);
        Assert.Equal([Path.Combine(_dynamic, "vendor-gpu.json")], registry.Specs.Select(s => s.Path));
    }

    [Fact]
    public void Missing_directories_hold_no_specs()
    {
        var registry = new CdiRegistry([Path.Combine(_root.Path, "nope"), _dynamic]);

        Assert.Empty(registry.Errors);
        Assert.Empty(registry.Devices);
    }

    [Fact]
    public void Refresh_picks_up_new_changed_and_removed_files()
    {
        WriteJson(_dynamic, "a.json", "vendor.com/gpu", ("gpu0", ["V=1"]));
        CdiRegistry registry = Registry();
        Assert.Equal(["V=1"], Env(registry, "vendor.com/gpu=gpu0"));

        WriteJson(_dynamic, "a.json", "vendor.com/gpu", ("gpu0", ["V=2"]));
        WriteJson(_dynamic, "b.json", "vendor.com/gpu", ("gpu1", ["W=1"]));
        Assert.Equal(["V=1"], Env(registry, "vendor.com/gpu=gpu0")); // no refresh yet
        registry.Refresh();
        Assert.Equal(["V=2"], Env(registry, "vendor.com/gpu=gpu0"));
        Assert.Equal(2, registry.Devices.Count);

        File.Delete(Path.Combine(_dynamic, "a.json"));
        registry.Refresh();
        Assert.Equal(["vendor.com/gpu=gpu1"], registry.Devices.Select(d => d.Id.ToString()));
    }

    [Fact]
    public void Merged_edits_follow_the_runtime_order()
    {
        File.WriteAllText(Path.Combine(_dynamic, "gpu.yaml"), """
            cdiVersion: 0.5.0
            kind: vendor.com/gpu
            containerEdits:
              env: [SHARED=spec, MODE=spec]
              deviceNodes: [{path: /dev/ctl, hostPath: /dev/host-ctl}]
              mounts: [{hostPath: /lib/a, containerPath: /usr/lib/gpu/a, options: [ro, bind]}]
              hooks: [{hookName: createContainer, path: /bin/hook, args: [hook, spec]}]
            devices:
            - name: gpu0
              containerEdits:
                env: [MODE=gpu0, GPU0=1]
                deviceNodes: [{path: /dev/gpu0}, {path: /dev/link, hostPath: /dev/link-a}]
                mounts: [{hostPath: /lib, containerPath: /usr/lib/gpu, options: [ro, bind]}]
                hooks: [{hookName: createContainer, path: /bin/hook, args: [hook, gpu0]}]
            - name: gpu1
              containerEdits:
                env: [MODE=gpu1]
                deviceNodes: [{path: /dev/link, hostPath: /dev/link-b}, {path: /dev/gpu1}]
            """);
        File.WriteAllText(Path.Combine(_dynamic, "nic.json"), """
            {"cdiVersion":"0.7.0","kind":"vendor.com/nic","containerEdits":{"env":["NIC=spec"],"additionalGids":[0,44]},
             "devices":[{"name":"nic0","containerEdits":{"additionalGids":[44,45],"env":["MODE=nic0"]}}]}
            """);
        CdiRegistry registry = Registry();
        Assert.Empty(registry.Errors);

        ContainerEdits edits = registry.GetContainerEdits(["vendor.com/gpu=gpu0", "vendor.com/nic=nic0", "vendor.com/gpu=gpu1", "vendor.com/gpu=gpu0"]);

        // Spec-level edits once, just before the first device of that spec; the last value of a variable wins.
        Assert.Equal(["SHARED=spec", "MODE=gpu1", "GPU0=1", "NIC=spec"], edits.Env!);
        // gpu1's /dev/link replaces gpu0's.
        Assert.Equal(["/dev/ctl:/dev/host-ctl", "/dev/gpu0:", "/dev/link:/dev/link-b", "/dev/gpu1:"], edits.DeviceNodes!.Select(n => $"{n.Path}:{n.HostPath}"));
        // Mounts sorted by depth: /usr/lib/gpu before /usr/lib/gpu/a although the spec-level one came first.
        Assert.Equal(["/usr/lib/gpu", "/usr/lib/gpu/a"], edits.Mounts!.Select(m => m.ContainerPath));
        Assert.Equal(["spec", "gpu0"], edits.Hooks!.Select(h => h.Args![1]));
        Assert.Equal([44u, 45u], edits.AdditionalGids!);
        Assert.Null(edits.IntelRdt);
    }

    [Fact]
    public void Unresolved_devices_are_all_listed()
    {
        WriteJson(_dynamic, "a.json", "vendor.com/gpu", ("gpu0", ["A=1"]));
        CdiRegistry registry = Registry();

        Assert.False(registry.TryGetContainerEdits(["vendor.com/gpu=gpu9", "vendor.com/gpu=gpu0", "nonsense"], out ContainerEdits? edits, out IReadOnlyList<string> unresolved));
        Assert.Null(edits);
        Assert.Equal(["vendor.com/gpu=gpu9", "nonsense"], unresolved);
    }

    [Fact]
    public void Specs_the_writer_writes_resolve_to_what_was_written()
    {
        var writer = new CdiSpecWriter(new CdiSpecWriterOptions { SpecDirectory = _dynamic });
        var claims = new CdiClaimSpecs(writer, CdiKind.Parse("k8s.gpu.example.com/claim"));
        CdiClaimSpecFile file = claims.Write("4a9e7c1d-0000-4000-8000-000000000001", [Specs.Device("gpu-0"), Specs.Device("gpu-1")],
            new ContainerEdits { Env = ["CLAIM=1"] });

        CdiRegistry registry = Registry();

        Assert.Equal(["CLAIM=1", "DEVICE=gpu-0"], Env(registry, file.DeviceIds["gpu-0"].ToString()));
        // Both devices set DEVICE: the last one asked for wins.
        Assert.Equal(["CLAIM=1", "DEVICE=gpu-1"], Env(registry, [.. file.DeviceIds.Values.Select(id => id.ToString())]));
        Assert.Equal(["CLAIM=1", "DEVICE=gpu-0"], Env(registry, [.. file.DeviceIds.Values.Reverse().Select(id => id.ToString())]));
    }

    [Fact]
    public async Task A_reader_never_sees_a_partial_file_while_the_writer_replaces_it()
    {
        var writer = new CdiSpecWriter(new CdiSpecWriterOptions { SpecDirectory = _dynamic });
        CdiSpec small = Specs.Minimal("vendor.com/swap");
        CdiSpec large = small with { Devices = [.. Enumerable.Range(0, 200).Select(i => Specs.Device($"dev{i}"))] };
        string path = writer.Write(small).Path;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        int writes = 0;
        Task writing = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                writer.Write(writes++ % 2 == 0 ? large : small);
            }
        }, TestContext.Current.CancellationToken);

        int reads = 0;
        var registry = new CdiRegistry([_dynamic]);
        while (!writing.IsCompleted)
        {
            CdiSpec spec = CdiSpecReader.Read(path); // throws on a partial file
            Assert.Contains(spec.Devices.Count, new[] { 1, 200 });
            registry.Refresh();
            Assert.Empty(registry.Errors);
            Assert.Contains(registry.Devices.Count, new[] { 1, 200 });
            reads++;
        }

        await writing;
        Assert.True(writes > 10 && reads > 10, $"{writes} writes, {reads} reads");
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(_dynamic).Select(Path.GetFileName));
    }

    [Fact]
    public void Yaml_and_json_round_trip_through_the_registry_with_a_byte_order_mark()
    {
        byte[] json = new CdiSpecWriter().Serialize(Specs.Gpu());
        File.WriteAllBytes(Path.Combine(_dynamic, "gpu.json"), [0xEF, 0xBB, 0xBF, .. json]);

        CdiRegistry registry = Registry();

        Assert.Equal(2, registry.Devices.Count);
        Assert.Equal(Encoding.UTF8.GetString(json), Encoding.UTF8.GetString(new CdiSpecWriter().Serialize(registry.Specs[0].Spec)));
    }
}
