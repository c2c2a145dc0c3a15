using System.Text;
using DraSdk.Cdi;
using DraSdk.DeviceMetadata;
using DraSdk.KubeletPlugin;
using DraSdk.Testing;
using DraSdk.Tests.Shared;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace DraSdk.Preparation.Tests;

/// <summary>Device metadata (KEP-5304) through the kubelet's real calls on a local node and the in-memory API server.</summary>
public sealed class DeviceMetadataTests : IAsyncLifetime
{
    private const string Driver = "dev.example.com";
    private const string Kind = "k8s.dev.example.com/dev";
    private readonly string _root = LocalNode.NewRootDirectory();
    private InMemoryKubernetesApiServer _api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string DataDirectory => Path.Combine(_root, "plugins", Driver);

    private string CdiRoot => Path.Combine(_root, "cdi");

    public async ValueTask InitializeAsync() => _api = await InMemoryKubernetesApiServer.StartAsync(Ct);

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>The document the Go helper writes for the claim below, written out by hand from upstream's field names.</summary>
    private static string ExpectedMetadata(string uid, long generation, string? podClaimName = null, string claim = "meta") =>
        "{\n" +
        "  \"kind\": \"DeviceMetadata\",\n" +
        "  \"apiVersion\": \"metadata.resource.k8s.io/v1alpha1\",\n" +
        "  \"metadata\": {\n" +
        $"    \"name\": \"{claim}\",\n" +
        "    \"namespace\": \"default\",\n" +
        $"    \"uid\": \"{uid}\",\n" +
        $"    \"generation\": {generation}\n" +
        "  },\n" +
        (podClaimName is null ? string.Empty : $"  \"podClaimName\": \"{podClaimName}\",\n") +
        "  \"requests\": [\n" +
        "    {\n" +
        "      \"name\": \"req\",\n" +
        "      \"devices\": [\n" +
        "        {\n" +
        "          \"driver\": \"dev.example.com\",\n" +
        "          \"pool\": \"node-a\",\n" +
        "          \"name\": \"dev-1\",\n" +
        "          \"attributes\": {\n" +
        "            \"dev.example.com/model\": {\n" +
        "              \"string\": \"A\\u0026B \\u003cx\\u003e é\"\n" +
        "            },\n" +
        "            \"index\": {\n" +
        "              \"int\": 1\n" +
        "            }\n" +
        "          }" + (generation > 1 ? ",\n" +
        "          \"networkData\": {\n" +
        "            \"interfaceName\": \"eth1\",\n" +
        "            \"ips\": [\n" +
        "              \"10.0.0.5/24\"\n" +
        "            ],\n" +
        "            \"hardwareAddress\": \"aa:bb:cc:dd:ee:ff\"\n" +
        "          }\n" : "\n") +
        "        }\n" +
        "      ]\n" +
        "    }\n" +
        "  ]\n" +
        "}\n";

    private static string ExpectedSpec(string uid, string hostPath, string containerPath) =>
        "{\n" +
        "  \"cdiVersion\": \"0.5.0\",\n" +
        "  \"kind\": \"dev.example.com/metadata\",\n" +
        "  \"devices\": [\n" +
        "    {\n" +
        $"      \"name\": \"{uid}_req\",\n" +
        "      \"containerEdits\": {\n" +
        "        \"mounts\": [\n" +
        "          {\n" +
        $"            \"hostPath\": \"{hostPath}\",\n" +
        $"            \"containerPath\": \"{containerPath}\",\n" +
        "            \"options\": [\n" +
        "              \"ro\",\n" +
        "              \"bind\"\n" +
        "            ]\n" +
        "          }\n" +
        "        ]\n" +
        "      }\n" +
        "    }\n" +
        "  ]\n" +
        "}";

