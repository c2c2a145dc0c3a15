using System.Collections.Concurrent;
using System.Text.Json;
using DraSdk.Cdi;
using DraSdk.Checkpoint;
using DraSdk.KubeletPlugin;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Minimal;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace DraSdk.Preparation.Tests;

/// <summary>The prepare pipeline behind <c>AddCdiDriver</c>, through the kubelet's real calls on a local node.</summary>
public sealed class PipelineTests : IAsyncLifetime
{
    private const string Kind = "k8s.dev.example.com/dev";
    private readonly string _root = LocalNode.NewRootDirectory();
    private InMemoryKubernetesApiServer _api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string DataDirectory => Path.Combine(_root, "plugins", "dev.example.com");

    private string CdiRoot => Path.Combine(_root, "cdi");

    public async ValueTask InitializeAsync() => _api = await InMemoryKubernetesApiServer.StartAsync(Ct);

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task The_minimal_driver_publishes_prepares_through_CDI_answers_again_alike_and_unprepares_twice()
    {
        await using LocalNode node = await StartAsync();
        V1ResourceSlice slice = await node.WaitForResourceSliceAsync(Ct);
        Assert.Equal(["dev-0", "dev-1", "dev-2", "dev-3"], slice.Spec.Devices.Select(d => d.Name));
        Resourcev1ResourceClaim claim = await node.CreateAndAllocateClaimAsync("one", cancellationToken: Ct);
        string uid = claim.Metadata.Uid;

        V1.NodePrepareResourceResponse first = (await node.Plugin.PrepareAsync([claim], Ct)).Claims[uid];
        Assert.Equal(string.Empty, first.Error);
        string id = Assert.Single(Assert.Single(first.Devices).CdiDeviceIds);
        Assert.Equal($"{Kind}={uid}-dev-0", id);
        CdiSpec spec = CdiSpecReader.Read(Path.Combine(CdiRoot, $"k8s.dev.example.com-dev_{uid}.json"));
        Assert.Equal(["DEVICE=dev-0"], spec.Devices.Single().ContainerEdits.Env);

        Assert.Equal(first, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[uid]);
        PreparedClaimRecord record = Assert.Single(node.Host.Services.GetRequiredService<PreparedClaimStore>().Claims.Values);
        Assert.Equal(PreparedClaimState.PrepareCompleted, record.State);
        Assert.NotNull(record.CdiSpec);

        Assert.Equal(string.Empty, (await node.Plugin.UnprepareAsync([claim], Ct)).Claims[uid].Error);
        Assert.Equal(string.Empty, (await node.Plugin.UnprepareAsync([claim], Ct)).Claims[uid].Error);
        Assert.Empty(Directory.GetFiles(CdiRoot));
        Assert.Empty(node.Host.Services.GetRequiredService<PreparedClaimStore>().Claims);
    }

    [Fact]
    public async Task Several_claims_of_one_call_are_recorded_with_one_checkpoint_write()
    {
        await using LocalNode node = await StartAsync();
        Resourcev1ResourceClaim[] claims = [
            await node.CreateClaimAllocatedToAsync("a", "dev-0", Ct),
            await node.CreateClaimAllocatedToAsync("b", "dev-1", Ct),
            await node.CreateClaimAllocatedToAsync("c", "dev-2", Ct),
        ];
        using var watcher = new FileSystemWatcher(DataDirectory, "checkpoint.json") { EnableRaisingEvents = true };
        var writes = new ConcurrentQueue<string>();
        watcher.Renamed += (_, e) => writes.Enqueue(e.Name!);

        V1.NodePrepareResourcesResponse answer = await node.Plugin.PrepareAsync(claims, Ct);
        Assert.All(answer.Claims.Values, c => Assert.Equal(string.Empty, c.Error));
        await Task.Delay(300, Ct);
        Assert.Single(writes);
        Assert.Equal(3, Directory.GetFiles(CdiRoot).Length);

        await node.Plugin.UnprepareAsync(claims, Ct);
        await Task.Delay(300, Ct);
        Assert.Equal(2, writes.Count);
    }

