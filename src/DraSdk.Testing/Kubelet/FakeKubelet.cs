using DraSdk.Kubelet.Api.PluginRegistration.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace DraSdk.Testing;

/// <summary>
/// Plays the kubelet for a DRA driver under test: watches the registration directory for plugin sockets,
/// calls <c>GetInfo</c>, validates the answer as the kubelet does, reports the outcome with
/// <c>NotifyRegistrationStatus</c>, and then calls the driver over its real DRA socket.
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
    /// this method throws <see cref="KubeletRegistrationException"/>.
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
        GrpcChannel channel = UnixSocketChannel.Create(socket);
        var registration = new Registration.RegistrationClient(channel);
        PluginInfo info;
        try
        {
            info = await registration.GetInfoAsync(new InfoRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            // Not (yet) a plugin that answers; the kubelet would retry on the next event.
            channel.Dispose();
            return (null, false);
        }

        if (info.Type != "DRAPlugin" || info.Name != driverName)
        {
            channel.Dispose();
            return (null, true);
        }

        string? problem = Validate(info, out string draVersion);
        if (problem is not null)
        {
            try
            {
                await registration.NotifyRegistrationStatusAsync(new RegistrationStatus { PluginRegistered = false, Error = problem }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException)
            {
                // A plugin may answer a refusal with an error (the Go helper does); the refusal stands either way.
            }

            channel.Dispose();
            throw new KubeletRegistrationException($"registration of {driverName} via {socket} rejected: {problem}");
        }

        await registration.NotifyRegistrationStatusAsync(new RegistrationStatus { PluginRegistered = true }, cancellationToken: cancellationToken).ConfigureAwait(false);

        var connection = new KubeletPluginConnection(socket, info, draVersion, channel);
        lock (_gate)
        {
            _connections.Add(connection);
        }

        return (connection, false);
    }

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
