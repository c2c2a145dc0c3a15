using System.Text;
using System.Text.Json.Nodes;
using DraSdk.KubeletPlugin.Tests.Infrastructure;
using DraSdk.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace DraSdk.KubeletPlugin.Tests;

public sealed class ClaimDeviceStatusTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Prepared_device_status_reaches_the_claim_next_to_another_drivers_entry_and_unprepare_removes_only_ours()
    {
        await using DriverHost host = await StartAsync(withStatus: true);
        KubeletPluginConnection plugin = await host.RegisterAsync();
        Resourcev1ResourceClaim claim = await host.CreateAllocatedClaimAsync("mixed",
            [("gpu", "gpu.example.com", "gpu-0"), ("nic", "net.example.com", "nic-3")], configs: null);

        // Another driver on the node has written its entry already.
        using IKubernetes other = host.Api.CreateClient();
        await other.ResourceV1.PatchNamespacedResourceClaimStatusAsync(
            new V1Patch(NicStatus("mixed", "10.9.8.7/24"), V1Patch.PatchType.ApplyPatch), "mixed", "default", fieldManager: "net.example.com", force: true, cancellationToken: Ct);

        V1.NodePrepareResourcesResponse response = await plugin.PrepareAsync([claim], Ct);
        Assert.Equal(string.Empty, response.Claims[claim.Metadata.Uid].Error);
        await Status(host).WhenWrittenAsync(Ct);

        Resourcev1ResourceClaim stored = host.Api.Get<Resourcev1ResourceClaim>("default", "mixed")!;
        Assert.Equal(["gpu-0", "nic-3"], stored.Status.Devices.Select(d => d.Device).Order());
        V1AllocatedDeviceStatus ours = stored.Status.Devices.Single(d => d.Driver == DriverHost.DriverName);
        Assert.Equal("node-a", ours.Pool);
        JsonNode data = JsonNode.Parse(KubernetesJson.Serialize(ours.Data))!;
        Assert.Equal("GPU-0000-gpu-0", data["uuid"]!.GetValue<string>());
        V1Condition ready = Assert.Single(ours.Conditions);
        Assert.Equal(("Ready", "True", "Prepared"), (ready.Type, ready.Status, ready.Reason));
        Assert.Contains(stored.Metadata.ManagedFields, m => m.Manager == DriverHost.DriverName && m.Operation == "Apply" && m.Subresource == "status");

        // The other driver writes again: ours survives.
        await other.ResourceV1.PatchNamespacedResourceClaimStatusAsync(
            new V1Patch(NicStatus("mixed", "10.9.8.8/24"), V1Patch.PatchType.ApplyPatch), "mixed", "default", fieldManager: "net.example.com", force: true, cancellationToken: Ct);
        Assert.Equal(2, host.Api.Get<Resourcev1ResourceClaim>("default", "mixed")!.Status.Devices.Count);

        await plugin.UnprepareAsync([claim], Ct);
        await Status(host).WhenWrittenAsync(Ct);
        stored = host.Api.Get<Resourcev1ResourceClaim>("default", "mixed")!;
        V1AllocatedDeviceStatus left = Assert.Single(stored.Status.Devices);
        Assert.Equal(("net.example.com", "nic-3"), (left.Driver, left.Device));
        Assert.Equal(["10.9.8.8/24"], left.NetworkData.Ips);
        Assert.DoesNotContain(stored.Metadata.ManagedFields, m => m.Manager == DriverHost.DriverName);
    }

    [Fact]
    public async Task A_failing_status_write_does_not_fail_the_prepare_and_is_retried_until_it_succeeds()
    {
        await using DriverHost host = await StartAsync(withStatus: true);
        KubeletPluginConnection plugin = await host.RegisterAsync();
        Resourcev1ResourceClaim claim = await host.CreateAllocatedClaimAsync("flaky", ("gpu", "gpu.example.com", "gpu-1"));
        ApiFault fault = host.Api.InjectFault("PATCH", "resourceclaims/status", 503, count: 3);

        V1.NodePrepareResourcesResponse response = await plugin.PrepareAsync([claim], Ct);

        Assert.Equal(string.Empty, response.Claims[claim.Metadata.Uid].Error);
        Assert.Single(response.Claims[claim.Metadata.Uid].Devices);
        await Status(host).WhenWrittenAsync(Ct);
        Assert.Equal(3, fault.Hits);
        Assert.Equal("gpu-1", Assert.Single(host.Api.Get<Resourcev1ResourceClaim>("default", "flaky")!.Status.Devices).Device);
        Assert.Contains(host.Logs.Snapshot(), l => l.StartsWith("Warning:", StringComparison.Ordinal) && l.Contains("default/flaky", StringComparison.Ordinal) && l.Contains("attempt 3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Oversize_data_is_a_clear_error_naming_the_claim_and_field_and_the_prepare_still_succeeds()
    {
        await using DriverHost host = await StartAsync(withStatus: true, dataBytes: DeviceStatus.MaxDataBytes + 1);
        KubeletPluginConnection plugin = await host.RegisterAsync();
        Resourcev1ResourceClaim claim = await host.CreateAllocatedClaimAsync("big", ("gpu", "gpu.example.com", "gpu-0"));

        V1.NodePrepareResourcesResponse response = await plugin.PrepareAsync([claim], Ct);

        Assert.Equal(string.Empty, response.Claims[claim.Metadata.Uid].Error);
        await Status(host).WhenWrittenAsync(Ct);
        string error = Assert.Single(host.Logs.Snapshot(), l => l.StartsWith("Error:", StringComparison.Ordinal) && l.Contains("device status", StringComparison.Ordinal));
        Assert.Contains($"default/big ({claim.Metadata.Uid})", error, StringComparison.Ordinal);
        Assert.Contains("status.devices[].data is", error, StringComparison.Ordinal);
        Assert.Contains("(10240)", error, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Api.Requests, r => r.Resource == "resourceclaims/status" && r.Method == "PATCH");

        // The service says the same to a driver that reports directly.
        var tooMany = new DeviceStatus { NetworkData = new V1NetworkDeviceData { Ips = [.. Enumerable.Range(1, 17).Select(i => $"10.0.0.{i}/24")] } };
        var thrown = Assert.Throws<ArgumentException>(() => Status(host).Report(new ClaimReference("default", "big", claim.Metadata.Uid), "node-a", "gpu-0", tooMany));
        Assert.Contains("claim default/big", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("networkData.ips has 17 entries", thrown.Message, StringComparison.Ordinal);
        var notCidr = new DeviceStatus { NetworkData = new V1NetworkDeviceData { Ips = ["10.0.0.1"] } };
        Assert.Contains("not an IP address with a prefix length", Assert.Throws<ArgumentException>(() => Status(host).Report(new ClaimReference("default", "big", claim.Metadata.Uid), "node-a", "gpu-0", notCidr)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_api_limit_is_checked_before_anything_is_sent_and_named_in_the_error()
    {
        await using DriverHost host = await StartAsync(withStatus: true);
        var claim = new ClaimReference("default", "limits", "0b7e6a53-0000-4000-8000-000000000001");
        V1Condition Ready(string type = "Ready", string status = "True", string reason = "Prepared") => new() { Type = type, Status = status, Reason = reason };
        (DeviceStatus Status, string Expected)[] cases =
        [
            (new DeviceStatus { Conditions = [.. Enumerable.Range(0, 9).Select(i => Ready(type: $"T{i}"))] }, "status.devices[].conditions has 9 conditions, more than the API allows (8)"),
            (new DeviceStatus { Conditions = [Ready(), Ready()] }, "status.devices[].conditions has type Ready twice"),
            (new DeviceStatus { Conditions = [Ready(status: "Maybe")] }, "conditions[Ready].status is \"Maybe\", not True, False or Unknown"),
            (new DeviceStatus { Conditions = [Ready(reason: "")] }, "conditions[Ready].reason is required"),
            (new DeviceStatus { Data = new JsonObject { ["blob"] = new string('x', DeviceStatus.MaxDataBytes) } }, "status.devices[].data is 10251 bytes, more than the API allows (10240)"),
            (new DeviceStatus { NetworkData = new V1NetworkDeviceData { InterfaceName = new string('e', 257) } }, "networkData.interfaceName is longer than the API allows (256 bytes)"),
            (new DeviceStatus { NetworkData = new V1NetworkDeviceData { HardwareAddress = new string('a', 129) } }, "networkData.hardwareAddress is longer than the API allows (128 bytes)"),
            (new DeviceStatus { NetworkData = new V1NetworkDeviceData { Ips = ["10.0.0.1/24", "10.0.0.1/24"] } }, "networkData.ips has \"10.0.0.1/24\" twice"),
            (new DeviceStatus { NetworkData = new V1NetworkDeviceData { Ips = ["fd00::1/200"] } }, "\"fd00::1/200\" is not an IP address with a prefix length"),
        ];

        foreach ((DeviceStatus status, string expected) in cases)
        {
            var thrown = Assert.Throws<ArgumentException>(() => Status(host).Report(claim, "node-a", "gpu-0", status));
            Assert.Contains($"device node-a/gpu-0 for claim {claim}", thrown.Message, StringComparison.Ordinal);
            Assert.Contains(expected, thrown.Message, StringComparison.Ordinal);
        }

        // What fits is accepted: an interface address with host bits (as interfaces have them) and IPv6.
        Status(host).Report(claim, "node-a", "gpu-0", new DeviceStatus { NetworkData = new V1NetworkDeviceData { InterfaceName = "eth1", Ips = ["10.9.8.7/24", "fd00::7/64"], HardwareAddress = "ea:9f:2c:00:00:01" } });
        await Status(host).WhenWrittenAsync(Ct); // the claim does not exist: dropped after a 404, not retried
        Assert.Single(host.Api.Requests, r => r.Resource == "resourceclaims/status" && r.Method == "PATCH");
    }

    [Fact]
    public async Task A_health_change_updates_the_condition_on_every_claim_with_the_device_and_keeps_the_rest()
    {
        await using DriverHost host = await StartAsync(withStatus: true);
        KubeletPluginConnection plugin = await host.RegisterAsync();
        Resourcev1ResourceClaim claim = await host.CreateAllocatedClaimAsync("health", ("gpu", "gpu.example.com", "gpu-2"));
        await plugin.PrepareAsync([claim], Ct);
        await Status(host).WhenWrittenAsync(Ct);

        int updated = Status(host).ReportCondition("node-a", "gpu-2", new V1Condition { Type = "Ready", Status = "False", Reason = "XidError", Message = "Xid 79: fallen off the bus" });
        Assert.Equal(0, Status(host).ReportCondition("node-a", "gpu-7", new V1Condition { Type = "Ready", Status = "False", Reason = "XidError" }));
        await Status(host).WhenWrittenAsync(Ct);

        Assert.Equal(1, updated);
        V1AllocatedDeviceStatus device = Assert.Single(host.Api.Get<Resourcev1ResourceClaim>("default", "health")!.Status.Devices);
        V1Condition ready = Assert.Single(device.Conditions);
        Assert.Equal(("False", "XidError", "Xid 79: fallen off the bus"), (ready.Status, ready.Reason, ready.Message));
        Assert.Equal("GPU-0000-gpu-2", JsonNode.Parse(KubernetesJson.Serialize(device.Data))!["uuid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_AddClaimDeviceStatus_nothing_is_written()
    {
        await using DriverHost host = await StartAsync(withStatus: false);
        KubeletPluginConnection plugin = await host.RegisterAsync();
        Resourcev1ResourceClaim claim = await host.CreateAllocatedClaimAsync("plain", ("gpu", "gpu.example.com", "gpu-0"));

        await plugin.PrepareAsync([claim], Ct);
        await plugin.UnprepareAsync([claim], Ct);

        Assert.Null(host.Host.Services.GetService<IClaimDeviceStatus>());
        Assert.DoesNotContain(host.Api.Requests, r => r.Resource == "resourceclaims/status" && r.Method == "PATCH");
    }

    private static IClaimDeviceStatus Status(DriverHost host) => host.Host.Services.GetRequiredService<IClaimDeviceStatus>();

    private static async Task<DriverHost> StartAsync(bool withStatus, int dataBytes = 0)
    {
        DriverHost host = await DriverHost.StartAsync<RecordingDriver>(
            builder: withStatus ? b => b.AddClaimDeviceStatus(o => o.InitialRetryDelay = TimeSpan.FromMilliseconds(20)) : null);
        RecordingDriver driver = host.Host.Services.GetRequiredService<RecordingDriver>();
        driver.OnPrepare = claim => PrepareResult.Success(claim.Devices.Select(d =>
            PreparedDevice.For(d, [$"k8s.gpu.example.com/gpu={claim.Uid}-{d.Device}"]) with
            {
                Status = new DeviceStatus
                {
                    Conditions = [new V1Condition { Type = "Ready", Status = "True", Reason = "Prepared", Message = "" }],
                    Data = new JsonObject { ["uuid"] = "GPU-0000-" + d.Device, ["padding"] = new string('x', dataBytes) },
                },
            }));
        return host;
    }

    private static string NicStatus(string claim, string ip) =>
        $$$"""{"apiVersion":"resource.k8s.io/v1","kind":"ResourceClaim","metadata":{"name":"{{{claim}}}","namespace":"default"},"status":{"devices":[{"driver":"net.example.com","pool":"node-a","device":"nic-3","networkData":{"interfaceName":"eth1","ips":["{{{ip}}}"],"hardwareAddress":"ea:9f:2c:00:00:01"}}]}}""";
}
