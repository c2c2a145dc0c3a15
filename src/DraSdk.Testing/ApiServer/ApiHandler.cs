using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DraSdk.Testing;

/// <summary>Serves the Kubernetes REST API over the <see cref="ObjectStore"/>: routing, verbs, lists, watches, discovery.</summary>
internal sealed class ApiHandler
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly ObjectStore _store;
    private readonly InMemoryApiServerOptions _options;
    private readonly Func<ApiRequest, ApiFault?> _faults;
    private readonly Action<ApiRequest> _log;
    private readonly Dictionary<(string Group, string Version), Dictionary<string, ApiResourceType>> _byGroupVersion = [];
    private readonly CancellationToken _stopping;

    public ApiHandler(ObjectStore store, InMemoryApiServerOptions options, Func<ApiRequest, ApiFault?> faults, Action<ApiRequest> log, CancellationToken stopping)
    {
        _store = store;
        _options = options;
        _faults = faults;
        _log = log;
        _stopping = stopping;
        foreach (var r in store.Resources)
        {
            if (!_byGroupVersion.TryGetValue((r.Group, r.Version), out var map))
            {
                _byGroupVersion[(r.Group, r.Version)] = map = new Dictionary<string, ApiResourceType>(StringComparer.Ordinal);
            }

            map[r.Plural] = r;
        }
    }

    public async Task HandleAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        var path = request.Path.Value ?? "/";
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        Route? route = null;
        ApiRequest record;
        try
        {
            route = ParseRoute(segments);
        }
        catch (ApiError)
        {
            // Answered below, after logging.
        }

        var isWatch = route is { } rt0 && (rt0.WatchPath || IsTrue(request.Query["watch"]));
        var verb = route is not { } rt ? "get" : Verb(request.Method, rt, isWatch);
        record = new ApiRequest(
            request.Method,
            path,
            request.QueryString.Value ?? "",
            verb,
            route is { } r1 ? (r1.Subresource is null ? r1.Resource.Plural : r1.Resource.Plural + "/" + r1.Subresource) : null,
            route?.Namespace,
            route?.Name);
        _log(record);

        try
        {
            if (_faults(record) is { } fault)
            {
                throw new ApiError(fault.StatusCode, ApiError.ReasonFor(fault.StatusCode), fault.Message, fault.Name, route?.Resource, retryAfter: fault.RetryAfter);
            }

            if (route is not { } rr)
            {
                await ServeDiscoveryAsync(ctx, segments).ConfigureAwait(false);
                return;
            }

            await ServeResourceAsync(ctx, rr, verb).ConfigureAwait(false);
        }
        catch (ApiError e)
        {
            await WriteErrorAsync(ctx, e).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            await WriteErrorAsync(ctx, ApiError.BadRequest(e.Message)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not IOException)
        {
            // A bug here, or in a registered validator: answer as the real server answers a panic.
            await WriteErrorAsync(ctx, ApiError.Internal(e.GetType().Name + ": " + e.Message)).ConfigureAwait(false);
        }
    }

    public static byte[] ErrorEvent(ApiError error)
    {
        var ev = new JsonObject { ["type"] = "ERROR", ["object"] = error.ToStatus() };
        return [.. JsonSerializer.SerializeToUtf8Bytes(ev, JsonContext.Default.JsonObject), .. NewLine];
    }

    private async Task ServeResourceAsync(HttpContext ctx, Route route, string verb)
    {
        var r = route.Resource;
        var ns = route.Namespace ?? "";
        var query = ctx.Request.Query;
        var dryRun = query.ContainsKey("dryRun");
        if (route.Subresource is { } sub && (sub != "status" || !r.HasStatusSubresource))
        {
            throw ApiError.ResourceNotFound();
        }

        if (r.Namespaced && route.Namespace is null && verb is not ("list" or "watch"))
        {
            throw ApiError.ResourceNotFound();
        }

        var scope = route.Subresource is null ? WriteScope.Main : WriteScope.Status;
        switch (verb)
        {
            case "get":
            {
                var obj = _store.Get(r, ns, route.Name!) ?? throw ApiError.NotFound(r, route.Name!);
                await WriteAsync(ctx, 200, obj.Json).ConfigureAwait(false);
                return;
            }

            case "list":
                await ListAsync(ctx, r, route.Namespace, ParseSelectors(ctx)).ConfigureAwait(false);
                return;
            case "watch":
                await WatchAsync(ctx, r, route.Namespace, route.Name, ParseSelectors(ctx)).ConfigureAwait(false);
                return;
            case "create":
            {
                if (route.Subresource is not null)
                {
                    throw ApiError.MethodNotAllowed("POST");
                }

                var body = await ReadObjectAsync(ctx).ConfigureAwait(false);
                var created = _store.Create(r, ns, body, keepStatus: IsNodes(r), dryRun);
                await WriteAsync(ctx, 201, created.Json).ConfigureAwait(false);
                return;
            }

            case "update":
            {
                var body = await ReadObjectAsync(ctx).ConfigureAwait(false);
                var updated = _store.Update(r, ns, route.Name!, _ => body, scope, dryRun);
                await WriteAsync(ctx, 200, updated.Json).ConfigureAwait(false);
                return;
            }

            case "patch":
                await PatchAsync(ctx, r, ns, route.Name!, scope, dryRun).ConfigureAwait(false);
                return;
            case "delete":
            {
                var (uid, rv) = await ReadPreconditionsAsync(ctx).ConfigureAwait(false);
                var deleted = _store.Delete(r, ns, route.Name!, uid, rv, dryRun);
                var stillThere = _store.Get(r, ns, route.Name!) is not null && !dryRun;
                await WriteAsync(ctx, stillThere ? 202 : 200, deleted.Json).ConfigureAwait(false);
                return;
            }

            case "deletecollection":
            {
                if (route.Subresource is not null)
                {
                    throw ApiError.MethodNotAllowed("DELETE");
                }

                var deleted = _store.DeleteCollection(r, route.Namespace, ParseSelectors(ctx), dryRun);
                await WriteListAsync(ctx, r, deleted, _store.ResourceVersion, null, null).ConfigureAwait(false);
                return;
            }

            default:
                throw ApiError.MethodNotAllowed(ctx.Request.Method);
        }
    }

    private async Task PatchAsync(HttpContext ctx, ApiResourceType r, string ns, string name, WriteScope scope, bool dryRun)
    {
        var contentType = ctx.Request.ContentType ?? "";
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var mediaType = (semicolon >= 0 ? contentType[..semicolon] : contentType).Trim().ToLowerInvariant();
        var body = await ReadBodyAsync(ctx).ConfigureAwait(false);
        JsonNode? patch;
        try
        {
            patch = body.Length == 0 ? null : JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            throw mediaType == "application/apply-patch+yaml"
                ? ApiError.BadRequest("the in-memory API server accepts only JSON apply bodies (YAML that is JSON): " + e.Message)
                : ApiError.BadRequest("error decoding patch: " + e.Message);
        }

        Func<JsonObject, JsonObject> change;
        switch (mediaType)
        {
            case "application/merge-patch+json":
            case "application/strategic-merge-patch+json":
            {
                var p = patch as JsonObject ?? throw ApiError.BadRequest("a merge patch must be a JSON object");
                change = current => JsonPatching.MergePatch(current, p) as JsonObject ?? throw ApiError.BadRequest("patch result is not an object");
                break;
            }

            case "application/json-patch+json":
            {
                var ops = patch as JsonArray ?? throw ApiError.BadRequest("a JSON patch must be a JSON array of operations");
                change = current => JsonPatching.JsonPatch(current, ops) as JsonObject ?? throw ApiError.BadRequest("patch result is not an object");
                break;
            }

            case "application/apply-patch+yaml":
            {
                if (string.IsNullOrEmpty(ctx.Request.Query["fieldManager"]))
                {
                    throw ApiError.BadRequest("PATCH /apply requires a non-empty fieldManager query parameter");
                }

                var applied = patch as JsonObject ?? throw ApiError.BadRequest("an apply configuration must be a JSON object");
                if (_store.Get(r, ns, name) is null)
                {
                    if (scope == WriteScope.Status)
                    {
                        throw ApiError.NotFound(r, name);
                    }

                    var meta = applied["metadata"] as JsonObject ?? throw ApiError.BadRequest("metadata.name is required in an apply configuration");
                    if (meta["name"]?.GetValue<string>() is { } bodyName && bodyName != name)
                    {
                        throw ApiError.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
                    }

                    meta["name"] = name;
                    var createdAt = _options.TimeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                    var withOwners = ServerSideApply.Apply(r, [], applied, ctx.Request.Query["fieldManager"].ToString(), force: true, scope, createdAt);
                    var created = _store.Create(r, ns, withOwners, keepStatus: IsNodes(r), dryRun);
                    await WriteAsync(ctx, 201, created.Json).ConfigureAwait(false);
                    return;
                }

                var manager = ctx.Request.Query["fieldManager"].ToString();
                var force = IsTrue(ctx.Request.Query["force"]);
                var now = _options.TimeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                change = current => ServerSideApply.Apply(r, current, applied, manager, force, scope, now);
                break;
            }

            default:
                throw ApiError.UnsupportedMediaType(mediaType);
        }

        var updated = _store.Update(r, ns, name, change, scope, dryRun);
        await WriteAsync(ctx, 200, updated.Json).ConfigureAwait(false);
    }

    private async Task ListAsync(HttpContext ctx, ApiResourceType r, string? ns, Selectors selectors)
    {
        var query = ctx.Request.Query;
        long? limit = null;
        if (query["limit"].ToString() is { Length: > 0 } limitText)
        {
            limit = long.TryParse(limitText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : throw ApiError.BadRequest("invalid limit: " + limitText);
        }

        string? afterKey = null;
        long? listRv = null;
        if (query["continue"].ToString() is { Length: > 0 } token)
        {
            (listRv, afterKey) = DecodeContinue(token);
        }

        var (all, rv) = _store.List(r, ns, afterKey);
        var items = selectors.IsEmpty ? all : all.Where(selectors.Matches).ToList();
        string? next = null;
        long? remaining = null;
        if (limit is > 0 && items.Count > limit)
        {
            var page = items.GetRange(0, (int)limit.Value);
            remaining = items.Count - page.Count;
            next = EncodeContinue(listRv ?? rv, page[^1].Key);
            items = page;
        }

        await WriteListAsync(ctx, r, items, listRv ?? rv, next, remaining).ConfigureAwait(false);
    }

    private async Task WatchAsync(HttpContext ctx, ApiResourceType r, string? ns, string? name, Selectors selectors)
    {
        var query = ctx.Request.Query;
        var rvText = query["resourceVersion"].ToString();
        long? from = null;
        if (rvText.Length > 0 && rvText != "0")
        {
            from = long.TryParse(rvText, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw ApiError.BadRequest("invalid resourceVersion: " + rvText);
        }

        var bookmarks = IsTrue(query["allowWatchBookmarks"]);
        var sendInitialEvents = IsTrue(query["sendInitialEvents"]);
        if (sendInitialEvents)
        {
            from = null;
        }

        TimeSpan? timeout = null;
        if (query["timeoutSeconds"].ToString() is { Length: > 0 } t)
        {
            timeout = int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds) : throw ApiError.BadRequest("invalid timeoutSeconds: " + t);
        }

        var response = ctx.Response;
        WatchSubscription subscription;
        try
        {
            subscription = _store.Subscribe(r, ns, from, sendInitialEvents && bookmarks);
        }
        catch (ApiError e) when (e.Code == 410)
        {
            // Like the real server: a 200 stream with a single ERROR event, then the end.
            response.StatusCode = 200;
            response.ContentType = "application/json";
            await response.Body.WriteAsync(ErrorEvent(e)).ConfigureAwait(false);
            return;
        }

        using (subscription)
        {
            response.StatusCode = 200;
            response.ContentType = "application/json";
            await response.StartAsync().ConfigureAwait(false);
            await response.Body.FlushAsync().ConfigureAwait(false);

            var time = _options.TimeProvider;
            using var timeoutCts = timeout is { } to && to > TimeSpan.Zero ? new CancellationTokenSource(to, time) : new CancellationTokenSource();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, subscription.Cut.Token, timeoutCts.Token, _stopping);
            var interval = _options.BookmarkInterval;
            using var timer = bookmarks ? time.CreateTimer(_ => _store.Bookmark(subscription), null, interval, interval) : null;
            var reader = subscription.Events.Reader;
            try
            {
                while (await reader.WaitToReadAsync(stop.Token).ConfigureAwait(false))
                {
                    while (reader.TryRead(out var ev))
                    {
                        if (Render(ev, r, name, selectors) is { } line)
                        {
                            await response.Body.WriteAsync(line, stop.Token).ConfigureAwait(false);
                            await response.Body.FlushAsync(stop.Token).ConfigureAwait(false);
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Timeout, cut, client gone or server stopping: end the stream.
            }
        }
    }

    private static byte[]? Render(WatchEvent ev, ApiResourceType r, string? name, Selectors selectors)
    {
        if (ev.Type == "BOOKMARK")
        {
            var meta = new JsonObject { ["resourceVersion"] = ev.ResourceVersion.ToString(CultureInfo.InvariantCulture) };
            if (ev.InitialEventsEnd)
            {
                meta["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
            }

            var bookmark = new JsonObject
            {
                ["type"] = "BOOKMARK",
                ["object"] = new JsonObject { ["kind"] = r.Kind, ["apiVersion"] = r.ApiVersion, ["metadata"] = meta },
            };
            return [.. JsonSerializer.SerializeToUtf8Bytes(bookmark, JsonContext.Default.JsonObject), .. NewLine];
        }

        var type = ev.Type;
        var obj = ev.Object!;
        if (name is not null || !selectors.IsEmpty)
        {
            bool Match(StoredObject? o) => o is not null && (name is null || o.Name == name) && selectors.Matches(o);
            var now = Match(obj);
            switch (type)
            {
                case "MODIFIED":
                    var before = Match(ev.Previous);
                    if (!now && !before)
                    {
                        return null;
                    }

                    type = now && before ? "MODIFIED" : now ? "ADDED" : "DELETED";
                    break;
                default:
                    if (!now)
                    {
                        return null;
                    }

                    break;
            }
        }

        var prefix = type switch
        {
            "ADDED" => "{\"type\":\"ADDED\",\"object\":"u8,
            "MODIFIED" => "{\"type\":\"MODIFIED\",\"object\":"u8,
            _ => "{\"type\":\"DELETED\",\"object\":"u8,
        };
        var line = new byte[prefix.Length + obj.Json.Length + 2];
        prefix.CopyTo(line);
        obj.Json.CopyTo(line, prefix.Length);
        line[^2] = (byte)'}';
        line[^1] = (byte)'\n';
        return line;
    }

    private static async Task WriteListAsync(HttpContext ctx, ApiResourceType r, List<StoredObject> items, long rv, string? next, long? remaining)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + items.Sum(i => i.ListItemJson.Length + 1));
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            w.WriteStartObject();
            w.WriteString("kind", r.ListKind);
            w.WriteString("apiVersion", r.ApiVersion);
            w.WriteStartObject("metadata");
            w.WriteString("resourceVersion", rv.ToString(CultureInfo.InvariantCulture));
            if (next is not null)
            {
                w.WriteString("continue", next);
                w.WriteNumber("remainingItemCount", remaining ?? 0);
            }

            w.WriteEndObject();
            w.WriteStartArray("items");
            foreach (var item in items)
            {
                w.WriteRawValue(item.ListItemJson, skipInputValidation: true);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        await WriteAsync(ctx, 200, buffer.WrittenMemory).ConfigureAwait(false);
    }

    private async Task ServeDiscoveryAsync(HttpContext ctx, string[] segments)
    {
        if (ctx.Request.Method != "GET")
        {
            throw ApiError.MethodNotAllowed(ctx.Request.Method);
        }

        JsonObject doc;
        switch (segments)
        {
            case ["version"]:
                doc = new JsonObject
                {
                    ["major"] = "1",
                    ["minor"] = "34",
                    ["gitVersion"] = "v1.34.0",
                    ["gitCommit"] = "0000000000000000000000000000000000000000",
                    ["gitTreeState"] = "clean",
                    ["buildDate"] = "2025-08-27T00:00:00Z",
                    ["goVersion"] = "go1.24",
                    ["compiler"] = "gc",
                    ["platform"] = "linux/amd64",
                };
                break;
            case ["healthz" or "readyz" or "livez"]:
                ctx.Response.ContentType = "text/plain";
                await ctx.Response.WriteAsync("ok").ConfigureAwait(false);
                return;
            case ["api"]:
                doc = new JsonObject
                {
                    ["kind"] = "APIVersions",
                    ["versions"] = new JsonArray(_byGroupVersion.Keys.Where(k => k.Group.Length == 0).Select(k => (JsonNode)k.Version).ToArray()),
                    ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = ctx.Request.Host.Value }),
                };
                break;
            case ["apis"]:
            {
                var groups = new JsonArray();
                foreach (var g in _byGroupVersion.Keys.Where(k => k.Group.Length > 0).Select(k => k.Group).Distinct())
                {
                    groups.Add(Group(g));
                }

                doc = new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
                break;
            }

            case ["apis", var g] when _byGroupVersion.Keys.Any(k => k.Group == g):
                doc = Group(g);
                doc["kind"] = "APIGroup";
                doc["apiVersion"] = "v1";
                break;
            case ["api", var v] when _byGroupVersion.ContainsKey(("", v)):
                doc = ResourceList("", v);
                break;
            case ["apis", var g, var v] when _byGroupVersion.ContainsKey((g, v)):
                doc = ResourceList(g, v);
                break;
            default:
                throw ApiError.ResourceNotFound();
        }

        await WriteAsync(ctx, 200, JsonSerializer.SerializeToUtf8Bytes(doc, JsonContext.Default.JsonObject)).ConfigureAwait(false);
    }

    private JsonObject Group(string group)
    {
        var versions = new JsonArray();
        foreach (var (g, v) in _byGroupVersion.Keys.Where(k => k.Group == group))
        {
            versions.Add(new JsonObject { ["groupVersion"] = g + "/" + v, ["version"] = v });
        }

        return new JsonObject { ["name"] = group, ["versions"] = versions, ["preferredVersion"] = versions[0]!.DeepClone() };
    }

    private JsonObject ResourceList(string group, string version)
    {
        var resources = new JsonArray();
        foreach (var r in _byGroupVersion[(group, version)].Values)
        {
            resources.Add(new JsonObject
            {
                ["name"] = r.Plural,
                ["singularName"] = r.Singular,
                ["namespaced"] = r.Namespaced,
                ["kind"] = r.Kind,
                ["verbs"] = new JsonArray("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
            });
            if (r.HasStatusSubresource)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = r.Plural + "/status",
                    ["singularName"] = "",
                    ["namespaced"] = r.Namespaced,
                    ["kind"] = r.Kind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : group + "/" + version,
            ["resources"] = resources,
        };
    }

    /// <summary>Parses <c>/api/v1/...</c> and <c>/apis/group/version/...</c> resource paths; null for anything else.</summary>
    private Route? ParseRoute(string[] s)
    {
        string group;
        string version;
        int at;
        if (s.Length >= 3 && s[0] == "api")
        {
            (group, version, at) = ("", s[1], 2);
        }
        else if (s.Length >= 4 && s[0] == "apis")
        {
            (group, version, at) = (s[1], s[2], 3);
        }
        else
        {
            return null;
        }

        if (!_byGroupVersion.TryGetValue((group, version), out var resources))
        {
            throw ApiError.ResourceNotFound();
        }

        var rest = s.AsSpan(at);
        var watchPath = false;
        if (rest[0] == "watch")
        {
            watchPath = true;
            rest = rest[1..];
        }

        string? ns = null;
        if (rest.Length >= 3 && rest[0] == "namespaces" && resources.TryGetValue(rest[2], out var nsd) && nsd.Namespaced)
        {
            ns = rest[1];
            rest = rest[2..];
        }

        if (rest.Length is 0 or > 3 || !resources.TryGetValue(rest[0], out var resource) || (ns is not null && !resource.Namespaced))
        {
            throw ApiError.ResourceNotFound();
        }

        return new Route(resource, ns, rest.Length > 1 ? rest[1] : null, rest.Length > 2 ? rest[2] : null, watchPath);
    }

    private static string Verb(string method, Route route, bool watch) => method switch
    {
        "GET" when watch => "watch",
        "GET" => route.Name is null ? "list" : "get",
        "POST" when route.Name is null => "create",
        "PUT" when route.Name is not null => "update",
        "PATCH" when route.Name is not null => "patch",
        "DELETE" => route.Name is null ? "deletecollection" : "delete",
        _ => method.ToLowerInvariant(),
    };

    private static Selectors ParseSelectors(HttpContext ctx) =>
        new(LabelSelector.Parse(ctx.Request.Query["labelSelector"]), FieldSelector.Parse(ctx.Request.Query["fieldSelector"]));

    private static bool IsTrue(string? value) => value is "true" or "1" or "True";

    private static bool IsNodes(ApiResourceType r) => r.Group.Length == 0 && r.Plural == "nodes";

    private static string EncodeContinue(long rv, string key) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(rv.ToString(CultureInfo.InvariantCulture) + "\n" + key));

    private static (long Rv, string Key) DecodeContinue(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var nl = text.IndexOf('\n', StringComparison.Ordinal);
            return (long.Parse(text.AsSpan(0, nl), NumberStyles.None, CultureInfo.InvariantCulture), text[(nl + 1)..]);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw ApiError.BadRequest("continue key is not valid: " + e.Message);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContext ctx)
    {
        using var ms = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted).ConfigureAwait(false);
        return ms.ToArray();
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext ctx)
    {
        var body = await ReadBodyAsync(ctx).ConfigureAwait(false);
        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw ApiError.BadRequest("the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequest("error decoding request body: " + e.Message);
        }
    }

    private static async Task<(string? Uid, string? ResourceVersion)> ReadPreconditionsAsync(HttpContext ctx)
    {
        var body = await ReadBodyAsync(ctx).ConfigureAwait(false);
        if (body.Length == 0)
        {
            return (null, null);
        }

        JsonNode? options;
        try
        {
            options = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequest("error decoding DeleteOptions: " + e.Message);
        }

        var pre = options?["preconditions"];
        return (pre?["uid"]?.GetValue<string>(), pre?["resourceVersion"]?.GetValue<string>());
    }

    private static Task WriteAsync(HttpContext ctx, int status, ReadOnlyMemory<byte> body)
    {
        var response = ctx.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }

    private static Task WriteErrorAsync(HttpContext ctx, ApiError error)
    {
        if (ctx.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        if (error.RetryAfter is { } ra)
        {
            ctx.Response.Headers.RetryAfter = ((int)Math.Ceiling(ra.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return WriteAsync(ctx, error.Code, JsonSerializer.SerializeToUtf8Bytes(error.ToStatus(), JsonContext.Default.JsonObject));
    }

    private readonly record struct Route(ApiResourceType Resource, string? Namespace, string? Name, string? Subresource, bool WatchPath);
}
