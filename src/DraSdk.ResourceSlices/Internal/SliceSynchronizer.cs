using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>
/// One pass of bringing the ResourceSlices of a driver on a node in line with the desired pools: list what exists,
/// plan, then delete, update and create. Not thread-safe: the publisher runs one sync at a time.
/// </summary>
internal sealed class SliceSynchronizer
{
    /// <summary>How often a sync re-reads and tries again at once after a 409 Conflict before it counts as a failure.</summary>
    internal const int MaxConflictAttempts = 5;

    private const string NodeApiVersion = "v1";
    private const string NodeKind = "Node";

    private readonly IKubernetes _client;
    private readonly ILogger _logger;
    private readonly string _fieldManager;
    private readonly string _generateName;

    /// <summary>What was last written to a slice (by uid) and what the API server answered, so that server-side normalization does not cause an update every sync.</summary>
    private readonly Dictionary<string, (JsonNode Sent, JsonNode Returned)> _written = new(StringComparer.Ordinal);

    /// <summary>The highest generation published per pool, so that a pool whose slices were all deleted continues upwards.</summary>
    private readonly Dictionary<string, long> _generations = new(StringComparer.Ordinal);

    private V1OwnerReference? _owner;
    private long _created;
    private long _updated;
    private long _deleted;

    public SliceSynchronizer(IKubernetes client, string driverName, string nodeName, string fieldManager, ILogger logger)
    {
        _client = client;
        DriverName = driverName;
        NodeName = nodeName;
        _fieldManager = fieldManager;
        _logger = logger;
        _generateName = SliceNames.GenerateName(nodeName, driverName);
    }

    public string DriverName { get; }

    public string NodeName { get; }

    public long Created => Interlocked.Read(ref _created);

    public long Updated => Interlocked.Read(ref _updated);

    public long Deleted => Interlocked.Read(ref _deleted);

