using System.Text.Json;
using DraSdk.KubeletPlugin.Tests.Infrastructure;
using DraSdk.Testing;
using Grpc.Core;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using V1 = DraSdk.Kubelet.Api.Dra.V1;
using V1Beta1 = DraSdk.Kubelet.Api.Dra.V1Beta1;

namespace DraSdk.KubeletPlugin.Tests;

public sealed class PrepareTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Prepare_hands_the_driver_only_its_own_devices_and_answers_per_claim()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();
        Resourcev1ResourceClaim claim = await host.CreateAllocatedClaimAsync("two-gpus",
            [("gpu/large", "gpu.example.com", "gpu-0"), ("nic", "net.example.com", "nic-3"), ("gpu/large", "gpu.example.com", "gpu-1")],
            configs: null, shareId: "9a1c2f3e-0000-4000-8000-000000000001");

        V1.NodePrepareResourcesResponse response = await plugin.PrepareAsync([claim], Ct);

        RecordingDriver driver = host.Host.Services.GetRequiredService<RecordingDriver>();
        PreparableClaim handed = Assert.Single(driver.Prepared);
        Assert.Equal(["gpu-0", "gpu-1"], handed.Devices.Select(d => d.Device));
        Assert.Equal(new ClaimReference("default", "two-gpus", claim.Metadata.Uid), handed.Reference);

        V1.NodePrepareResourceResponse result = response.Claims[claim.Metadata.Uid];
        Assert.Equal(string.Empty, result.Error);
        Assert.Equal(2, result.Devices.Count);
        V1.Device first = result.Devices[0];
        Assert.Equal(["gpu"], first.RequestNames); // "gpu/large" reduced to its base request name
        Assert.Equal("node-a", first.PoolName);
        Assert.Equal("gpu-0", first.DeviceName);
        Assert.Equal([$"k8s.gpu.example.com/gpu={claim.Metadata.Uid}-gpu-0"], first.CdiDeviceIds);
        Assert.True(first.HasShareId);
        Assert.Equal("9a1c2f3e-0000-4000-8000-000000000001", first.ShareId);
    }

    [Fact]
    public async Task V1beta1_gives_the_same_answer_without_the_share_id()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();
        Resourcev1ResourceClaim claim = await host.CreateAllocatedClaimAsync("beta",
            [("gpu", "gpu.example.com", "gpu-2")], configs: null, shareId: "9a1c2f3e-0000-4000-8000-000000000002");

        var request = new V1Beta1.NodePrepareResourcesRequest();
        request.Claims.Add(new V1Beta1.Claim { Namespace = "default", Name = "beta", Uid = claim.Metadata.Uid });
        V1Beta1.NodePrepareResourcesResponse response = await plugin.DraV1Beta1.NodePrepareResourcesAsync(request, cancellationToken: Ct);

        V1Beta1.Device device = Assert.Single(response.Claims[claim.Metadata.Uid].Devices);
        Assert.Equal("gpu-2", device.DeviceName);
        Assert.Equal(["gpu"], device.RequestNames);
        Assert.Equal([$"k8s.gpu.example.com/gpu={claim.Metadata.Uid}-gpu-2"], device.CdiDeviceIds);

        var unprepare = new V1Beta1.NodeUnprepareResourcesRequest();
        unprepare.Claims.Add(request.Claims[0]);
        V1Beta1.NodeUnprepareResourcesResponse un = await plugin.DraV1Beta1.NodeUnprepareResourcesAsync(unprepare, cancellationToken: Ct);
        Assert.Equal(string.Empty, un.Claims[claim.Metadata.Uid].Error);
    }

    [Fact]
    public async Task Missing_replaced_and_unallocated_claims_fail_alone()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();
        Resourcev1ResourceClaim good = await host.CreateAllocatedClaimAsync("good", ("gpu", "gpu.example.com", "gpu-0"));
        Resourcev1ResourceClaim replaced = await host.CreateAllocatedClaimAsync("replaced", ("gpu", "gpu.example.com", "gpu-1"));
        Resourcev1ResourceClaim pending = await host.CreateAllocatedClaimAsync("pending");

        var request = new V1.NodePrepareResourcesRequest();
        request.Claims.Add(KubeletPluginConnection.ToWire(good));
        request.Claims.Add(new V1.Claim { Namespace = "default", Name = "gone", Uid = "11111111-2222-3333-4444-555555555555" });
        request.Claims.Add(new V1.Claim { Namespace = "default", Name = "replaced", Uid = "66666666-2222-3333-4444-555555555555" });
        request.Claims.Add(KubeletPluginConnection.ToWire(pending));
        V1.NodePrepareResourcesResponse response = await plugin.DraV1.NodePrepareResourcesAsync(request, cancellationToken: Ct);

        Assert.Equal(4, response.Claims.Count);
        Assert.Equal(string.Empty, response.Claims[good.Metadata.Uid].Error);
        Assert.Single(response.Claims[good.Metadata.Uid].Devices);
        Assert.Contains("default/gone not found", response.Claims["11111111-2222-3333-4444-555555555555"].Error, StringComparison.Ordinal);
        string replacedError = response.Claims["66666666-2222-3333-4444-555555555555"].Error;
        Assert.Contains(replaced.Metadata.Uid, replacedError, StringComparison.Ordinal);
        Assert.Contains("replaced", replacedError, StringComparison.Ordinal);
        Assert.Contains("is not allocated", response.Claims[pending.Metadata.Uid].Error, StringComparison.Ordinal);

        // Only the good claim reached the driver.
        RecordingDriver driver = host.Host.Services.GetRequiredService<RecordingDriver>();
        Assert.Equal(["good"], driver.Prepared.Select(c => c.Reference.Name));
    }

    [Fact]
    public async Task A_claim_read_the_api_server_forbids_names_the_rbac_fix_and_is_logged_once_until_it_works_again()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();
        Resourcev1ResourceClaim claim = await host.CreateAllocatedClaimAsync("rbac", ("gpu", "gpu.example.com", "gpu-0"));
        host.Api.InjectFault("GET", "resourceclaims", 403, count: 3,
            message: "resourceclaims.resource.k8s.io \"rbac\" is forbidden: User \"system:serviceaccount:dra:gpu\" cannot get resource \"resourceclaims\"");

        // The kubelet retries a failed prepare: three refusals, one error line.
        for (int i = 0; i < 3; i++)
        {
            string error = (await plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error;
            Assert.Contains("403 Forbidden", error, StringComparison.Ordinal);
            Assert.Contains("needs get on resourceclaims.resource.k8s.io", error, StringComparison.Ordinal);
        }

        Assert.Single(host.Logs.Snapshot(), l => l.StartsWith("Error:", StringComparison.Ordinal) && l.Contains("refuses the driver's reads of ResourceClaims", StringComparison.Ordinal));

        // Fixed: the next prepare works and says so once.
        Assert.Equal(string.Empty, (await plugin.PrepareAsync([claim], Ct)).Claims[claim.Metadata.Uid].Error);
        Assert.Single(host.Logs.Snapshot(), l => l.Contains("lets the driver read ResourceClaims again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_empty_request_gets_an_empty_answer_and_a_claim_without_uid_fails_the_call()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();

        V1.NodePrepareResourcesResponse empty = await plugin.DraV1.NodePrepareResourcesAsync(new V1.NodePrepareResourcesRequest(), cancellationToken: Ct);
        Assert.Empty(empty.Claims);

        var bad = new V1.NodePrepareResourcesRequest();
        bad.Claims.Add(new V1.Claim { Namespace = "default", Name = "x", Uid = string.Empty });
        RpcException error = await Assert.ThrowsAsync<RpcException>(() => plugin.DraV1.NodePrepareResourcesAsync(bad, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("claims[0]: uid is empty", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_driver_exception_fails_the_call_and_the_driver_keeps_serving()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();
        RecordingDriver driver = host.Host.Services.GetRequiredService<RecordingDriver>();
        Resourcev1ResourceClaim claim = await host.CreateAllocatedClaimAsync("boom", ("gpu", "gpu.example.com", "gpu-0"));

        driver.ThrowOnPrepare = new InvalidOperationException("device gpu-0 is on fire");
        RpcException error = await Assert.ThrowsAsync<RpcException>(() => plugin.PrepareAsync([claim], Ct));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("device gpu-0 is on fire", error.Status.Detail, StringComparison.Ordinal);

        driver.ThrowOnPrepare = null;
        V1.NodePrepareResourcesResponse ok = await plugin.PrepareAsync([claim], Ct);
        Assert.Equal(string.Empty, ok.Claims[claim.Metadata.Uid].Error);
    }

    [Fact]
    public async Task A_missing_result_and_a_failed_result_reach_the_kubelet_per_claim()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();
        RecordingDriver driver = host.Host.Services.GetRequiredService<RecordingDriver>();
        Resourcev1ResourceClaim a = await host.CreateAllocatedClaimAsync("a", ("gpu", "gpu.example.com", "gpu-0"));
        driver.OnPrepare = c => PrepareResult.Failure("gpu-0 is already prepared for claim default/other");

        V1.NodePrepareResourcesResponse response = await plugin.PrepareAsync([a], Ct);

        Assert.Equal("gpu-0 is already prepared for claim default/other", response.Claims[a.Metadata.Uid].Error);
        Assert.Empty(response.Claims[a.Metadata.Uid].Devices);
    }

    [Fact]
    public async Task A_malformed_opaque_config_is_reported_for_that_claim_with_its_path()
    {
        await using DriverHost host = await DriverHost.StartAsync<ConfigDecodingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();
        V1DeviceAllocationConfiguration Config(string source, string json, params string[] requests) => new()
        {
            Source = source,
            Requests = requests,
            Opaque = new V1OpaqueDeviceConfiguration { Driver = "gpu.example.com", Parameters = JsonDocument.Parse(json).RootElement },
        };

        Resourcev1ResourceClaim good = await host.CreateAllocatedClaimAsync("good", [("gpu", "gpu.example.com", "gpu-0")],
        [
            Config("FromClaim", """{"apiVersion":"gpu.example.com/v1","kind":"Sharing","replicas":4}"""),
            Config("FromClass", """{"apiVersion":"gpu.example.com/v1","kind":"Sharing","replicas":2}"""),
            new V1DeviceAllocationConfiguration { Source = "FromClaim", Opaque = new V1OpaqueDeviceConfiguration { Driver = "other.example.com", Parameters = JsonDocument.Parse("{\"x\":1}").RootElement } },
        ]);
        Resourcev1ResourceClaim typo = await host.CreateAllocatedClaimAsync("typo", [("gpu", "gpu.example.com", "gpu-1")],
            [Config("FromClaim", """{"apiVersion":"gpu.example.com/v1","kind":"Sharing","replicas":"four"}""")]);
        Resourcev1ResourceClaim unknown = await host.CreateAllocatedClaimAsync("unknown", [("gpu", "gpu.example.com", "gpu-2")],
            [Config("FromClaim", """{"apiVersion":"gpu.example.com/v1","kind":"Sharing","replicas":1,"replicaz":2}""")]);
        Resourcev1ResourceClaim invalid = await host.CreateAllocatedClaimAsync("invalid", [("gpu", "gpu.example.com", "gpu-3")],
            [Config("FromClaim", """{"apiVersion":"gpu.example.com/v1","kind":"Sharing","replicas":0}""")]);

        V1.NodePrepareResourcesResponse response = await plugin.PrepareAsync([good, typo, unknown, invalid], Ct);

        Assert.Equal(string.Empty, response.Claims[good.Metadata.Uid].Error);
        // Class config first, then claim config: the claim's value wins when applied in order.
        Assert.Equal([2, 4], host.Host.Services.GetRequiredService<ConfigDecodingDriver>().ReplicasSeen);
        Assert.Contains("status.allocation.devices.config[0].opaque.parameters.replicas", response.Claims[typo.Metadata.Uid].Error, StringComparison.Ordinal);
        Assert.Contains("replicaz", response.Claims[unknown.Metadata.Uid].Error, StringComparison.Ordinal);
        Assert.Contains("config[0].opaque.parameters.replicas: must be at least 1", response.Claims[invalid.Metadata.Uid].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unprepare_needs_no_claim_in_the_api_server()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();

        var request = new V1.NodeUnprepareResourcesRequest();
        request.Claims.Add(new V1.Claim { Namespace = "default", Name = "deleted-already", Uid = "aaaaaaaa-2222-3333-4444-555555555555" });
        V1.NodeUnprepareResourcesResponse response = await plugin.DraV1.NodeUnprepareResourcesAsync(request, cancellationToken: Ct);

        Assert.Equal(string.Empty, response.Claims["aaaaaaaa-2222-3333-4444-555555555555"].Error);
        RecordingDriver driver = host.Host.Services.GetRequiredService<RecordingDriver>();
        Assert.Equal("deleted-already", Assert.Single(driver.Unprepared).Name);
    }

    [Fact]
    public async Task Every_call_is_logged_with_a_request_id()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();
        Resourcev1ResourceClaim claim = await host.CreateAllocatedClaimAsync("logged", ("gpu", "gpu.example.com", "gpu-0"));

        await plugin.PrepareAsync([claim], Ct);

        string line = Assert.Single(host.Logs.Snapshot(), l => l.Contains("NodePrepareResources request", StringComparison.Ordinal) && l.Contains("finished with OK", StringComparison.Ordinal));
        Assert.Matches(@"\[RequestId:\d+ /k8s\.io\.kubelet\.pkg\.apis\.dra\.v1\.DRAPlugin/NodePrepareResources\]", line);

        // Once, by the plugin: ASP.NET Core's own per-request lines (Information) are not repeated in the driver's log.
        Assert.DoesNotContain(host.Logs.Snapshot(), l => l.StartsWith("Information:", StringComparison.Ordinal)
            && (l.Contains("Request starting", StringComparison.Ordinal) || l.Contains("Executing endpoint", StringComparison.Ordinal) || l.Contains("Now listening on", StringComparison.Ordinal)));
    }
}
