using System.Net.Sockets;
using DraSdk.Kubelet.Api.PluginRegistration.V1;
using Grpc.Core;

namespace DraSdk.Testing;

/// <summary>
/// Plays the kubelet for a DRA driver under test: watches the registration directory for plugin sockets,
/// calls <c>GetInfo</c>, validates the answer as the kubelet does, reports the outcome with
/// <c>NotifyRegistrationStatus</c>, and then calls the driver over its real DRA socket. Registration calls are made as
/// the kubelet's plugin manager makes them: one HTTP/2 connection dialled by the socket's bare path, so with the
/// percent-encoded path as <c>:authority</c>, grpc-go's headers and deadlines (1 s for GetInfo, 5 s for the status); DRA
/// calls carry the authority <c>localhost</c>, as the kubelet's DRA client sends.
/// </summary>
public sealed class FakeKubelet : IAsyncDisposable
{
    private readonly List<KubeletPluginConnection> _connections = [];
    private readonly Lock _gate = new();

    /// <summary>Creates a fake kubelet watching <paramref name="registrarDirectoryPath"/>.</summary>
    /// <param name="registrarDirectoryPath">The directory the driver creates its registration socket in (the kubelet's <c>plugins_registry</c>).</param>
    public FakeKubelet(string registrarDirectoryPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(registrarDirectoryPath);
        RegistrarDirectoryPath = registrarDirectoryPath;
    }

    /// <summary>The watched registration directory.</summary>
    public string RegistrarDirectoryPath { get; }

    /// <summary>Which DRA API version to use when a driver serves both: <c>v1</c> (the default, as current kubelets do) or <c>v1beta1</c>.</summary>
    public string PreferredDraVersion { get; init; } = "v1";

    /// <summary>How often the directory is scanned for new sockets.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Registrations made so far.</summary>
    public IReadOnlyList<KubeletPluginConnection> Plugins
    {
        get
        {
            lock (_gate)
            {
                return [.. _connections];
            }
        }
    }

    /// <summary>
    /// Waits until a registration socket of <paramref name="driverName"/> appears, registers the driver and returns a
    /// connection to its DRA service. A socket that answers with invalid plugin info is told so (registered=false) and
    /// this method throws <see cref="KubeletRegistrationException"/>; so does a GetInfo or NotifyRegistrationStatus the
    /// driver refuses (the message is the kubelet's, e.g. <c>RegisterPlugin error -- failed to get plugin info using RPC
    /// GetInfo at socket …</c>), rather than waiting for a registration that cannot come.
    /// </summary>
    /// <param name="driverName">The driver name to wait for.</param>
    /// <param name="cancellationToken">Stops waiting; combine with a timeout.</param>
    public Task<KubeletPluginConnection> WaitForDriverAsync(string driverName, CancellationToken cancellationToken = default) =>
        WaitAsync(driverName, onlyNewSockets: false, cancellationToken);

    /// <summary>
    /// Waits for a registration socket of <paramref name="driverName"/> that this kubelet has not registered yet — the
    /// new pod of a rolling update, started beside the old one — registers it and returns a connection to its DRA
    /// service, as the kubelet switches to the newest registration of a driver.
    /// </summary>
    /// <param name="driverName">The driver name to wait for.</param>
    /// <param name="cancellationToken">Stops waiting; combine with a timeout.</param>
    public Task<KubeletPluginConnection> WaitForNewInstanceAsync(string driverName, CancellationToken cancellationToken = default) =>
        WaitAsync(driverName, onlyNewSockets: true, cancellationToken);