    [Fact]
    public async Task Prepare_writes_the_metadata_file_byte_for_byte_its_CDI_spec_and_appends_its_id_and_unprepare_removes_both()
    {
        await using LocalNode node = await StartAsync();
        Resourcev1ResourceClaim claim = await AllocateAsync(node.Client, "meta", "dev-1");
        string uid = claim.Metadata.Uid;

        V1.NodePrepareResourceResponse answer = (await node.Plugin.PrepareAsync([claim], Ct)).Claims[uid];
        Assert.Equal(string.Empty, answer.Error);
        Assert.Equal([$"{Kind}={uid}-dev-1", $"dev.example.com/metadata={uid}_req"], Assert.Single(answer.Devices).CdiDeviceIds);

        string file = Path.Combine(DataDirectory, "dra-device-metadata", "default_meta", "req", "metadata.json");
        Assert.Equal(ExpectedMetadata(uid, 1), await File.ReadAllTextAsync(file, Ct));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(file));
        }
        string specPath = Path.Combine(CdiRoot, $"dev.example.com_metadata_{uid}_req.json");
        string containerPath = "/var/run/kubernetes.io/dra-device-attributes/resourceclaims/meta/req/dev.example.com-metadata.json";
        Assert.Equal(ExpectedSpec(uid, file, containerPath), await File.ReadAllTextAsync(specPath, Ct));

        // The runtimes' view: the id resolves to the read-only bind mount.
        var registry = new CdiRegistry([CdiRoot]);
        Assert.Empty(registry.Errors);
        ContainerEdits edits = registry.GetContainerEdits([$"dev.example.com/metadata={uid}_req"]);
        Mount mount = Assert.Single(edits.Mounts!);
        Assert.Equal((file, containerPath, "ro,bind"), (mount.HostPath, mount.ContainerPath, string.Join(',', mount.Options!)));

        // The same answer again.
        Assert.Equal(answer, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[uid]);

        Assert.Equal(string.Empty, (await node.Plugin.UnprepareAsync([claim], Ct)).Claims[uid].Error);
        Assert.False(File.Exists(file));
        Assert.False(Directory.Exists(Path.Combine(DataDirectory, "dra-device-metadata", "default_meta")));
        Assert.Empty(Directory.GetFiles(CdiRoot));
    }

    [Fact]
    public async Task A_claim_made_from_a_template_is_mounted_under_the_pods_name_for_it_and_an_update_increments_the_generation()
    {
        await using LocalNode node = await StartAsync();
        Resourcev1ResourceClaim claim = await AllocateAsync(node.Client, "pod-gpu-x7k2p", "dev-1", podClaimName: "gpu");
        string uid = claim.Metadata.Uid;
        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[uid].Error);

        string file = Path.Combine(DataDirectory, "dra-device-metadata", "default_pod-gpu-x7k2p", "req", "metadata.json");
        Assert.Equal(ExpectedMetadata(uid, 1, "gpu", "pod-gpu-x7k2p"), await File.ReadAllTextAsync(file, Ct));
        string spec = await File.ReadAllTextAsync(Path.Combine(CdiRoot, $"dev.example.com_metadata_{uid}_req.json"), Ct);
        Assert.Contains("\"containerPath\": \"/var/run/kubernetes.io/dra-device-attributes/resourceclaimtemplates/gpu/req/dev.example.com-metadata.json\"", spec, StringComparison.Ordinal);

        DeviceMetadataUpdater updater = node.Host.Services.GetRequiredService<DeviceMetadataUpdater>();
        var reference = new ClaimReference("default", "pod-gpu-x7k2p", uid);
        long generation = updater.Update(reference, "req", [MetadataDriver.Device("dev-1") with
        {
            Metadata = MetadataDriver.Details("dev-1")! with
            {
                NetworkData = new DeviceNetworkData { InterfaceName = "eth1", Ips = ["10.0.0.5/24"], HardwareAddress = "aa:bb:cc:dd:ee:ff" },
            },
        }]);
        Assert.Equal(2, generation);
        Assert.Equal(ExpectedMetadata(uid, 2, "gpu", "pod-gpu-x7k2p"), await File.ReadAllTextAsync(file, Ct));
        Assert.Equal(3, updater.Update(reference, "req", [MetadataDriver.Device("dev-1")]));
        Assert.Throws<InvalidOperationException>(() => updater.Update(reference, "other", [MetadataDriver.Device("dev-1")]));
    }

    [Fact]
    public async Task After_the_CDI_directory_is_wiped_the_metadata_spec_is_written_again_at_start_and_orphans_are_removed()
    {
        Resourcev1ResourceClaim claim;
        string specPath;
        string before;
        await using (LocalNode node = await StartAsync())
        {
            claim = await AllocateAsync(node.Client, "meta", "dev-1");
            Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
            specPath = Path.Combine(CdiRoot, $"dev.example.com_metadata_{claim.Metadata.Uid}_req.json");
            before = await File.ReadAllTextAsync(specPath, Ct);
        }

        Directory.Delete(CdiRoot, recursive: true);

        // What a kill between the metadata and the checkpoint leaves of another claim: removed at start.
        string orphan = Path.Combine(DataDirectory, "dra-device-metadata", "default_killed", "req");
        Directory.CreateDirectory(orphan);
        await File.WriteAllTextAsync(Path.Combine(orphan, "metadata.json"), "{}\n", Ct);
        await using (LocalNode node = await StartAsync())
        {
            Assert.Equal(before, await File.ReadAllTextAsync(specPath, Ct));
            Assert.Equal(2, Directory.GetFiles(CdiRoot).Length);
            Assert.False(Directory.Exists(Path.GetDirectoryName(orphan)));
            Assert.True(File.Exists(Path.Combine(DataDirectory, "dra-device-metadata", "default_meta", "req", "metadata.json")));
        }

        // With the file gone too, it is written again from the checkpoint: the devices without their attributes.
        Directory.Delete(CdiRoot, recursive: true);
        File.Delete(Path.Combine(DataDirectory, "dra-device-metadata", "default_meta", "req", "metadata.json"));
        await using (LocalNode node = await StartAsync())
        {
            Assert.Equal(before, await File.ReadAllTextAsync(specPath, Ct));
            DeviceMetadataDocument again = DeviceMetadataReader.ReadFile(Path.Combine(DataDirectory, "dra-device-metadata", "default_meta", "req", "metadata.json"))!;
            Assert.Equal(("dev-1", 1L), (again.Requests.Single().Devices.Single().Name, again.Generation));
            Assert.Null(again.Requests[0].Devices[0].Attributes);
        }
    }

    [Fact]
    public async Task Metadata_over_the_size_limit_fails_that_claim_only_naming_the_claim_and_the_request()
    {
        await using LocalNode node = await StartAsync(maxBytes: 2000);
        Resourcev1ResourceClaim big = await AllocateAsync(node.Client, "big", "dev-2");
        Resourcev1ResourceClaim small = await AllocateAsync(node.Client, "small", "dev-1");

        V1.NodePrepareResourcesResponse answer = await node.Plugin.PrepareAsync([big, small], Ct);
        Assert.Matches(@"^the device metadata of claim default/big, request req, is \d+ bytes, over the limit of 2000", answer.Claims[big.Metadata.Uid].Error);
        Assert.Equal(string.Empty, answer.Claims[small.Metadata.Uid].Error);
        Assert.DoesNotContain(Directory.GetFiles(CdiRoot), f => f.Contains(big.Metadata.Uid, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_reader_decodes_what_was_written_and_merges_two_drivers_files_of_a_request()
    {
        await using LocalNode node = await StartAsync();
        Resourcev1ResourceClaim claim = await AllocateAsync(node.Client, "meta", "dev-1");
        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);

        // The container's view: the file at its in-container place, beside another driver's.
        string container = Path.Combine(_root, "container");
        string request = Path.Combine(container, "resourceclaims", "meta", "req");
        Directory.CreateDirectory(request);
        File.Copy(Path.Combine(DataDirectory, "dra-device-metadata", "default_meta", "req", "metadata.json"), Path.Combine(request, "dev.example.com-metadata.json"));
        var nic = new DeviceMetadataDocument
        {
            ClaimName = "meta",
            ClaimNamespace = "default",
            ClaimUid = claim.Metadata.Uid,
            Generation = 4,
            Requests = [new DeviceMetadataRequest { Name = "req", Devices = [new DeviceMetadataDevice { Driver = "nic.example.com", Pool = "node-a", Name = "vf-0" }] }],
        };
        await File.WriteAllBytesAsync(Path.Combine(request, "nic.example.com-metadata.json"), DeviceMetadataCodec.Encode(nic, DeviceMetadataVersions.Supported), Ct);

        DeviceMetadataDocument merged = Assert.IsType<DeviceMetadataDocument>(DeviceMetadataReader.ReadResourceClaim("meta", "req", container));
        Assert.Equal(("meta", "default", claim.Metadata.Uid, 4L), (merged.ClaimName, merged.ClaimNamespace, merged.ClaimUid, merged.Generation));
        DeviceMetadataRequest only = Assert.Single(merged.Requests);
        Assert.Equal(["dev.example.com/dev-1", "nic.example.com/vf-0"], only.Devices.Select(d => $"{d.Driver}/{d.Name}"));
        Assert.Equal("A&B <x> é", only.Devices[0].Attributes!["dev.example.com/model"].StringValue);
        Assert.Equal(1, only.Devices[0].Attributes!["index"].IntValue);
        Assert.Null(DeviceMetadataReader.ReadResourceClaimTemplate("gpu", "req", container));
    }

    [Fact]
    public async Task Podman_mounts_the_metadata_file_read_only_at_the_documented_path()
    {
        BusyboxPodman podman = BusyboxPodman.Create(Path.Combine(_root, "podman"));
        await using LocalNode node = await StartAsync();
        Resourcev1ResourceClaim claim = await AllocateAsync(node.Client, "meta", "dev-1");
        string uid = claim.Metadata.Uid;
        V1.NodePrepareResourceResponse answer = (await node.Plugin.PrepareAsync([claim], Ct)).Claims[uid];
        Assert.Equal(string.Empty, answer.Error);

        // Podman 4.3 reads /var/run/cdi only: the metadata spec goes there as written (its host path stays under the node's root).
        string id = answer.Devices.Single().CdiDeviceIds.Single(i => i.Contains("/metadata=", StringComparison.Ordinal));
        string spec = Path.Combine(BusyboxPodman.SpecDirectory, $"dev.example.com_metadata_{uid}_req.json");
        Directory.CreateDirectory(BusyboxPodman.SpecDirectory);
        File.Copy(Path.Combine(CdiRoot, Path.GetFileName(spec)), spec);
        try
        {
            const string path = "/var/run/kubernetes.io/dra-device-attributes/resourceclaims/meta/req/dev.example.com-metadata.json";
            PodmanResult run = podman.Run([id], $"cat {path} && if echo x >> {path}; then echo WRITABLE; else echo READ-ONLY; fi");
            Assert.True(run.ExitCode == 0, $"{run.CommandLine}\n{run.Stdout}\n{run.Stderr}");
            Assert.StartsWith(ExpectedMetadata(uid, 1), run.Stdout, StringComparison.Ordinal);
            Assert.EndsWith("READ-ONLY\n", run.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(spec);
        }
    }

    private async Task<LocalNode> StartAsync(int? maxBytes = null) =>
        await LocalNode.StartAsync(
            new LocalNodeOptions
            {
                ApiServer = _api,
                DriverName = Driver,
                RootDirectory = _root,
                ConfigureHost = builder => builder.Services.AddCdiDriver<MetadataDriver>(Kind, o => o.DriverName = Driver, c =>
                {
                    c.DeviceMetadata = true;
                    c.DeviceMetadataMaxBytes = maxBytes ?? c.DeviceMetadataMaxBytes;
                }),
            },
            Ct);

    private static async Task<Resourcev1ResourceClaim> AllocateAsync(IKubernetes client, string name, string device, string? podClaimName = null)
    {
        var claim = new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = "default",
                Annotations = podClaimName is null ? null : new Dictionary<string, string> { ["resource.kubernetes.io/pod-claim-name"] = podClaimName },
            },
            Spec = new V1ResourceClaimSpec { Devices = new V1DeviceClaim { Requests = [new V1DeviceRequest { Name = "req", Exactly = new V1ExactDeviceRequest { DeviceClassName = Driver } }] } },
        };
        Resourcev1ResourceClaim created = await client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default", cancellationToken: Ct);
        created.Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult { Results = [new V1DeviceRequestAllocationResult { Request = "req", Driver = Driver, Pool = "node-a", Device = device }] },
            },
        };
        return await client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, name, "default", cancellationToken: Ct);
    }
}

/// <summary>A driver whose devices have attributes for their metadata; dev-2's are too large for a small limit.</summary>
internal sealed class MetadataDriver : ICdiDriver
{
    public static DeviceMetadataDetails? Details(string device) => new()
    {
        Attributes = new Dictionary<string, DeviceAttributeValue>
        {
            ["index"] = DeviceAttributeValue.FromInt(device[^1] - '0'),
            ["dev.example.com/model"] = DeviceAttributeValue.FromString(device == "dev-2" ? new string('x', 4000) : "A&B <x> é"),
        },
    };

    public static PlannedDevice Device(string device) => new() { PoolName = "node-a", DeviceName = device, Metadata = Details(device) };

    public ValueTask<ClaimPlan> PlanAsync(PreparableClaim claim, CancellationToken cancellationToken) => ValueTask.FromResult(
        claim.Devices.Aggregate(new ClaimPlan(), (plan, device) => plan.Add(device, new ContainerEdits { Env = [$"DEVICE={device.Device}"] }, Details(device.Device))));
}
