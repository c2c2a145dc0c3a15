using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace NvidiaGpuDriver.Tests;

internal sealed class TempRoot : IDisposable
{
    public TempRoot()
    {
        Path = System.IO.Path.Combine("/tmp", "nvdra-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string relative, string content = "")
    {
        string path = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

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

/// <summary>The NVIDIA node snapshots (copies of the shared fixtures, under Fixtures/nvidia) and this project's own.</summary>
internal static class Fixtures
{
    public const string RealH100 = "h100-80gb-hbm3";
    public const string Mig = "h100-mig-synthetic";
    public const string Dgx = "dgx-h100-8gpu-synthetic";

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string SharedDirectory => Path.Combine(RepositoryRoot, "tests", "NvidiaGpuDriver.Tests", "Fixtures", "nvidia");

    /// <summary>The nvml.json of a node snapshot.</summary>
    public static string Shared(string name)
    {
        string path = Path.Combine(SharedDirectory, name, "nvml.json");
        Assert.True(File.Exists(path), $"node snapshot {path} is missing");
        return path;
    }

    public static string Local(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static string KindSnapshot => Path.Combine(RepositoryRoot, "examples", "NvidiaGpuDriver", "deployments", "snapshots", "kind-node.json");

    /// <summary>A fixture changed by <paramref name="edit"/>, written to <paramref name="root"/>.</summary>
    public static string Edited(TempRoot root, string sharedName, Action<JsonObject> edit, string fileName = "nvml.json")
    {
        JsonObject json = JsonNode.Parse(File.ReadAllText(Shared(sharedName)))!.AsObject();
        edit(json);
        return root.File(fileName, json.ToJsonString());
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DraSdk.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root (DraSdk.sln) not found above " + AppContext.BaseDirectory);
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

    public const string Driver = "gpu.nvidia.com";

    /// <summary>Creates a claim and allocates the given devices of node-a to it (one request per device: gpu0, gpu1...), as the scheduler would.</summary>
    public static async Task<Resourcev1ResourceClaim> CreateAllocatedAsync(
        IKubernetes client, string name, string device, string? configJson = null, bool adminAccess = false, string pool = "node-a", string[]? more = null)
    {
        string[] devices = [device, .. more ?? []];
        var claim = new Resourcev1ResourceClaim
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceClaim",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1ResourceClaimSpec
            {
                Devices = new V1DeviceClaim
                {
                    Requests = [.. devices.Select((_, i) => new V1DeviceRequest { Name = $"gpu{i}", Exactly = new V1ExactDeviceRequest { DeviceClassName = "gpu.nvidia.com", AdminAccess = adminAccess ? true : null } })],
                },
            },
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
                    Results = [.. devices.Select((d, i) => new V1DeviceRequestAllocationResult { Request = $"gpu{i}", Driver = Driver, Pool = pool, Device = d, AdminAccess = adminAccess ? true : null })],
                    Config = configJson is null ? null :
                    [
                        new V1DeviceAllocationConfiguration
                        {
                            Source = "FromClaim",
                            Opaque = new V1OpaqueDeviceConfiguration { Driver = Driver, Parameters = JsonDocument.Parse(configJson).RootElement },
                        },
                    ],
                },
            },
        };
        return await client.ResourceV1.ReplaceNamespacedResourceClaimStatusAsync(created, name, "default");
    }
}
