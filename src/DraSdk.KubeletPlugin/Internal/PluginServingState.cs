namespace DraSdk.KubeletPlugin.Internal;

/// <summary>Whether the kubelet plugin serves its sockets: what <c>/livez</c> reports.</summary>
internal sealed class PluginServingState
{
    private volatile string[]? _sockets;

    public bool IsServing => _sockets is not null;

    /// <summary>The problem with serving, or null while both sockets are served and in place.</summary>
    public string? Problem()
    {
        if (_sockets is not { } sockets)
        {
            return "the kubelet plugin is not serving its sockets (starting or stopping)";
        }

        foreach (string socket in sockets)
        {
            if (!File.Exists(socket))
            {
                return $"the socket {socket} is gone";
            }
        }

        return null;
    }

    public void Started(string draSocket, string registrationSocket) => _sockets = [draSocket, registrationSocket];

    public void Stopped() => _sockets = null;
}