    [Fact]
    public async Task A_device_another_claim_holds_is_refused_unless_either_allocation_shares_it()
    {
        await using LocalNode node = await StartAsync();
        Resourcev1ResourceClaim first = await node.CreateClaimAllocatedToAsync("first", "dev-1", Ct);
        Resourcev1ResourceClaim second = await node.CreateClaimAllocatedToAsync("second", "dev-1", Ct);
        // An allocation with admin access needs the namespace label, as on a real cluster.
        await node.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "default", Labels = new Dictionary<string, string> { ["resource.kubernetes.io/admin-access"] = "true" } } }, cancellationToken: Ct);
        Resourcev1ResourceClaim monitor = await AllocateAsync(node, "monitor", "dev-1", r => r.AdminAccess = true);
        Resourcev1ResourceClaim shared = await AllocateAsync(node, "shared", "dev-1", r => r.ShareID = "5f2c4b1e-0000-4000-8000-000000000001");

        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([first], Ct)).Claims[first.Metadata.Uid].Error);
        Assert.Equal(
            $"device dev-1 is already prepared for claim default/first ({first.Metadata.Uid})",
            (await node.Plugin.PrepareAsync([second], Ct)).Claims[second.Metadata.Uid].Error);
        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([monitor], Ct)).Claims[monitor.Metadata.Uid].Error);
        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([shared], Ct)).Claims[shared.Metadata.Uid].Error);

        // Two claims of one call are checked against each other too.
        await node.Plugin.UnprepareAsync([first], Ct);
        Resourcev1ResourceClaim third = await node.CreateClaimAllocatedToAsync("third", "dev-1", Ct);
        V1.NodePrepareResourcesResponse both = await node.Plugin.PrepareAsync([second, third], Ct);
        Assert.Equal(string.Empty, both.Claims[second.Metadata.Uid].Error);
        Assert.StartsWith("device dev-1 is already prepared for claim default/second", both.Claims[third.Metadata.Uid].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_reboot_specs_are_written_again_byte_for_byte_and_side_effects_applied_again()
    {
        string bootId = Path.Combine(_root, "boot_id");
        await File.WriteAllTextAsync(bootId, "11111111-1111-1111-1111-111111111111\n", Ct);
        var effects = new RecordingEffects();
        Resourcev1ResourceClaim claim;
        string specPath;
        string before;
        await using (LocalNode node = await StartAsync(effects, bootId))
        {
            claim = await node.CreateClaimAllocatedToAsync("survivor", "dev-2", Ct);
            Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
            specPath = Assert.Single(Directory.GetFiles(CdiRoot));
            before = await File.ReadAllTextAsync(specPath, Ct);
        }

        Assert.Equal([$"apply {claim.Metadata.Uid} dev-2 timeslice=Long"], effects.Calls);

        // The reboot: a new boot id, and /var/run/cdi (a tmpfs) is empty; the side effects are gone too.
        await File.WriteAllTextAsync(bootId, "22222222-2222-2222-2222-222222222222\n", Ct);
        Directory.Delete(CdiRoot, recursive: true);
        await using (LocalNode node = await StartAsync(effects, bootId))
        {
            Assert.Equal(before, await File.ReadAllTextAsync(specPath, Ct));
            Assert.Equal(2, effects.Calls.Count(c => c.StartsWith("apply", StringComparison.Ordinal)));
            Assert.Empty(node.Host.Services.GetRequiredService<PreparedClaimStore>().RecordsNeedingRecreation);
        }

        // Restarted in the same boot with the spec in place: nothing is written or applied again.
        await using (LocalNode node = await StartAsync(effects, bootId))
        {
            Assert.Equal(2, effects.Calls.Count(c => c.StartsWith("apply", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task A_spec_someone_deleted_is_written_again_before_the_answer()
    {
        await using LocalNode node = await StartAsync();
        Resourcev1ResourceClaim claim = await node.CreateClaimAllocatedToAsync("deleted", "dev-0", Ct);
        V1.NodePrepareResourceResponse first = (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid];
        string spec = Assert.Single(Directory.GetFiles(CdiRoot));
        string content = await File.ReadAllTextAsync(spec, Ct);
        File.Delete(spec);

        Assert.Equal(first, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid]);
        Assert.Equal(content, await File.ReadAllTextAsync(spec, Ct));
    }

    [Fact]
    public async Task A_prepare_a_kill_interrupted_is_undone_and_orphans_of_the_kind_removed_before_the_kubelet_calls()
    {
        // What a kill between the intent and the checkpoint leaves: an intent, its spec, a temporary file.
        Directory.CreateDirectory(CdiRoot);
        var intents = new PreparedClaimStore(new PreparedClaimStoreOptions { CheckpointDirectory = DataDirectory, FileName = "prepare-intents.json", Durable = false });
        await intents.LoadAsync(Ct);
        string uid = "0b8f2a3c-1111-4000-8000-00000000000a";
        intents.MarkPrepareStarted(new PreparedClaimRecord
        {
            ClaimUid = uid,
            Namespace = "default",
            Name = "interrupted",
            Devices = [new PreparedDeviceRecord { PoolName = "node-a", DeviceName = "dev-3", CdiDeviceIds = [$"{Kind}={uid}-dev-3"] }],
            DriverData = JsonSerializer.SerializeToElement("timeslice=Long", RecordingJson.Default.String),
        });
        string orphan = Path.Combine(CdiRoot, $"k8s.dev.example.com-dev_{uid}.json");
        await File.WriteAllTextAsync(orphan, "{}", Ct);
        string temporary = Path.Combine(CdiRoot, $".k8s.dev.example.com-dev_{uid}.json.tmp-0123");
        await File.WriteAllTextAsync(temporary, "{", Ct);
        string otherKind = Path.Combine(CdiRoot, "vendor.example.com-other_x.json");
        await File.WriteAllTextAsync(otherKind, "{}", Ct);

        var effects = new RecordingEffects();
        await using LocalNode node = await StartAsync(effects);

        Assert.Equal([$"undo {uid} dev-3 timeslice=Long"], effects.Calls);
        Assert.False(File.Exists(orphan));
        Assert.False(File.Exists(temporary));
        Assert.True(File.Exists(otherKind));
        Assert.Empty(intents.Claims); // read again from the file the driver changed
    }

    [Fact]
    public async Task A_failed_side_effect_is_undone_and_leaves_nothing_and_the_retry_succeeds()
    {
        var effects = new RecordingEffects { FailNextApply = "the device is busy" };
        await using LocalNode node = await StartAsync(effects);
        Resourcev1ResourceClaim claim = await node.CreateClaimAllocatedToAsync("busy", "dev-0", Ct);

        string error = (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error;
        Assert.Equal($"applying claim default/busy ({claim.Metadata.Uid}) failed: the device is busy", error);
        Assert.Equal($"undo {claim.Metadata.Uid} dev-0 timeslice=Long", effects.Calls[^1]);
        Assert.Empty(Directory.GetFiles(CdiRoot));
        Assert.Empty(node.Host.Services.GetRequiredService<PreparedClaimStore>().Claims);

        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
        await node.Plugin.UnprepareAsync([claim], Ct);
        Assert.Equal($"undo {claim.Metadata.Uid} dev-0 timeslice=Long", effects.Calls[^1]);
    }

    [Fact]
    public async Task A_prepare_the_kubelet_gives_up_on_leaves_nothing_behind()
    {
        var effects = new RecordingEffects { BlockApply = true };
        await using LocalNode node = await StartAsync(effects);
        Resourcev1ResourceClaim claim = await node.CreateClaimAllocatedToAsync("slow", "dev-0", Ct);
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        giveUp.CancelAfter(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<Exception>(() => node.Plugin.PrepareAsync([claim], giveUp.Token));

        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!effects.Calls.Any(c => c.StartsWith("undo", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, Ct);
        }

        Assert.Equal([$"apply {claim.Metadata.Uid} dev-0 timeslice=Long", $"undo {claim.Metadata.Uid} dev-0 timeslice=Long"], effects.Calls);
        Assert.Empty(Directory.GetFiles(CdiRoot));
        Assert.Empty(node.Host.Services.GetRequiredService<PreparedClaimStore>().Claims);
        effects.BlockApply = false;
        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
    }

    [Fact]
    public async Task A_claim_an_earlier_version_recorded_without_its_spec_survives_the_upgrade()
    {
        Resourcev1ResourceClaim claim = await AllocateAsync(_api.CreateClient(), "old", "dev-1", _ => { });
        string uid = claim.Metadata.Uid;

        // The example driver before the pipeline: a completed record, its own driver data, and the spec file.
        var store = new PreparedClaimStore(new PreparedClaimStoreOptions { CheckpointDirectory = DataDirectory });
        await store.LoadAsync(Ct);
        string id = $"{Kind}={uid}-dev-1";
        store.MarkPrepareCompleted(new PreparedClaimRecord
        {
            ClaimUid = uid,
            Namespace = "default",
            Name = "old",
            Devices = [new PreparedDeviceRecord { PoolName = "node-a", DeviceName = "dev-1", Requests = ["req"], CdiDeviceIds = [id] }],
            DriverData = JsonDocument.Parse("""[{"Name":"dev-1","Env":["DEVICE=dev-1"],"AdminAccess":false}]""").RootElement,
        });
        var writer = new CdiSpecWriter(new CdiSpecWriterOptions { SpecDirectory = CdiRoot });
        writer.Write(new CdiSpec { Kind = Kind, Devices = [new CdiDevice { Name = $"{uid}-dev-1", ContainerEdits = new ContainerEdits { Env = ["DEVICE=dev-1"] } }] }, uid);

        await using LocalNode node = await StartAsync();
        PreparedClaimRecord adopted = node.Host.Services.GetRequiredService<PreparedClaimStore>().Claims[uid];
        Assert.NotNull(adopted.CdiSpec);
        Assert.Equal(id, adopted.Devices.Single().CdiDeviceIds.Single());

        // The kubelet asks again after the driver's restart: the same answer; unprepare removes what the old driver wrote.
        V1.NodePrepareResourceResponse answer = (await node.Plugin.PrepareAsync([claim], Ct)).Claims[uid];
        Assert.Equal(id, answer.Devices.Single().CdiDeviceIds.Single());
        await node.Plugin.UnprepareAsync([claim], Ct);
        Assert.Empty(Directory.GetFiles(CdiRoot));
    }

    [Fact]
    public async Task A_typed_opaque_config_is_checked_and_its_errors_name_the_place_in_the_claim()
    {
        var effects = new RecordingEffects();
        await using LocalNode node = await StartAsync(effects);
        Resourcev1ResourceClaim wrongKind = await AllocateAsync(node, "wrong-kind", "dev-0", _ => { }, config: """{"apiVersion":"dev.example.com/v1","kind":"Other"}""");
        Resourcev1ResourceClaim unknownField = await AllocateAsync(node, "unknown-field", "dev-1", _ => { }, config: """{"apiVersion":"dev.example.com/v1","kind":"DevConfig","speed":1}""");
        Resourcev1ResourceClaim good = await AllocateAsync(node, "good", "dev-2", _ => { }, config: """{"apiVersion":"dev.example.com/v1","kind":"DevConfig","timeslice":"Short"}""");

        Assert.Equal(
            "invalid opaque device configuration at status.allocation.devices.config[0].opaque.parameters.kind: must be DevConfig, not 'Other'",
            (await node.Plugin.PrepareAsync([wrongKind], Ct)).Claims[wrongKind.Metadata.Uid].Error);
        Assert.StartsWith(
            "invalid opaque device configuration at status.allocation.devices.config[0].opaque.parameters.speed",
            (await node.Plugin.PrepareAsync([unknownField], Ct)).Claims[unknownField.Metadata.Uid].Error,
            StringComparison.Ordinal);
        Assert.Equal(string.Empty, (await node.Plugin.PrepareAsync([good], Ct)).Claims[good.Metadata.Uid].Error);
        Assert.Equal($"apply {good.Metadata.Uid} dev-2 timeslice=Short", effects.Calls[^1]);
    }

    private async Task<LocalNode> StartAsync(RecordingEffects? effects = null, string? bootIdPath = null) =>
        await LocalNode.StartAsync(
            new LocalNodeOptions
            {
                ApiServer = _api,
                DriverName = "dev.example.com",
                RootDirectory = _root,
                ConfigureHost = builder =>
                {
                    if (effects is null)
                    {
                        builder.Services.AddMinimalDriver();
                    }
                    else
                    {
                        builder.Services.AddSingleton(effects);
                        builder.Services.AddCdiDriver<EffectsDriver>(Kind, o => o.DriverName = "dev.example.com");
                    }

                    if (bootIdPath is not null)
                    {
                        builder.Services.Configure<PreparedClaimStoreOptions>(o => o.BootIdPath = bootIdPath);
                    }
                },
            },
            Ct);

    private static Task<Resourcev1ResourceClaim> AllocateAsync(LocalNode node, string name, string device, Action<V1DeviceRequestAllocationResult> change, string? config = null) =>
        AllocateAsync(node.Client, name, device, change, config);

    private static async Task<Resourcev1ResourceClaim> AllocateAsync(
        IKubernetes client, string name, string device, Action<V1DeviceRequestAllocationResult> change, string? config = null)
    {
        var claim = new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec { Devices = new V1DeviceClaim { Requests = [new V1DeviceRequest { Name = "req", Exactly = new V1ExactDeviceRequest { DeviceClassName = "dev.example.com" } }] } },
        };
        Resourcev1ResourceClaim created = await client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default", cancellationToken: Ct);
        var result = new V1DeviceRequestAllocationResult { Request = "req", Driver = "dev.example.com", Pool = "node-a", Device = device };
        change(result);
        created.Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult
                {
                    Results = [result],
                    Config = config is null ? null : [new V1DeviceAllocationConfiguration { Source = "FromClaim", Opaque = new V1OpaqueDeviceConfiguration { Driver = "dev.example.com", Parameters = JsonDocument.Parse(config).RootElement } }],
                },
            },
        };
        return await client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, name, "default", cancellationToken: Ct);
    }
}

/// <summary>A driver with side effects (a "time slice" per claim) and a typed config, recording what it applies and undoes.</summary>
internal sealed class EffectsDriver(RecordingEffects effects) : ICdiDriver, IClaimSideEffects
{
    public ValueTask<ClaimPlan> PlanAsync(PreparableClaim claim, CancellationToken cancellationToken)
    {
        var plan = new ClaimPlan();
        string timeslice = "Long";
        foreach (V1DeviceRequestAllocationResult device in claim.Devices)
        {
            timeslice = claim.GetConfig(device, RecordingJson.Default.DevConfig, "dev.example.com/v1", "DevConfig")?.Timeslice ?? timeslice;
            plan.Add(device, new ContainerEdits { Env = [$"DEVICE={device.Device}", $"TIMESLICE={timeslice}"] });
        }

        plan.DriverData = JsonSerializer.SerializeToElement($"timeslice={timeslice}", RecordingJson.Default.String);
        return ValueTask.FromResult(plan);
    }

    public async ValueTask ApplyAsync(PreparedClaim claim, CancellationToken cancellationToken)
    {
        effects.Record("apply", claim);
        if (effects.BlockApply)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (effects.FailNextApply is { } failure)
        {
            effects.FailNextApply = null;
            throw new InvalidOperationException(failure);
        }
    }

    public ValueTask UndoAsync(PreparedClaim claim, CancellationToken cancellationToken)
    {
        effects.Record("undo", claim);
        return ValueTask.CompletedTask;
    }
}

internal sealed class RecordingEffects
{
    private readonly List<string> _calls = [];

    public string? FailNextApply { get; set; }

    public bool BlockApply { get; set; }

    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    public void Record(string what, PreparedClaim claim)
    {
        lock (_calls)
        {
            _calls.Add($"{what} {claim.Claim.Uid} {string.Join(',', claim.Devices.Select(d => d.DeviceName))} {claim.DriverData?.GetString()}");
        }
    }
}

internal sealed class DevConfig
{
    public string? ApiVersion { get; set; }

    public string? Kind { get; set; }

    public string? Timeslice { get; set; }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(DevConfig))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class RecordingJson : System.Text.Json.Serialization.JsonSerializerContext;
