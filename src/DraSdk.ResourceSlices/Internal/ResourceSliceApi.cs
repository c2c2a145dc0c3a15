using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using DraSdk.Internal;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>
/// A ResourceSlice cannot be written in the version of resource.k8s.io the API server serves, because that version
/// (or the client's model of it) has no place for one of its fields. Permanent: the same slice would fail again.
/// </summary>
internal sealed class ResourceApiVersionException(string message) : InvalidOperationException(message);

/// <summary>
/// The ResourceSlice calls of the publisher in whichever of resource.k8s.io v1, v1beta2 and v1beta1 the API server
/// serves: the version is discovered on first use (<c>GET /apis/resource.k8s.io</c>); without discovery, v1 is tried
/// first and a 404 moves to the next version. Slices go in and come out as v1; a slice a version cannot carry fully
/// is refused with a <see cref="ResourceApiVersionException"/> naming the field, before anything is sent.
/// </summary>
internal sealed class ResourceSliceApi(IKubernetes client)
{
    private readonly Lock _gate = new();
    private string? _version;
    private bool _confirmed;

    /// <summary>The version in use; null until the first call resolved it.</summary>
    public string? Version
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    public async Task<V1ResourceSliceList> ListAsync(string fieldSelector, string? continueToken, int limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            string version = await ResolveAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return version switch
                {
                    "v1beta2" => ListOf(await client.ResourceV1beta2.ListResourceSliceAsync(
                        continueParameter: continueToken, fieldSelector: fieldSelector, limit: limit, cancellationToken: cancellationToken).ConfigureAwait(false), version),
                    "v1beta1" => ListOf(await client.ResourceV1beta1.ListResourceSliceAsync(
                        continueParameter: continueToken, fieldSelector: fieldSelector, limit: limit, cancellationToken: cancellationToken).ConfigureAwait(false), version),
                    _ => await client.ResourceV1.ListResourceSliceAsync(
                        continueParameter: continueToken, fieldSelector: fieldSelector, limit: limit, cancellationToken: cancellationToken).ConfigureAwait(false),
                };
            }
            catch (HttpOperationException ex) when (ApiErrors.IsStatus(ex, HttpStatusCode.NotFound) && continueToken is null && NotServed(version))
            {
                // The version is not served: the next one is tried at once.
            }
        }
    }

    public async IAsyncEnumerable<(WatchEventType, V1ResourceSlice)> Watch(
        string fieldSelector, string resourceVersion, int timeoutSeconds, Action<Exception> onError, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string version = await ResolveAsync(cancellationToken).ConfigureAwait(false);
        switch (version)
        {
            case "v1beta2":
                await foreach ((WatchEventType type, V1beta2ResourceSlice slice) in client.ResourceV1beta2.WatchListResourceSliceAsync(
                    allowWatchBookmarks: true, fieldSelector: fieldSelector, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    yield return (type, ToV1(slice, version));
                }

                break;
            case "v1beta1":
                await foreach ((WatchEventType type, V1beta1ResourceSlice slice) in client.ResourceV1beta1.WatchListResourceSliceAsync(
                    allowWatchBookmarks: true, fieldSelector: fieldSelector, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    yield return (type, ToV1(slice, version));
                }

                break;
            default:
                await foreach ((WatchEventType type, V1ResourceSlice slice) in client.ResourceV1.WatchListResourceSliceAsync(
                    allowWatchBookmarks: true, fieldSelector: fieldSelector, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    yield return (type, slice);
                }

                break;
        }
    }

    public async Task<V1ResourceSlice> CreateAsync(V1ResourceSlice slice, string fieldManager, CancellationToken cancellationToken)
    {
        string version = await ResolveAsync(cancellationToken).ConfigureAwait(false);
        return version switch
        {
            "v1beta2" => ToV1(await client.ResourceV1beta2.CreateResourceSliceAsync(
                FromV1<V1beta2ResourceSlice>(slice, version), fieldManager: fieldManager, cancellationToken: cancellationToken).ConfigureAwait(false), version),
            "v1beta1" => ToV1(await client.ResourceV1beta1.CreateResourceSliceAsync(
                FromV1<V1beta1ResourceSlice>(slice, version), fieldManager: fieldManager, cancellationToken: cancellationToken).ConfigureAwait(false), version),
            _ => await client.ResourceV1.CreateResourceSliceAsync(slice, fieldManager: fieldManager, cancellationToken: cancellationToken).ConfigureAwait(false),
        };
    }

    public async Task<V1ResourceSlice> ReplaceAsync(V1ResourceSlice slice, string name, string fieldManager, CancellationToken cancellationToken)
    {
        string version = await ResolveAsync(cancellationToken).ConfigureAwait(false);
        return version switch
        {
            "v1beta2" => ToV1(await client.ResourceV1beta2.ReplaceResourceSliceAsync(
                FromV1<V1beta2ResourceSlice>(slice, version), name, fieldManager: fieldManager, cancellationToken: cancellationToken).ConfigureAwait(false), version),
            "v1beta1" => ToV1(await client.ResourceV1beta1.ReplaceResourceSliceAsync(
                FromV1<V1beta1ResourceSlice>(slice, version), name, fieldManager: fieldManager, cancellationToken: cancellationToken).ConfigureAwait(false), version),
            _ => await client.ResourceV1.ReplaceResourceSliceAsync(slice, name, fieldManager: fieldManager, cancellationToken: cancellationToken).ConfigureAwait(false),
        };
    }

    public async Task<V1ResourceSlice> ReadAsync(string name, CancellationToken cancellationToken)
    {
        string version = await ResolveAsync(cancellationToken).ConfigureAwait(false);
        return version switch
        {
            "v1beta2" => ToV1(await client.ResourceV1beta2.ReadResourceSliceAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false), version),
            "v1beta1" => ToV1(await client.ResourceV1beta1.ReadResourceSliceAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false), version),
            _ => await client.ResourceV1.ReadResourceSliceAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false),
        };
    }

    public async Task DeleteAsync(string name, V1DeleteOptions options, CancellationToken cancellationToken)
    {
        string version = await ResolveAsync(cancellationToken).ConfigureAwait(false);
        switch (version)
        {
            case "v1beta2":
                await client.ResourceV1beta2.DeleteResourceSliceAsync(name, options, cancellationToken: cancellationToken).ConfigureAwait(false);
                break;
            case "v1beta1":
                await client.ResourceV1beta1.DeleteResourceSliceAsync(name, options, cancellationToken: cancellationToken).ConfigureAwait(false);
                break;
            default:
                await client.ResourceV1.DeleteResourceSliceAsync(name, options, cancellationToken: cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>
    /// A v1 slice in <paramref name="version"/>'s model, or a <see cref="ResourceApiVersionException"/> naming the
    /// fields the version cannot hold (found by a round trip through its model).
    /// </summary>
    internal static T FromV1<T>(V1ResourceSlice slice, string version)
    {
        JsonObject v1 = Node(slice, "v1");
        JsonObject converted = ResourceApiVersions.Convert(v1, version);
        T typed = KubernetesJson.Deserialize<T>(converted.ToJsonString());
        List<string> lost = ResourceApiVersions.Lost(converted, JsonNode.Parse(KubernetesJson.Serialize(typed)));
        if (lost.Count > 0)
        {
            string name = slice.Metadata?.Name ?? slice.Metadata?.GenerateName + "*";
            throw new ResourceApiVersionException(
                $"ResourceSlice {name} (pool '{slice.Spec?.Pool?.Name}') cannot be published in {ResourceApiVersions.Group}/{version}, the version the API server serves: it has no field {string.Join(", ", lost)}. Stop publishing that field or upgrade the cluster to one that serves {ResourceApiVersions.Group}/v1");
        }

        return typed;
    }

    internal static V1ResourceSlice ToV1<T>(T slice, string version) =>
        KubernetesJson.Deserialize<V1ResourceSlice>(ResourceApiVersions.ToV1(Node(slice, version)).ToJsonString());

    private static JsonObject Node<T>(T obj, string version)
    {
        var node = (JsonObject)JsonNode.Parse(KubernetesJson.Serialize(obj))!;
        node["apiVersion"] = ResourceApiVersions.Group + "/" + version;
        node["kind"] = "ResourceSlice";
        return node;
    }

    private static V1ResourceSliceList ListOf(V1beta2ResourceSliceList list, string version) =>
        new() { Metadata = list.Metadata, Items = [.. list.Items.Select(s => ToV1(s, version))] };

    private static V1ResourceSliceList ListOf(V1beta1ResourceSliceList list, string version) =>
        new() { Metadata = list.Metadata, Items = [.. list.Items.Select(s => ToV1(s, version))] };

    /// <summary>Picks the version: the best one the group's discovery lists, else v1 to be tried.</summary>
    private async Task<string> ResolveAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_version is not null)
            {
                return _version;
            }
        }

        string version = "v1";
        bool confirmed = false;
        try
        {
            V1APIGroup group = await client.Resource.GetAPIGroupAsync(cancellationToken).ConfigureAwait(false);
            var served = group.Versions?.Select(v => v.Version).ToHashSet(StringComparer.Ordinal) ?? [];
            if (ResourceApiVersions.Supported.FirstOrDefault(served.Contains) is { } best)
            {
                version = best;
                confirmed = true;
            }
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or System.Text.Json.JsonException
            || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // No discovery (refused, not served, unreachable): the calls themselves find the version.
        }

        lock (_gate)
        {
            _version ??= version;
            _confirmed = confirmed;
            return _version;
        }
    }

    /// <summary>After a 404 for the whole collection: moves to the next version when there is one to try.</summary>
    private bool NotServed(string version)
    {
        lock (_gate)
        {
            if (_version != version)
            {
                return true;
            }

            if (_confirmed)
            {
                // Discovery said it was served; it may be gone (an upgrade or downgrade): discover again next time.
                _version = null;
                return false;
            }

            int index = ResourceApiVersions.Supported.ToList().IndexOf(version);
            if (index + 1 >= ResourceApiVersions.Supported.Count)
            {
                _version = null;
                return false;
            }

            _version = ResourceApiVersions.Supported[index + 1];
            return true;
        }
    }
}
