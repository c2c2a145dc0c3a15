using System.Text.Json;
using k8s;
using k8s.Models;

namespace ExampleDriver.Tests;

internal sealed class TempRoot : IDisposable
{
    public TempRoot()
    {
        Path = System.IO.Path.Combine("/tmp", "dra-ex-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class Claims
{
    /// <summary>Labels a namespace (creating it when missing) so that its claims may ask for admin access, as a cluster requires.</summary>
    public static async Task AllowAdminAccessAsync(IKubernetes client, string ns)
    {
        var labels = new Dictionary<string, string> { ["resource.kubernetes.io/admin-access"] = "true" };
        try
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns, Labels = labels } });
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            await client.CoreV1.PatchNamespaceAsync(new V1Patch(new { metadata = new { labels } }, V1Patch.PatchType.MergePatch), ns);
        }
    }

    /// <summary>Creates a claim and allocates the given GPUs of node-a to it, as the scheduler would.</summary>
    public static async Task<Resourcev1ResourceClaim> CreateAllocatedAsync(
        IKubernetes client, string name, string device, string? configJson = null, bool adminAccess = false, string pool = "node-a")
    {
        var claim = new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec { Devices = new V1DeviceClaim { Requests = [new V1DeviceRequest { Name = "gpu", Exactly = new V1ExactDeviceRequest { DeviceClassName = "gpu.example.com", AdminAccess = adminAccess ? true : null } }] } },
        };
        if (adminAccess)
        {
            await AllowAdminAccessAsync(client, "default");
        }

        Resourcev1ResourceClaim created = await client.ResourceV1.CreateNamespacedResourceClaimAsync(claim, "default");
        created.Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult
                {
                    Results = [new V1DeviceRequestAllocationResult { Request = "gpu", Driver = "gpu.example.com", Pool = pool, Device = device, AdminAccess = adminAccess ? true : null }],
                    Config = configJson is null ? null :
                    [
                        new V1DeviceAllocationConfiguration
                        {
                            Source = "FromClaim",
                            Opaque = new V1OpaqueDeviceConfiguration { Driver = "gpu.example.com", Parameters = JsonDocument.Parse(configJson).RootElement },
                        },
                    ],
                },
            },
        };
        return await client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, name, "default");
    }
}
