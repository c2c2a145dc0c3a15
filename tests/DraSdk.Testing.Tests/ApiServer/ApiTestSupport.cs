using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DraSdk.Testing.Tests.ApiServer;

internal static class ApiTestSupport
{
    public static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public static V1ResourceSlice Slice(string name, string node = "node-a", string driver = "gpu.example.com", int devices = 1, IDictionary<string, string>? labels = null) => new()
    {
        ApiVersion = "resource.k8s.io/v1",
        Kind = "ResourceSlice",
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Spec = new V1ResourceSliceSpec
        {
            Driver = driver,
            NodeName = node,
            Pool = new V1ResourcePool { Name = node, Generation = 1, ResourceSliceCount = 1 },
            Devices = [.. Enumerable.Range(0, devices).Select(i => new V1Device { Name = $"gpu-{i}" })],
        },
    };

    public static Resourcev1ResourceClaim Claim(string name, string ns = "default", params string[] requests) => new()
    {
        ApiVersion = "resource.k8s.io/v1",
        Kind = "ResourceClaim",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1ResourceClaimSpec
        {
            Devices = new V1DeviceClaim
            {
                Requests = [.. (requests.Length == 0 ? ["gpu"] : requests).Select(r => new V1DeviceRequest
                {
                    Name = r,
                    Exactly = new V1ExactDeviceRequest { DeviceClassName = "gpu.example.com" },
                })],
            },
        },
    };

    /// <summary>Runs <paramref name="call"/>, expects an HTTP error, and returns the parsed Status.</summary>
    public static async Task<V1Status> ExpectStatusAsync(HttpStatusCode code, Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<HttpOperationException>(call);
        Assert.Equal(code, ex.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(ex.Response.Content);
        Assert.Equal("Status", status.Kind);
        Assert.Equal("v1", status.ApiVersion);
        Assert.Equal("Failure", status.Status);
        Assert.Equal((int)code, status.Code);
        return status;
    }

    /// <summary>Reads watch events until <paramref name="count"/> arrived, the stream ends or the token fires.</summary>
    public static async Task<List<(WatchEventType Type, T Object)>> TakeAsync<T>(IAsyncEnumerator<(WatchEventType, T)> events, int count)
    {
        var list = new List<(WatchEventType, T)>();
        while (list.Count < count && await events.MoveNextAsync())
        {
            list.Add(events.Current);
        }

        return list;
    }
}
