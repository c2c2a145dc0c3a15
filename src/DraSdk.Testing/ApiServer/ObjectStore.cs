using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using DraSdk.Internal;

namespace DraSdk.Testing;

/// <summary>What a write does to the status of a resource with a status subresource.</summary>
internal enum WriteScope
{
    /// <summary>The main endpoint: status changes are ignored.</summary>
    Main,

    /// <summary>The <c>/status</c> endpoint: only status changes.</summary>
    Status,

    /// <summary>Direct access from a test: the whole object is written.</summary>
    Whole,
}

/// <summary>One change, as history keeps it and watchers receive it. A bookmark has no object.</summary>
internal sealed record WatchEvent(string Type, ApiResourceType? Resource, StoredObject? Object, StoredObject? Previous, long ResourceVersion, bool InitialEventsEnd = false);

/// <summary>An open watch: events for one resource (and namespace) are queued here under the store lock.</summary>
internal sealed class WatchSubscription : IDisposable
{
    private readonly ObjectStore _store;

    public WatchSubscription(ObjectStore store, ApiResourceType resource, string? ns)
    {
        _store = store;
        Resource = resource;
        Namespace = ns;
    }

    public ApiResourceType Resource { get; }

    public string? Namespace { get; }

    public Channel<WatchEvent> Events { get; } = Channel.CreateUnbounded<WatchEvent>(new UnboundedChannelOptions { SingleReader = true });

    public CancellationTokenSource Cut { get; } = new();

    public bool Wants(StoredObject obj) =>
        ReferenceEquals(obj.Resource, Resource) && (Namespace is null || Namespace == obj.Namespace);

    public void Dispose()
    {
        _store.Unsubscribe(this);
        Cut.Dispose();
    }
}

/// <summary>
/// The objects, the global resourceVersion, the bounded event history and the open watches. Every change happens
/// under one lock, so resourceVersions, history order and the order watchers see events agree.
/// </summary>
internal sealed class ObjectStore
{
    private const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private readonly Lock _gate = new();
    private readonly Dictionary<ApiResourceType, SortedDictionary<string, StoredObject>> _tables = [];
    private readonly Queue<WatchEvent> _history = new();
    private readonly List<WatchSubscription> _watchers = [];
    private readonly Dictionary<ApiResourceType, List<JsonValidator>> _validators = [];
    private readonly Dictionary<ApiResourceType, JsonMutator> _mutators = [];
    private readonly int _historyLimit;
    private readonly TimeProvider _time;
    // Starts above zero: "0" means "any version" to list and watch, so no state may be named by it.
    private long _resourceVersion = 1;
    private long _compactedThrough;

    public ObjectStore(IEnumerable<ApiResourceType> resources, int historyLimit, TimeProvider time, bool builtInValidation, ICollection<string>? disabledFeatureGates = null)
    {
        _historyLimit = Math.Max(1, historyLimit);
        _time = time;
        foreach (var r in resources)
        {
            _tables[r] = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
        }

        // Validators run under the store lock, so they may read the namespaces table directly.
        var namespaces = _tables.Keys.FirstOrDefault(r => r.Group.Length == 0 && r.Plural == "namespaces");
        var context = new ValidationContext(
            name => namespaces is not null && _tables[namespaces].TryGetValue(StoredObject.KeyOf("", name), out var ns) ? ns.ToNode() : null,
            disabledFeatureGates ?? []);
        foreach (var r in resources)
        {
            // resource.k8s.io v1beta2 and v1beta1 objects are checked (and their gated fields dropped) as their v1 form.
            bool older = r.Group == ResourceApiVersions.Group && r.Version != "v1" && ResourceApiVersions.IsSupported(r.Version);
            var rules = older ? r with { Version = "v1" } : r;
            if (builtInValidation && BuiltInValidation.For(rules, context) is { } v)
            {
                _validators[r] = [older ? (obj, old) => v(AsV1(r, obj), old is null ? null : AsV1(r, old)) : v];
            }

            if (disabledFeatureGates is { Count: > 0 } && DisabledFeatureGates.For(rules, disabledFeatureGates) is { } m)
            {
                _mutators[r] = older ? (obj, old) => MutateAsV1(r, m, obj, old) : m;
            }
        }
    }

