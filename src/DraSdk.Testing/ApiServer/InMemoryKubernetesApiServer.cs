using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using DraSdk.Internal;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DraSdk.Testing;

/// <summary>
/// An in-memory Kubernetes API server on loopback HTTP that <see cref="Kubernetes"/> talks to unchanged: create, get,
/// list (selectors, pagination), watch (resume, bookmarks, 410), update, patch (merge, JSON, apply), delete and
/// delete-collection for nodes, namespaces, leases and the <c>resource.k8s.io/v1</c> DRA resources, with fault
/// injection, a request log and direct access to the stored objects for tests.
/// </summary>
/// <example>
/// <code>
/// await using var api = await InMemoryKubernetesApiServer.StartAsync();
/// using var client = api.CreateClient();
/// await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new() { Name = "node-a" } });
/// </code>
/// </example>
public sealed class InMemoryKubernetesApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ObjectStore _store;
    private readonly CancellationTokenSource _stopping;
    private readonly Lock _gate = new();
    private readonly Queue<ApiRequest> _requests = new();
    private readonly int _requestLimit;
    private ApiFault[] _faults = [];
    private int _disposed;

    private InMemoryKubernetesApiServer(WebApplication app, ObjectStore store, CancellationTokenSource stopping, InMemoryApiServerOptions options)
    {
        _app = app;
        _store = store;
        _stopping = stopping;
        _requestLimit = Math.Max(1, options.RequestLogLimit);
        Options = options;
        BaseAddress = null!;
    }

    /// <summary>The server's address, for example <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; }

    /// <summary>The settings the server was started with.</summary>
    public InMemoryApiServerOptions Options { get; }

    /// <summary>The current (latest) global resourceVersion: the string of an integer that every write increments.</summary>
    public string ResourceVersion => _store.ResourceVersion.ToString(CultureInfo.InvariantCulture);

    /// <summary>The number of watch streams open now.</summary>
    public int OpenWatchCount => _store.WatchCount;

    /// <summary>The requests received so far, oldest first (at most <see cref="InMemoryApiServerOptions.RequestLogLimit"/>).</summary>
    public IReadOnlyList<ApiRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Starts a server with default settings on <c>127.0.0.1</c> and a free port.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static Task<InMemoryKubernetesApiServer> StartAsync(CancellationToken cancellationToken = default) =>
        StartAsync(new InMemoryApiServerOptions(), cancellationToken);

    /// <summary>Starts a server on <c>127.0.0.1</c> and a free port.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<InMemoryKubernetesApiServer> StartAsync(InMemoryApiServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(InMemoryKubernetesApiServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });

        // Hermetic: no configuration from the environment or appsettings, no logs, no process signal handling.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null;
            k.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1);
        });

        var app = builder.Build();
        if (!ResourceApiVersions.IsSupported(options.ResourceApiVersion))
        {
            throw new ArgumentException($"ResourceApiVersion must be one of {string.Join(", ", ResourceApiVersions.Supported)}, not '{options.ResourceApiVersion}'.", nameof(options));
        }

        var served = options.Resources.Select(r => r.Group == ResourceApiVersions.Group && r.Version == "v1" ? r with { Version = options.ResourceApiVersion } : r).Distinct();
        var resources = served.Concat(DisabledFeatureGates.GatedResources(options.DisabledFeatureGates).Where(g => !options.Resources.Contains(g)));
        var store = new ObjectStore(resources, options.WatchHistoryLimit, options.TimeProvider, options.BuiltInValidation, options.DisabledFeatureGates);
        var stopping = new CancellationTokenSource();
        var server = new InMemoryKubernetesApiServer(app, store, stopping, options);
        var handler = new ApiHandler(store, options, server.TakeFault, server.Record, stopping.Token);
        app.Run(handler.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            stopping.Dispose();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>A client configuration pointing at this server (plain HTTP, no credentials, namespace <c>default</c>).</summary>
    public KubernetesClientConfiguration CreateClientConfiguration() => new()
    {
        Host = BaseAddress.GetLeftPart(UriPartial.Authority),
        Namespace = "default",
    };

    /// <summary>A new <see cref="Kubernetes"/> client for this server; the caller disposes it.</summary>
    public IKubernetes CreateClient() => new Kubernetes(CreateClientConfiguration());

    /// <summary>
    /// Writes a kubeconfig file pointing at this server, for a driver in another process (<c>KUBECONFIG=path</c>) or
    /// <c>KubernetesClientConfiguration.BuildConfigFromConfigFile(path)</c>.
    /// </summary>
    /// <param name="path">The file to write; its directory is created if needed.</param>
    /// <returns>The full path of the file.</returns>
    public string WriteKubeconfig(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var server = BaseAddress.GetLeftPart(UriPartial.Authority);
        var text = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: in-memory
              cluster:
                server: {server}
            contexts:
            - name: in-memory
              context:
                cluster: in-memory
                user: in-memory
                namespace: default
            current-context: in-memory
            users:
            - name: in-memory
              user:
                token: in-memory
            preferences: {"{}"}

            """;
        File.WriteAllText(full, text, new UTF8Encoding(false));
        return full;
    }

    /// <summary>
    /// Fails matching requests with an error Status (and a <c>Retry-After</c> header when <paramref name="retryAfter"/> is set).
    /// Faults are checked in the order they were injected; the request is logged either way.
    /// </summary>
    /// <param name="method">An HTTP method in upper case (<c>PUT</c>), a Kubernetes verb in lower case (<c>update</c>, <c>list</c>, <c>watch</c>…), or <c>*</c>.</param>
    /// <param name="resource">The resource plural (<c>resourceslices</c>), a subresource (<c>resourceclaims/status</c>), or <c>*</c>.</param>
    /// <param name="statusCode">The HTTP status to answer, for example 409, 429, 500 or 503; the Status reason follows from it.</param>
    /// <param name="name">Only requests for this object name; null for any.</param>
    /// <param name="count">How many requests fail; null for all until <see cref="ClearFaults"/>.</param>
    /// <param name="retryAfter">The retry hint to send, if any.</param>
    /// <param name="message">The Status message; a default names the status code.</param>
    /// <returns>The fault, whose <see cref="ApiFault.Hits"/> counts the requests it failed.</returns>
    public ApiFault InjectFault(string method, string resource, int statusCode, string? name = null, int? count = 1, TimeSpan? retryAfter = null, string? message = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentException.ThrowIfNullOrEmpty(resource);
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        var fault = new ApiFault(method, resource, name, statusCode, count, retryAfter, message);
        lock (_gate)
        {
            _faults = [.. _faults, fault];
        }

        return fault;
    }

    /// <summary>Removes every injected fault.</summary>
    public void ClearFaults()
    {
        lock (_gate)
        {
            _faults = [];
        }
    }

    /// <summary>Forgets the logged requests.</summary>
    public void ClearRequests()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }

    /// <summary>Ends every open watch stream cleanly, as an API server restart or a load balancer would. Clients must re-watch.</summary>
    public void CutWatches() => _store.CutWatches();

    /// <summary>Forgets the watch event history, so that a watch resuming from any resourceVersion before now gets <c>410 Expired</c>.</summary>
    public void CompactWatchHistory() => _store.CompactHistory();

    /// <summary>
    /// Adds a validator for the resource of <typeparamref name="T"/>, run on every create and update (HTTP or direct)
    /// after the built-in checks. Returned errors are answered as <c>422 Invalid</c> with one cause each.
    /// </summary>
    /// <typeparam name="T">A KubernetesClient model, such as <see cref="V1ResourceSlice"/>.</typeparam>
    /// <param name="validator">Gets the proposed object and, on update, the current one (null on create).</param>
    public void AddValidator<T>(Func<T, T?, IEnumerable<ApiFieldError>> validator)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(validator);
        _store.AddValidator(ResourceOf<T>(), (obj, old) => validator(FromNode<T>(obj), old is null ? null : FromNode<T>(old)));
    }

    /// <summary>
    /// Creates an object directly, as a POST would (uid, creationTimestamp, generation, resourceVersion, generateName,
    /// validation, an ADDED watch event) but keeping its status. Namespaced objects without a namespace go to <c>default</c>.
    /// </summary>
    /// <typeparam name="T">A KubernetesClient model, such as <see cref="Resourcev1ResourceClaim"/>.</typeparam>
    /// <param name="obj">The object.</param>
    /// <returns>The stored object.</returns>
    /// <exception cref="InvalidOperationException">The create failed (exists, invalid…); the message is the Status message.</exception>
    public T Seed<T>(T obj)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(obj);
        var r = ResourceOf<T>();
        var ns = r.Namespaced ? obj.Metadata?.NamespaceProperty ?? "default" : "";
        return FromStored<T>(Direct(() => _store.Create(r, ns, ToNode(obj), keepStatus: true, dryRun: false)));
    }

    /// <summary>Reads a cluster-scoped object (or one in namespace <c>default</c>), or null if there is none.</summary>
    /// <typeparam name="T">A KubernetesClient model.</typeparam>
    /// <param name="name">The object name.</param>
    public T? Get<T>(string name)
        where T : class, IKubernetesObject<V1ObjectMeta> => Get<T>("default", name);

    /// <summary>Reads a namespaced object, or null if there is none.</summary>
    /// <typeparam name="T">A KubernetesClient model.</typeparam>
    /// <param name="namespace">The namespace.</param>
    /// <param name="name">The object name.</param>
    public T? Get<T>(string @namespace, string name)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var r = ResourceOf<T>();
        var stored = _store.Get(r, r.Namespaced ? @namespace : "", name);
        return stored is null ? null : FromStored<T>(stored);
    }

    /// <summary>Lists the stored objects of a resource, in one namespace or (null) in all.</summary>
    /// <typeparam name="T">A KubernetesClient model.</typeparam>
    /// <param name="namespace">The namespace, or null for all.</param>
    public IReadOnlyList<T> List<T>(string? @namespace = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var r = ResourceOf<T>();
        return [.. _store.List(r, r.Namespaced ? @namespace : null).Items.Select(FromStored<T>)];
    }

    /// <summary>
    /// Replaces an object directly, status included, as a controller behind the driver's back would: a MODIFIED event,
    /// a new resourceVersion, generation bumped when the spec changed. A set resourceVersion must be current.
    /// </summary>
    /// <typeparam name="T">A KubernetesClient model.</typeparam>
    /// <param name="obj">The new object; name and namespace select the stored one.</param>
    /// <returns>The stored object.</returns>
    /// <exception cref="InvalidOperationException">The update failed (missing, conflict, invalid…).</exception>
    public T Update<T>(T obj)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(obj);
        var r = ResourceOf<T>();
        var name = obj.Metadata?.Name ?? throw new ArgumentException("metadata.name is required", nameof(obj));
        var ns = r.Namespaced ? obj.Metadata.NamespaceProperty ?? "default" : "";
        var node = ToNode(obj);
        return FromStored<T>(Direct(() => _store.Update(r, ns, name, _ => node, WriteScope.Whole, dryRun: false)));
    }

    /// <summary>Reads a cluster-scoped object (or one in namespace <c>default</c>), lets <paramref name="edit"/> change it and stores it, as <see cref="Update{T}(T)"/>.</summary>
    /// <typeparam name="T">A KubernetesClient model.</typeparam>
    /// <param name="name">The object name.</param>
    /// <param name="edit">Changes the object in place.</param>
    /// <returns>The stored object.</returns>
    public T Edit<T>(string name, Action<T> edit)
        where T : class, IKubernetesObject<V1ObjectMeta> => Edit("default", name, edit);

    /// <summary>Reads a namespaced object, lets <paramref name="edit"/> change it and stores it, as <see cref="Update{T}(T)"/>.</summary>
    /// <typeparam name="T">A KubernetesClient model.</typeparam>
    /// <param name="namespace">The namespace.</param>
    /// <param name="name">The object name.</param>
    /// <param name="edit">Changes the object in place.</param>
    /// <returns>The stored object.</returns>
    public T Edit<T>(string @namespace, string name, Action<T> edit)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(edit);
        var r = ResourceOf<T>();
        var ns = r.Namespaced ? @namespace : "";
        return FromStored<T>(Direct(() => _store.Update(r, ns, name, current =>
        {
            var obj = FromNode<T>(current);
            edit(obj);
            return ToNode(obj);
        }, WriteScope.Whole, dryRun: false)));
    }

    /// <summary>Deletes a cluster-scoped object (or one in namespace <c>default</c>) directly (a DELETED event; with finalizers only deletionTimestamp is set).</summary>
    /// <typeparam name="T">A KubernetesClient model.</typeparam>
    /// <param name="name">The object name.</param>
    /// <returns>False if there was no such object.</returns>
    public bool Delete<T>(string name)
        where T : class, IKubernetesObject<V1ObjectMeta> => Delete<T>("default", name);

    /// <summary>Deletes a namespaced object directly (a DELETED event; with finalizers only deletionTimestamp is set).</summary>
    /// <typeparam name="T">A KubernetesClient model.</typeparam>
    /// <param name="namespace">The namespace.</param>
    /// <param name="name">The object name.</param>
    /// <returns>False if there was no such object.</returns>
    public bool Delete<T>(string @namespace, string name)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var r = ResourceOf<T>();
        try
        {
            _store.Delete(r, r.Namespaced ? @namespace : "", name, null, null, dryRun: false);
            return true;
        }
        catch (ApiError e) when (e.Code == 404)
        {
            return false;
        }
    }

    /// <summary>Ends open watches and stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _store.CutWatches();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private ApiFault? TakeFault(ApiRequest request)
    {
        var faults = Volatile.Read(ref _faults);
        foreach (var f in faults)
        {
            if (f.TryFire(request))
            {
                return f;
            }
        }

        return null;
    }

    private void Record(ApiRequest request)
    {
        lock (_gate)
        {
            _requests.Enqueue(request);
            while (_requests.Count > _requestLimit)
            {
                _requests.Dequeue();
            }
        }
    }

    private ApiResourceType ResourceOf<T>()
    {
        var entity = typeof(T).GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new ArgumentException($"{typeof(T).Name} has no [KubernetesEntity] attribute; use a KubernetesClient model type.");
        // Some renamed models (Resourcev1ResourceClaim) carry no plural name: fall back to the kind.
        bool Same(ApiResourceType r) => r.Group == (entity.Group ?? "") && (string.IsNullOrEmpty(entity.PluralName) ? r.Kind == entity.Kind : r.Plural == entity.PluralName);
        return _store.Resources.FirstOrDefault(r => Same(r) && r.Version == entity.ApiVersion)
            // A resource.k8s.io model of another version than the one served: converted on the way in and out.
            ?? (entity.Group == ResourceApiVersions.Group && ResourceApiVersions.IsSupported(entity.ApiVersion)
                ? _store.Resources.FirstOrDefault(r => Same(r) && ResourceApiVersions.IsSupported(r.Version))
                : null)
            ?? throw new ArgumentException($"The server does not serve {entity.Kind} in {entity.Group}/{entity.ApiVersion}; add it to InMemoryApiServerOptions.Resources.");
    }

    private static StoredObject Direct(Func<StoredObject> action)
    {
        try
        {
            return action();
        }
        catch (ApiError e)
        {
            throw new InvalidOperationException($"{e.Code} {e.Reason}: {e.Message}", e);
        }
    }

    private JsonObject ToNode<T>(T obj)
    {
        var node = JsonNode.Parse(KubernetesJson.Serialize(obj)) as JsonObject ?? throw new ArgumentException("The object did not serialize to a JSON object.");
        return Converted<T>(node, toServed: true);
    }

    private T FromNode<T>(JsonObject node) => KubernetesJson.Deserialize<T>(Converted<T>(node, toServed: false).ToJsonString());

    private T FromStored<T>(StoredObject stored) => FromNode<T>(stored.ToNode());

    /// <summary>Converts between the version of <typeparamref name="T"/> and the version the server serves its resource in (resource.k8s.io only).</summary>
    private JsonObject Converted<T>(JsonObject node, bool toServed)
    {
        var entity = typeof(T).GetCustomAttribute<KubernetesEntityAttribute>();
        if (entity?.Group != ResourceApiVersions.Group)
        {
            return node;
        }

        var served = ResourceOf<T>();
        if (served.Version == entity.ApiVersion)
        {
            return node;
        }

        (string from, string to) = toServed ? (entity.ApiVersion, served.Version) : (served.Version, entity.ApiVersion);
        node["apiVersion"] = ResourceApiVersions.Group + "/" + from;
        node["kind"] = served.Kind;
        return ResourceApiVersions.Convert(node, to);
    }

    /// <summary>Leaves process signals (Ctrl+C, SIGTERM) to the host process instead of stopping on them.</summary>
    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