    /// <summary>Brings the slices in line with <paramref name="desired"/>; re-reads and retries on conflicts; throws on other errors.</summary>
    /// <returns>The published generation of each desired pool.</returns>
    public async Task<IReadOnlyDictionary<string, long>> SyncAsync(DesiredState desired, CancellationToken cancellationToken)
    {
        V1OwnerReference owner = await GetOwnerAsync(cancellationToken).ConfigureAwait(false);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await SyncOnceAsync(desired, owner, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException ex) when (attempt < MaxConflictAttempts && ApiErrors.IsStatus(ex, HttpStatusCode.Conflict))
            {
                Log.Conflict(_logger, attempt, ApiErrors.Describe("Writing a ResourceSlice", ex));
            }
        }
    }

    private async Task<IReadOnlyDictionary<string, long>> SyncOnceAsync(DesiredState desired, V1OwnerReference owner, CancellationToken cancellationToken)
    {
        List<V1ResourceSlice> existing = await ListAsync(cancellationToken).ConfigureAwait(false);
        ForgetWritesExcept(existing);

        var deletes = new List<(V1ResourceSlice Slice, string Reason)>();
        var updates = new List<(V1ResourceSlice Slice, DesiredSlice Desired, string Pool, long Generation, int Count)>();
        var creates = new List<(DesiredSlice Desired, string Pool, long Generation, int Count)>();
        var generations = new Dictionary<string, long>(StringComparer.Ordinal);

        ILookup<string, V1ResourceSlice> byPool = existing.ToLookup(s => s.Spec.Pool?.Name ?? string.Empty, StringComparer.Ordinal);
        foreach (DesiredPool pool in desired.Pools)
        {
            List<V1ResourceSlice> slices = [.. byPool[pool.Name]];
            long maxGeneration = slices.Count == 0 ? 0 : slices.Max(s => s.Spec.Pool.Generation);

            // Slices of an older generation are left over from an interrupted update: obsolete.
            List<V1ResourceSlice> current = [.. slices.Where(s => s.Spec.Pool.Generation == maxGeneration).OrderBy(s => s.Metadata.Name, StringComparer.Ordinal)];
            deletes.AddRange(slices.Where(s => s.Spec.Pool.Generation != maxGeneration).Select(s => (s, "obsolete generation")));

            // Pair each desired slice with an existing one: first those with the same content, then the rest in order.
            var pairs = new (DesiredSlice Desired, V1ResourceSlice? Existing)[pool.Slices.Count];
            var unmatched = new List<V1ResourceSlice>(current);
            for (int i = 0; i < pool.Slices.Count; i++)
            {
                V1ResourceSlice? same = unmatched.FirstOrDefault(s => HasContent(s, pool.Slices[i]));
                if (same is not null)
                {
                    unmatched.Remove(same);
                }

                pairs[i] = (pool.Slices[i], same);
            }

            for (int i = 0; i < pairs.Length && unmatched.Count > 0; i++)
            {
                if (pairs[i].Existing is null)
                {
                    pairs[i].Existing = unmatched[0];
                    unmatched.RemoveAt(0);
                }
            }

            // Whatever is left is a duplicate or a slice the pool no longer needs.
            deletes.AddRange(unmatched.Select(s => (s, "not needed (duplicate or surplus)")));

            int count = pool.Slices.Count;
            bool needsWrite = pairs.Any(p => p.Existing is null
                || !HasContent(p.Existing, p.Desired)
                || !HasOwner(p.Existing, owner)
                || p.Existing.Spec.Pool.ResourceSliceCount != count);
            if (!needsWrite)
            {
                generations[pool.Name] = maxGeneration;
                continue;
            }

            // Any change publishes a new generation of the whole pool: every slice is written with it.
            long generation = Math.Max(maxGeneration, _generations.GetValueOrDefault(pool.Name)) + 1;
            generations[pool.Name] = generation;
            foreach ((DesiredSlice want, V1ResourceSlice? have) in pairs)
            {
                if (have is null)
                {
                    creates.Add((want, pool.Name, generation, count));
                }
                else
                {
                    updates.Add((have, want, pool.Name, generation, count));
                }
            }
        }

        // Slices of pools the driver no longer publishes.
        var desiredNames = desired.Pools.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        deletes.AddRange(existing.Where(s => !desiredNames.Contains(s.Spec.Pool?.Name ?? string.Empty)).Select(s => (s, "pool no longer published")));

        foreach ((V1ResourceSlice slice, string reason) in deletes)
        {
            await DeleteAsync(slice, reason, cancellationToken).ConfigureAwait(false);
        }

        foreach ((V1ResourceSlice slice, DesiredSlice want, string pool, long generation, int count) in updates)
        {
            await UpdateAsync(slice, want, owner, pool, generation, count, cancellationToken).ConfigureAwait(false);
        }

        foreach ((DesiredSlice want, string pool, long generation, int count) in creates)
        {
            await CreateAsync(want, owner, pool, generation, count, cancellationToken).ConfigureAwait(false);
        }

        foreach ((string pool, long generation) in generations)
        {
            _generations[pool] = Math.Max(_generations.GetValueOrDefault(pool), generation);
            Log.PoolPublished(_logger, pool, generation, desired.Pools.First(p => p.Name == pool).Slices.Count);
        }

        return generations;
    }

    private async Task<V1OwnerReference> GetOwnerAsync(CancellationToken cancellationToken)
    {
        if (_owner is not null)
        {
            return _owner;
        }

        V1Node node;
        try
        {
            node = await _client.CoreV1.ReadNodeAsync(NodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException ex) when (ApiErrors.IsStatus(ex, HttpStatusCode.NotFound))
        {
            throw new InvalidOperationException(
                $"Node '{NodeName}' was not found; ResourceSlices are owned by the node, so they can only be published once it exists. Check NODE_NAME.",
                ex);
        }

        if (string.IsNullOrEmpty(node.Metadata?.Uid))
        {
            throw new InvalidOperationException($"Node '{NodeName}' has no metadata.uid.");
        }

        _owner = new V1OwnerReference
        {
            ApiVersion = NodeApiVersion,
            Kind = NodeKind,
            Name = NodeName,
            Uid = node.Metadata.Uid,
            Controller = true,
        };
        return _owner;
    }

    private async Task<List<V1ResourceSlice>> ListAsync(CancellationToken cancellationToken)
    {
        var slices = new List<V1ResourceSlice>();
        string? continueToken = null;
        do
        {
            V1ResourceSliceList page = await _client.ResourceV1.ListResourceSliceAsync(
                continueParameter: continueToken,
                fieldSelector: $"spec.driver={DriverName},spec.nodeName={NodeName}",
                limit: 500,
                cancellationToken: cancellationToken).ConfigureAwait(false);

            // Filtered here too, in case a server ignores part of the selector.
            slices.AddRange(page.Items.Where(s => s.Spec is not null && s.Spec.Driver == DriverName && s.Spec.NodeName == NodeName));
            continueToken = page.Metadata?.ContinueProperty;
        }
        while (!string.IsNullOrEmpty(continueToken));

        foreach (V1ResourceSlice slice in slices)
        {
            slice.Spec.Pool ??= new V1ResourcePool { Name = string.Empty };
        }

        return slices;
    }

    private bool HasContent(V1ResourceSlice slice, DesiredSlice desired)
    {
        JsonNode content = SliceContent.Of(slice.Spec);
        if (SliceContent.AreEqual(content, desired.Content))
        {
            return true;
        }

        // What the server made of exactly what we last wrote counts as equal too.
        return slice.Metadata.Uid is { } uid
            && _written.TryGetValue(uid, out (JsonNode Sent, JsonNode Returned) written)
            && SliceContent.AreEqual(written.Sent, desired.Content)
            && SliceContent.AreEqual(written.Returned, content);
    }

    private static bool HasOwner(V1ResourceSlice slice, V1OwnerReference owner) =>
        slice.Metadata.OwnerReferences?.Any(r => r.Controller == true && r.Uid == owner.Uid && r.Kind == owner.Kind && r.Name == owner.Name) == true;

    private async Task DeleteAsync(V1ResourceSlice slice, string reason, CancellationToken cancellationToken)
    {
        try
        {
            // Preconditions: never delete a slice that changed since it was read (another instance may have adopted it).
            await _client.ResourceV1.DeleteResourceSliceAsync(
                slice.Metadata.Name,
                new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = slice.Metadata.Uid, ResourceVersion = slice.Metadata.ResourceVersion } },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _deleted);
            Log.Deleted(_logger, slice.Metadata.Name, slice.Spec.Pool?.Name ?? string.Empty, reason);
        }
        catch (HttpOperationException ex) when (ApiErrors.IsStatus(ex, HttpStatusCode.NotFound))
        {
            // Already gone.
        }
    }

    private async Task UpdateAsync(
        V1ResourceSlice slice, DesiredSlice desired, V1OwnerReference owner, string pool, long generation, int count, CancellationToken cancellationToken)
    {
        slice.ApiVersion = "resource.k8s.io/v1";
        slice.Kind = "ResourceSlice";
        slice.Metadata.OwnerReferences = WithOwner(slice.Metadata.OwnerReferences, owner);
        slice.Spec = NewSpec(desired, pool, generation, count);
        V1ResourceSlice updated = await _client.ResourceV1.ReplaceResourceSliceAsync(
            slice, slice.Metadata.Name, fieldManager: _fieldManager, cancellationToken: cancellationToken).ConfigureAwait(false);
        Remember(updated, desired);
        Interlocked.Increment(ref _updated);
        Log.Updated(_logger, updated.Metadata.Name, pool, generation);
    }

    private async Task CreateAsync(DesiredSlice desired, V1OwnerReference owner, string pool, long generation, int count, CancellationToken cancellationToken)
    {
        var slice = new V1ResourceSlice
        {
            ApiVersion = "resource.k8s.io/v1",
            Kind = "ResourceSlice",
            Metadata = new V1ObjectMeta { GenerateName = _generateName, OwnerReferences = [owner] },
            Spec = NewSpec(desired, pool, generation, count),
        };
        V1ResourceSlice created = await _client.ResourceV1.CreateResourceSliceAsync(
            slice, fieldManager: _fieldManager, cancellationToken: cancellationToken).ConfigureAwait(false);
        Remember(created, desired);
        Interlocked.Increment(ref _created);
        Log.Created(_logger, created.Metadata.Name, pool, generation);
    }

    private V1ResourceSliceSpec NewSpec(DesiredSlice desired, string pool, long generation, int count) => new()
    {
        Driver = DriverName,
        NodeName = NodeName,
        Pool = new V1ResourcePool { Name = pool, Generation = generation, ResourceSliceCount = count },
        Devices = desired.Devices,
    };

    private static List<V1OwnerReference> WithOwner(IList<V1OwnerReference>? references, V1OwnerReference owner) =>
        [.. (references ?? []).Where(r => r.Controller != true && r.Uid != owner.Uid), owner];

    private void Remember(V1ResourceSlice written, DesiredSlice desired)
    {
        if (written.Metadata?.Uid is { } uid)
        {
            _written[uid] = (desired.Content, SliceContent.Of(written.Spec));
        }
    }

    private void ForgetWritesExcept(List<V1ResourceSlice> existing)
    {
        if (_written.Count == 0)
        {
            return;
        }

        var live = existing.Select(s => s.Metadata.Uid).ToHashSet(StringComparer.Ordinal);
        foreach (string uid in _written.Keys.Where(uid => !live.Contains(uid)).ToList())
        {
            _written.Remove(uid);
        }
    }
}
