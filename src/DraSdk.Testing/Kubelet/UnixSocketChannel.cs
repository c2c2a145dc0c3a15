using System.Net.Sockets;
using Grpc.Net.Client;

namespace DraSdk.Testing;

/// <summary>gRPC channels over Unix domain sockets, as the kubelet dials plugins (plain HTTP/2, authority <c>localhost</c>).</summary>
public static class UnixSocketChannel
{
    /// <summary>Creates a channel to the gRPC server listening on <paramref name="socketPath"/>.</summary>
    /// <param name="socketPath">The socket file.</param>
    public static GrpcChannel Create(string socketPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            EnableMultipleHttp2Connections = false,
        };
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }
}