    public IEnumerable<ApiResourceType> Resources => _tables.Keys;

    private static JsonObject AsV1(ApiResourceType r, JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        copy["apiVersion"] = r.ApiVersion;
        copy["kind"] = r.Kind;
        return ResourceApiVersions.ToV1(copy);
    }

    private static void MutateAsV1(ApiResourceType r, JsonMutator mutate, JsonObject obj, JsonObject? old)
    {
        var v1 = AsV1(r, obj);
        mutate(v1, old is null ? null : AsV1(r, old));
        var back = ResourceApiVersions.Convert(v1, r.Version);
        foreach (var key in new[] { "apiVersion", "kind" })
        {
            back.Remove(key);
            if (obj[key] is { } value)
            {
                back[key] = value.DeepClone();
            }
        }
        obj.Clear();
        foreach (var key in back.Select(p => p.Key).ToList())
        {
            var value = back[key];
            back.Remove(key);
            obj[key] = value;
        }
    }

    public long ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion;
            }
        }
    }

    public int WatchCount
    {
        get
        {
            lock (_gate)
            {
                return _watchers.Count;
            }
        }
    }

    public void AddValidator(ApiResourceType resource, JsonValidator validator)
    {
        lock (_gate)
        {
            if (!_validators.TryGetValue(resource, out var list))
            {
                _validators[resource] = list = [];
            }

            list.Add(validator);
        }
    }

    public StoredObject? Get(ApiResourceType r, string ns, string name)
    {
        lock (_gate)
        {
            return _tables[r].GetValueOrDefault(StoredObject.KeyOf(ns, name));
        }
    }

    /// <summary>The objects of a resource (in one namespace, or all when <paramref name="ns"/> is null), in key order, after <paramref name="afterKey"/>.</summary>
    public (List<StoredObject> Items, long ResourceVersion) List(ApiResourceType r, string? ns, string? afterKey = null)
    {
        lock (_gate)
        {
            var items = new List<StoredObject>();
            foreach (var (key, obj) in _tables[r])
            {
                if ((ns is null || obj.Namespace == ns) && (afterKey is null || string.CompareOrdinal(key, afterKey) > 0))
                {
                    items.Add(obj);
                }
            }

            return (items, _resourceVersion);
        }
    }

    public StoredObject Create(ApiResourceType r, string ns, JsonObject obj, bool keepStatus, bool dryRun)
    {
        var meta = Metadata(obj);
        CheckTypeMeta(r, obj);
        if (meta["resourceVersion"] is JsonValue rvNode && rvNode.TryGetValue<string>(out var rvText) && rvText.Length > 0)
        {
            throw ApiError.Internal("resourceVersion should not be set on objects to be created");
        }

        SetNamespace(r, ns, meta);
        foreach (var f in (string[])["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "resourceVersion"])
        {
            meta.Remove(f);
        }

        if (meta["managedFields"] is JsonArray { Count: 0 })
        {
            meta.Remove("managedFields");
        }

        if (r.HasStatusSubresource && !keepStatus)
        {
            obj.Remove("status");
        }

        obj["apiVersion"] = r.ApiVersion;
        obj["kind"] = r.Kind;

        lock (_gate)
        {
            var table = _tables[r];
            var name = meta["name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : "";
            var generateName = meta["generateName"] is JsonValue g && g.TryGetValue<string>(out var gs) ? gs : "";
            if (name.Length == 0)
            {
                if (generateName.Length == 0)
                {
                    throw ApiError.Invalid(r, "", [ApiFieldError.Required("metadata.name", "name or generateName is required")]);
                }

                var prefix = generateName.Length > 58 ? generateName[..58] : generateName;
                do
                {
                    name = prefix + new string(RandomNumberGenerator.GetItems<char>(NameAlphabet, 5));
                }
                while (table.ContainsKey(StoredObject.KeyOf(ns, name)));
                meta["name"] = name;
            }

            // Disabled feature gates drop fields of API writes; Seed (keepStatus) stores what it is given, as data from before.
            if (!keepStatus && _mutators.TryGetValue(r, out var mutate))
            {
                mutate(obj, null);
            }

            var errors = BuiltInValidation.ObjectName(r, name).ToList();
            if (errors.Count == 0)
            {
                errors.AddRange(RunValidators(r, obj, null));
            }

            if (errors.Count > 0)
            {
                throw ApiError.Invalid(r, name, errors);
            }

            if (table.ContainsKey(StoredObject.KeyOf(ns, name)))
            {
                throw ApiError.AlreadyExists(r, name);
            }

            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = Now();
            meta["generation"] = 1;
            return Commit(r, obj, null, dryRun);
        }
    }

    /// <summary>
    /// Replaces an object. <paramref name="change"/> turns the current object (a fresh copy) into the proposed one;
    /// for PUT it ignores the current object and returns the body. Null when the object does not exist.
    /// </summary>
    public StoredObject Update(ApiResourceType r, string ns, string name, Func<JsonObject, JsonObject> change, WriteScope scope, bool dryRun)
    {
        lock (_gate)
        {
            var old = _tables[r].GetValueOrDefault(StoredObject.KeyOf(ns, name)) ?? throw ApiError.NotFound(r, name);
            var oldNode = old.ToNode();
            var proposed = change(old.ToNode());
            CheckTypeMeta(r, proposed);
            var meta = Metadata(proposed);
            var bodyName = meta["name"]?.GetValue<string>();
            if (!string.IsNullOrEmpty(bodyName) && bodyName != name)
            {
                throw ApiError.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
            }

            var bodyNs = meta["namespace"]?.GetValue<string>();
            if (r.Namespaced && !string.IsNullOrEmpty(bodyNs) && bodyNs != ns)
            {
                throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }

            if (meta["resourceVersion"]?.GetValue<string>() is { Length: > 0 } rv && rv != old.ResourceVersion.ToString(CultureInfo.InvariantCulture))
            {
                throw ApiError.Modified(r, name);
            }

            if (meta["uid"]?.GetValue<string>() is { Length: > 0 } uid && uid != old.Uid)
            {
                throw ApiError.Conflict(r, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {old.Uid}");
            }

            JsonObject result;
            if (scope == WriteScope.Status && r.HasStatusSubresource)
            {
                result = oldNode.DeepClone().AsObject();
                result.Remove("status");
                if (proposed["status"] is { } status)
                {
                    result["status"] = status.DeepClone();
                }

                // Field ownership of status writes (server-side apply) is kept with the object.
                if (Metadata(proposed)["managedFields"] is { } managed)
                {
                    Metadata(result)["managedFields"] = managed.DeepClone();
                }
            }
            else
            {
                result = proposed;
                if (scope == WriteScope.Main && r.HasStatusSubresource)
                {
                    result.Remove("status");
                    if (oldNode["status"] is { } status)
                    {
                        result["status"] = status.DeepClone();
                    }
                }

                var resultMeta = Metadata(result);
                var oldMeta = Metadata(oldNode);
                if (resultMeta["managedFields"] is null && oldMeta["managedFields"] is { } keptManaged)
                {
                    // An update that leaves managedFields out keeps them, as on the real server.
                    resultMeta["managedFields"] = keptManaged.DeepClone();
                }

                foreach (var f in (string[])["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"])
                {
                    resultMeta.Remove(f);
                    if (oldMeta[f] is { } v)
                    {
                        resultMeta[f] = v.DeepClone();
                    }
                }

                if (!JsonNode.DeepEquals(result["spec"], oldNode["spec"]))
                {
                    resultMeta["generation"] = (Metadata(oldNode)["generation"]?.GetValue<long>() ?? 0) + 1;
                }
            }

            result["apiVersion"] = r.ApiVersion;
            result["kind"] = r.Kind;
            if (Metadata(result)["managedFields"] is JsonArray { Count: 0 })
            {
                Metadata(result).Remove("managedFields");
            }

            if (scope != WriteScope.Whole && _mutators.TryGetValue(r, out var mutate))
            {
                mutate(result, oldNode);
            }

            Metadata(result)["resourceVersion"] = Metadata(oldNode)["resourceVersion"]!.DeepClone();
            if (JsonNode.DeepEquals(result, oldNode))
            {
                return old; // A no-op write changes nothing and sends no event, as on the real server.
            }

            var errors = RunValidators(r, result, oldNode);
            if (errors.Count > 0)
            {
                throw ApiError.Invalid(r, name, errors);
            }

            if (old.Deleting && Metadata(result)["finalizers"] is not JsonArray { Count: > 0 })
            {
                // The last finalizer is gone: the object is deleted now.
                return dryRun ? old : Remove(r, old, result);
            }

            return Commit(r, result, old, dryRun);
        }
    }

    public StoredObject Delete(ApiResourceType r, string ns, string name, string? uidPrecondition, string? rvPrecondition, bool dryRun)
    {
        lock (_gate)
        {
            var old = _tables[r].GetValueOrDefault(StoredObject.KeyOf(ns, name)) ?? throw ApiError.NotFound(r, name);
            if (!string.IsNullOrEmpty(uidPrecondition) && uidPrecondition != old.Uid)
            {
                throw ApiError.Conflict(r, name, $"Precondition failed: UID in precondition: {uidPrecondition}, UID in object meta: {old.Uid}");
            }

            var oldRv = old.ResourceVersion.ToString(CultureInfo.InvariantCulture);
            if (!string.IsNullOrEmpty(rvPrecondition) && rvPrecondition != oldRv)
            {
                throw ApiError.Conflict(r, name, $"Precondition failed: ResourceVersion in precondition: {rvPrecondition}, ResourceVersion in object meta: {oldRv}");
            }

            if (dryRun)
            {
                return old;
            }

            var node = old.ToNode();
            if (old.HasFinalizers)
            {
                if (old.Deleting)
                {
                    return old;
                }

                Metadata(node)["deletionTimestamp"] = Now();
                Metadata(node)["deletionGracePeriodSeconds"] = 0;
                return Commit(r, node, old, dryRun: false);
            }

            return Remove(r, old, node);
        }
    }

    public List<StoredObject> DeleteCollection(ApiResourceType r, string? ns, Selectors selectors, bool dryRun)
    {
        lock (_gate)
        {
            var deleted = new List<StoredObject>();
            foreach (var obj in _tables[r].Values.ToList())
            {
                if ((ns is null || obj.Namespace == ns) && selectors.Matches(obj))
                {
                    deleted.Add(Delete(r, obj.Namespace, obj.Name, null, null, dryRun));
                }
            }

            return deleted;
        }
    }

    /// <summary>
    /// Opens a watch. With <paramref name="fromResourceVersion"/> null the current objects are queued as ADDED;
    /// otherwise the history after that version is replayed, or 410 Expired is thrown when it is gone.
    /// </summary>
    public WatchSubscription Subscribe(ApiResourceType r, string? ns, long? fromResourceVersion, bool initialEventsEndBookmark)
    {
        lock (_gate)
        {
            var sub = new WatchSubscription(this, r, ns);
            if (fromResourceVersion is not { } from)
            {
                foreach (var obj in _tables[r].Values)
                {
                    if (sub.Wants(obj))
                    {
                        sub.Events.Writer.TryWrite(new WatchEvent("ADDED", r, obj, null, obj.ResourceVersion));
                    }
                }

                if (initialEventsEndBookmark)
                {
                    sub.Events.Writer.TryWrite(new WatchEvent("BOOKMARK", r, null, null, _resourceVersion, InitialEventsEnd: true));
                }
            }
            else
            {
                if (from < _compactedThrough)
                {
                    sub.Cut.Dispose();
                    throw ApiError.Expired(string.Create(CultureInfo.InvariantCulture, $"too old resource version: {from} ({_compactedThrough + 1})"));
                }

                foreach (var ev in _history)
                {
                    if (ev.ResourceVersion > from && sub.Wants(ev.Object!))
                    {
                        sub.Events.Writer.TryWrite(ev);
                    }
                }
            }

            _watchers.Add(sub);
            return sub;
        }
    }

    /// <summary>Queues a bookmark carrying the current resourceVersion: every earlier event is already queued before it.</summary>
    public void Bookmark(WatchSubscription sub)
    {
        lock (_gate)
        {
            sub.Events.Writer.TryWrite(new WatchEvent("BOOKMARK", sub.Resource, null, null, _resourceVersion));
        }
    }

    public void Unsubscribe(WatchSubscription sub)
    {
        lock (_gate)
        {
            _watchers.Remove(sub);
        }
    }

    public void CutWatches()
    {
        WatchSubscription[] all;
        lock (_gate)
        {
            all = [.. _watchers];
        }

        foreach (var w in all)
        {
            try
            {
                w.Cut.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Closed meanwhile.
            }
        }
    }

    /// <summary>Forgets the event history: a watch from any earlier resourceVersion now gets 410 Expired.</summary>
    public void CompactHistory()
    {
        lock (_gate)
        {
            _history.Clear();
            _compactedThrough = _resourceVersion;
        }
    }

    private StoredObject Commit(ApiResourceType r, JsonObject obj, StoredObject? old, bool dryRun)
    {
        var rv = dryRun ? (old?.ResourceVersion ?? 0) : _resourceVersion + 1;
        Metadata(obj)["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
        var stored = StoredObject.From(r, obj);
        if (dryRun)
        {
            return stored;
        }

        _resourceVersion = rv;
        _tables[r][stored.Key] = stored;
        Publish(new WatchEvent(old is null ? "ADDED" : "MODIFIED", r, stored, old, rv));
        return stored;
    }

    private StoredObject Remove(ApiResourceType r, StoredObject old, JsonObject lastState)
    {
        var rv = ++_resourceVersion;
        Metadata(lastState)["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
        var stored = StoredObject.From(r, lastState);
        _tables[r].Remove(old.Key);
        Publish(new WatchEvent("DELETED", r, stored, old, rv));
        return stored;
    }

    private void Publish(WatchEvent ev)
    {
        _history.Enqueue(ev);
        while (_history.Count > _historyLimit)
        {
            _compactedThrough = _history.Dequeue().ResourceVersion;
        }

        foreach (var w in _watchers)
        {
            if (w.Wants(ev.Object!))
            {
                w.Events.Writer.TryWrite(ev);
            }
        }
    }

    private List<ApiFieldError> RunValidators(ApiResourceType r, JsonObject obj, JsonObject? old)
    {
        if (!_validators.TryGetValue(r, out var validators))
        {
            return [];
        }

        var errors = new List<ApiFieldError>();
        foreach (var v in validators)
        {
            errors.AddRange(v(obj, old));
        }

        return errors;
    }

    private string Now() => _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject meta)
        {
            return meta;
        }

        if (obj["metadata"] is not null)
        {
            throw ApiError.BadRequest("metadata must be an object");
        }

        meta = [];
        obj["metadata"] = meta;
        return meta;
    }

    private static void CheckTypeMeta(ApiResourceType r, JsonObject obj)
    {
        if (obj["apiVersion"]?.GetValue<string>() is { Length: > 0 } apiVersion && apiVersion != r.ApiVersion)
        {
            throw ApiError.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({r.ApiVersion})");
        }

        if (obj["kind"]?.GetValue<string>() is { Length: > 0 } kind && kind != r.Kind)
        {
            throw ApiError.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({r.Kind})");
        }
    }

    private static void SetNamespace(ApiResourceType r, string ns, JsonObject meta)
    {
        var bodyNs = meta["namespace"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
        if (!r.Namespaced)
        {
            meta.Remove("namespace");
            return;
        }

        if (bodyNs.Length > 0 && bodyNs != ns)
        {
            throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        meta["namespace"] = ns;
    }
}