    private async Task<KubeletPluginConnection> WaitAsync(string driverName, bool onlyNewSockets, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(driverName);
        var othersSockets = new HashSet<string>(StringComparer.Ordinal);
        if (onlyNewSockets)
        {
            othersSockets.UnionWith(Plugins.Select(p => p.RegistrationSocketPath));
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Directory.Exists(RegistrarDirectoryPath))
            {
                foreach (string socket in Directory.EnumerateFiles(RegistrarDirectoryPath, "*.sock").Order(StringComparer.Ordinal))
                {
                    if (othersSockets.Contains(socket))
                    {
                        continue;
                    }

                    (KubeletPluginConnection? connection, bool other) = await TryRegisterAsync(socket, driverName, cancellationToken).ConfigureAwait(false);
                    if (connection is not null)
                    {
                        return connection;
                    }

                    if (other)
                    {
                        othersSockets.Add(socket);
                    }
                }
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Closes all connections.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (KubeletPluginConnection connection in Plugins)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<(KubeletPluginConnection? Connection, bool OtherPlugin)> TryRegisterAsync(string socket, string driverName, CancellationToken cancellationToken)
    {
        // One connection for GetInfo and NotifyRegistrationStatus, dialled by the bare path as the kubelet's plugin manager
        // dials it (grpc-go then sends the percent-encoded path as :authority), closed afterwards.
        Http2GrpcClient client;
        try
        {
            client = await ConnectRegistrationAsync(socket, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            // Nothing listens (yet, or any more); the kubelet would retry on its next pass.
            return (null, false);
        }

        await using (client.ConfigureAwait(false))
        {
            PluginInfo info;
            try
            {
                info = await GetInfoAsync(client, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
            {
                // The connection closed under the call (a driver stopping); the kubelet would retry.
                return (null, false);
            }
            catch (RpcException ex)
            {
                throw new KubeletRegistrationException(
                    $"RegisterPlugin error -- failed to get plugin info using RPC GetInfo at socket {socket}, err: {GoError(ex)}", ex);
            }

            if (info.Type != "DRAPlugin" || info.Name != driverName)
            {
                return (null, true);
            }

            string? problem = Validate(info, out string draVersion);
            if (problem is not null)
            {
                try
                {
                    await NotifyAsync(client, new RegistrationStatus { PluginRegistered = false, Error = problem }, cancellationToken).ConfigureAwait(false);
                }
                catch (RpcException)
                {
                    // A plugin may answer a refusal with an error (the Go helper does); the refusal stands either way.
                }

                throw new KubeletRegistrationException($"registration of {driverName} via {socket} rejected: {problem}");
            }

            try
            {
                await NotifyAsync(client, new RegistrationStatus { PluginRegistered = true }, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex)
            {
                throw new KubeletRegistrationException(
                    $"RegisterPlugin error -- failed to send registration status at socket {socket}, err: {GoError(ex)}", ex);
            }

            var connection = new KubeletPluginConnection(socket, info, draVersion);
            lock (_gate)
            {
                _connections.Add(connection);
            }

            return (connection, false);
        }
    }

    /// <summary>An error as grpc-go formats it: <c>rpc error: code = Internal desc = …</c>.</summary>
    internal static string GoError(RpcException ex) =>
        $"rpc error: code = {(ex.StatusCode == StatusCode.Cancelled ? "Canceled" : ex.StatusCode.ToString())} desc = {ex.Status.Detail}";

    /// <summary>Opens a registration connection as the kubelet's plugin manager does.</summary>
    internal static Task<Http2GrpcClient> ConnectRegistrationAsync(string socket, CancellationToken cancellationToken) =>
        Http2GrpcClient.ConnectAsync(socket, new Http2GrpcClientOptions { Authority = Http2GrpcClient.GrpcGoAuthority(socket) }, cancellationToken);

    /// <summary>GetInfo with the kubelet's one-second deadline.</summary>
    internal static Task<PluginInfo> GetInfoAsync(Http2GrpcClient client, CancellationToken cancellationToken) =>
        client.UnaryAsync("/pluginregistration.Registration/GetInfo", new InfoRequest(), PluginInfo.Parser, TimeSpan.FromSeconds(1), cancellationToken);

    /// <summary>NotifyRegistrationStatus with the kubelet's five-second deadline.</summary>
    internal static Task<RegistrationStatusResponse> NotifyAsync(Http2GrpcClient client, RegistrationStatus status, CancellationToken cancellationToken) =>
        client.UnaryAsync("/pluginregistration.Registration/NotifyRegistrationStatus", status, RegistrationStatusResponse.Parser, TimeSpan.FromSeconds(5), cancellationToken);

    private string? Validate(PluginInfo info, out string draVersion)
    {
        draVersion = string.Empty;
        if (string.IsNullOrEmpty(info.Endpoint) || !Path.IsPathRooted(info.Endpoint))
        {
            return $"endpoint '{info.Endpoint}' is not an absolute socket path";
        }

        if (!File.Exists(info.Endpoint))
        {
            return $"endpoint {info.Endpoint} does not exist";
        }

        bool v1 = info.SupportedVersions.Contains("v1.DRAPlugin");
        bool v1beta1 = info.SupportedVersions.Contains("v1beta1.DRAPlugin");
        if (!v1 && !v1beta1)
        {
            return $"none of the supported versions [{string.Join(", ", info.SupportedVersions)}] is v1.DRAPlugin or v1beta1.DRAPlugin";
        }

        draVersion = (PreferredDraVersion == "v1beta1" && v1beta1) || !v1 ? "v1beta1" : "v1";
        return null;
    }
}

/// <summary>The fake kubelet rejected a driver's registration, as the real one would.</summary>
public sealed class KubeletRegistrationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KubeletRegistrationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">Why registration was rejected.</param>
    public KubeletRegistrationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">Why registration was rejected.</param>
    /// <param name="innerException">The cause.</param>
    public KubeletRegistrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
