using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using DraSdk.Internal.Http2;
using Google.Protobuf;
using Grpc.Core;

namespace DraSdk.Testing;

/// <summary>
/// A gRPC client over a Unix socket that writes HTTP/2 itself, so that a test can call a driver exactly as a Go client
/// does: any <c>:authority</c> (the kubelet's plugin manager sends the percent-encoded socket path, which .NET's
/// <c>HttpClient</c> cannot send), grpc-go's headers in grpc-go's order, Huffman coding and the HPACK dynamic table.
/// One connection; calls may run concurrently, each on its own stream. The <see cref="FakeKubelet"/> registers drivers
/// with it. It answers SETTINGS and PING and returns the flow-control credit of what it receives, but does not wait for
/// credit itself: a request message must fit the server's initial window (64 KiB by default).
/// </summary>
public sealed class Http2GrpcClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly HPackEncoder _encoder;
    private readonly HPackDecoder _decoder = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<int, PendingCall> _calls = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _reading;
    private int _nextStreamId = 1;
    private uint? _goAwayErrorCode;
    private string? _goAwayDebugData;

    private Http2GrpcClient(Socket socket, Http2GrpcClientOptions options)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Options = options;
        _encoder = new HPackEncoder(options.UseHuffman, options.UseDynamicTable);
        _reading = Task.Run(ReadLoopAsync);
    }

    /// <summary>The options the connection was opened with.</summary>
    public Http2GrpcClientOptions Options { get; }

    /// <summary>The error code of the server's GOAWAY, once it sent one.</summary>
    public uint? GoAwayErrorCode => _goAwayErrorCode;

    /// <summary>
    /// The <c>:authority</c> grpc-go sends for a target that is a bare socket path, as the kubelet's plugin manager dials
    /// the registration socket: the path, percent-encoded (<c>/var/lib/x.sock</c> becomes <c>%2Fvar%2Flib%2Fx.sock</c>).
    /// </summary>
    /// <param name="socketPath">The socket path.</param>
    public static string GrpcGoAuthority(string socketPath)
    {
        ArgumentNullException.ThrowIfNull(socketPath);
        var builder = new StringBuilder(socketPath.Length * 2);
        foreach (byte b in Encoding.UTF8.GetBytes(socketPath))
        {
            char c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || "-._~!$&'()*+,;=:@".Contains(c, StringComparison.Ordinal))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>Connects to <paramref name="socketPath"/> and sends the connection preface and SETTINGS.</summary>
    /// <param name="socketPath">The server's Unix socket.</param>
    /// <param name="options">The authority and the client's manners; defaults to grpc-go's with authority <c>localhost</c>.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <exception cref="SocketException">Nothing listens on the socket.</exception>
    public static async Task<Http2GrpcClient> ConnectAsync(string socketPath, Http2GrpcClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new Http2GrpcClient(socket, options ?? new Http2GrpcClientOptions());
        byte[] start = new byte[Http2FrameHeader.ClientPreface.Length + Http2FrameHeader.Size];
        Http2FrameHeader.ClientPreface.CopyTo(start);
        new Http2FrameHeader(0, Http2FrameType.Settings, Http2FrameFlags.None, 0).Write(start.AsSpan(Http2FrameHeader.ClientPreface.Length));
        try
        {
            await client.WriteAsync(start, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return client;
    }

    /// <summary>
    /// Makes a unary call and decodes the answer as grpc-go would: an OK status gives the response, anything else
    /// (including a stream the server reset) throws the <see cref="RpcException"/> grpc-go would report.
    /// </summary>
    /// <typeparam name="TResponse">The response message.</typeparam>
    /// <param name="method">The method path, e.g. <c>/pluginregistration.Registration/GetInfo</c>.</param>
    /// <param name="request">The request message.</param>
    /// <param name="parser">The response parser, e.g. <c>PluginInfo.Parser</c>.</param>
    /// <param name="timeout">Sent as <c>grpc-timeout</c> and waited for; none when null.</param>
    /// <param name="cancellationToken">Cancels the call (the stream is reset with CANCEL).</param>
    public async Task<TResponse> UnaryAsync<TResponse>(string method, IMessage request, MessageParser<TResponse> parser, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(parser);
        GrpcCallResult result = await CallAsync(method, request.ToByteArray(), timeout, cancellationToken).ConfigureAwait(false);
        RpcException? error = result.ToRpcException();
        if (error is not null)
        {
            throw error;
        }

        return parser.ParseFrom(result.Message ?? []);
    }

    /// <summary>Makes a unary call with a serialized request and returns everything the server answered.</summary>
    /// <param name="method">The method path.</param>
    /// <param name="message">The serialized request message (the 5-octet gRPC prefix is added).</param>
    /// <param name="timeout">Sent as <c>grpc-timeout</c> and waited for; none when null.</param>
    /// <param name="cancellationToken">Cancels the call (the stream is reset with CANCEL).</param>
    public async Task<GrpcCallResult> CallAsync(string method, ReadOnlyMemory<byte> message, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        var headers = new List<HeaderField>
        {
            new(":method", "POST"),
            new(":scheme", "http"),
            new(":path", method),
        };
        if (Options.Authority is not null)
        {
            headers.Add(new(":authority", Options.Authority));
        }

        headers.Add(new("content-type", "application/grpc"));
        headers.Add(new("user-agent", Options.UserAgent));
        headers.Add(new("te", "trailers"));
        if (timeout is TimeSpan t)
        {
            headers.Add(new("grpc-timeout", EncodeTimeout(t)));
        }

        headers.AddRange(Options.ExtraHeaders.Select(h => new HeaderField(h.Key, h.Value)));

        byte[] body = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), (uint)message.Length);
        message.Span.CopyTo(body.AsSpan(5));

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is TimeSpan wait)
        {
            linked.CancelAfter(wait + TimeSpan.FromSeconds(1));
        }

        PendingCall call;
        await _writeLock.WaitAsync(linked.Token).ConfigureAwait(false);
        try
        {
            int streamId = _nextStreamId;
            _nextStreamId += 2;
            call = new PendingCall(streamId);
            _calls[streamId] = call;
            if (_goAwayErrorCode is not null)
            {
                call.Fail();
            }

            var block = new List<byte>();
            _encoder.Encode(headers, block);
            try
            {
                await WriteFramesAsync(Http2FrameType.Headers, Http2FrameFlags.None, streamId, CollectionsMarshal.AsSpan(block).ToArray(), linked.Token).ConfigureAwait(false);
                await WriteFramesAsync(Http2FrameType.Data, Http2FrameFlags.EndStream, streamId, body, linked.Token).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The server closed the connection while the call was being written (a GOAWAY after a protocol error
                // in the headers): the reader reports what the server sent, as grpc-go reports it, not a broken pipe.
            }
        }
        finally
        {
            _writeLock.Release();
        }

        try
        {
            await call.Done.Task.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            byte[] reset = new byte[Http2FrameHeader.Size + 4];
            new Http2FrameHeader(4, Http2FrameType.RstStream, Http2FrameFlags.None, call.StreamId).Write(reset);
            BinaryPrimitives.WriteUInt32BigEndian(reset.AsSpan(Http2FrameHeader.Size), 0x8);
            await TryWriteAsync(reset).ConfigureAwait(false);
            throw;
        }
        finally
        {
            _calls.TryRemove(call.StreamId, out _);
        }

        return call.ToResult(_goAwayErrorCode, _goAwayDebugData);
    }

    /// <summary>Writes raw octets to the connection, for tests of what no well-behaved client sends.</summary>
    /// <param name="bytes">What to send.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        await _reading.ConfigureAwait(false);
        _closing.Dispose();
        _writeLock.Dispose();
    }

    /// <summary>grpc-go's <c>grpc-timeout</c>: the smallest unit, rounded up, that keeps the value within 8 digits.</summary>
    internal static string EncodeTimeout(TimeSpan timeout)
    {
        long ticks = Math.Max(0, timeout.Ticks);
        (string Unit, long Ticks)[] units = [("n", 0), ("u", 10), ("m", TimeSpan.TicksPerMillisecond), ("S", TimeSpan.TicksPerSecond), ("M", TimeSpan.TicksPerMinute), ("H", TimeSpan.TicksPerHour)];
        foreach ((string unit, long perUnit) in units)
        {
            long value = perUnit == 0 ? ticks * 100 : (ticks + perUnit - 1) / perUnit;
            if (value <= 99_999_999)
            {
                return value.ToString(CultureInfo.InvariantCulture) + unit;
            }
        }

        return "99999999H";
    }

    private async Task WriteFramesAsync(Http2FrameType type, Http2FrameFlags lastFlags, int streamId, byte[] payload, CancellationToken cancellationToken)
    {
        int offset = 0;
        bool first = true;
        do
        {
            int length = Math.Min(Http2FrameHeader.DefaultMaxFrameSize, payload.Length - offset);
            bool last = offset + length == payload.Length;
            Http2FrameType frameType = first || type != Http2FrameType.Headers ? type : Http2FrameType.Continuation;
            Http2FrameFlags flags = !last ? Http2FrameFlags.None
                : type == Http2FrameType.Headers ? Http2FrameFlags.EndHeaders : lastFlags;
            byte[] frame = new byte[Http2FrameHeader.Size + length];
            new Http2FrameHeader(length, frameType, flags, streamId).Write(frame);
            payload.AsSpan(offset, length).CopyTo(frame.AsSpan(Http2FrameHeader.Size));
            await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            offset += length;
            first = false;
        }
        while (offset < payload.Length);
    }

    private async Task WriteAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task TryWriteAsync(byte[] bytes)
    {
        try
        {
            await WriteAsync(bytes, _closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
        }
    }

    private async Task ReadLoopAsync()
    {
        byte[] header = new byte[Http2FrameHeader.Size];
        var block = new List<byte>();
        int blockStream = 0;
        bool blockEndsStream = false;
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header, _closing.Token).ConfigureAwait(false);
                Http2FrameHeader frame = Http2FrameHeader.Read(header);
                byte[] payload = new byte[frame.Length];
                await _stream.ReadExactlyAsync(payload, _closing.Token).ConfigureAwait(false);
                _calls.TryGetValue(frame.StreamId, out PendingCall? call);
                switch (frame.Type)
                {
                    case Http2FrameType.Settings when (frame.Flags & Http2FrameFlags.EndStream) == 0:
                        byte[] ack = new byte[Http2FrameHeader.Size];
                        new Http2FrameHeader(0, Http2FrameType.Settings, Http2FrameFlags.EndStream, 0).Write(ack);
                        await TryWriteAsync(ack).ConfigureAwait(false);
                        break;

                    case Http2FrameType.Ping when (frame.Flags & Http2FrameFlags.EndStream) == 0:
                        byte[] pong = new byte[Http2FrameHeader.Size + payload.Length];
                        new Http2FrameHeader(payload.Length, Http2FrameType.Ping, Http2FrameFlags.EndStream, 0).Write(pong);
                        payload.CopyTo(pong, Http2FrameHeader.Size);
                        await TryWriteAsync(pong).ConfigureAwait(false);
                        break;

                    case Http2FrameType.GoAway:
                        _goAwayErrorCode = payload.Length >= 8 ? BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4)) : 0;
                        _goAwayDebugData = payload.Length > 8 ? Encoding.UTF8.GetString(payload, 8, payload.Length - 8) : null;
                        break;

                    case Http2FrameType.RstStream:
                        call?.Reset(payload.Length >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(payload) : 0);
                        break;

                    case Http2FrameType.Data:
                        call?.Data.AddRange(payload.AsSpan(PaddedPayloadStart(frame, payload), PayloadLength(frame, payload)));
                        if (payload.Length > 0)
                        {
                            await TryWriteAsync(WindowUpdates(frame.StreamId, payload.Length)).ConfigureAwait(false);
                        }

                        if ((frame.Flags & Http2FrameFlags.EndStream) != 0)
                        {
                            call?.Complete();
                        }

                        break;

                    case Http2FrameType.Headers or Http2FrameType.Continuation:
                        if (frame.Type == Http2FrameType.Headers)
                        {
                            blockStream = frame.StreamId;
                            blockEndsStream = (frame.Flags & Http2FrameFlags.EndStream) != 0;
                            int start = PaddedPayloadStart(frame, payload) + ((frame.Flags & Http2FrameFlags.Priority) != 0 ? 5 : 0);
                            block.AddRange(payload.AsSpan(start, PayloadLength(frame, payload) - (start - PaddedPayloadStart(frame, payload))));
                        }
                        else
                        {
                            block.AddRange(payload);
                        }

                        if ((frame.Flags & Http2FrameFlags.EndHeaders) != 0)
                        {
                            List<HeaderField> fields = _decoder.Decode(CollectionsMarshal.AsSpan(block));
                            block.Clear();
                            if (_calls.TryGetValue(blockStream, out PendingCall? owner))
                            {
                                owner.AddHeaders(fields);
                                if (blockEndsStream)
                                {
                                    owner.Complete();
                                }
                            }
                        }

                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or OperationCanceledException or ObjectDisposedException or SocketException or HPackException)
        {
        }
        finally
        {
            foreach (PendingCall call in _calls.Values)
            {
                call.Fail();
            }
        }
    }

    private static int PaddedPayloadStart(Http2FrameHeader frame, byte[] payload) =>
        (frame.Flags & Http2FrameFlags.Padded) != 0 && payload.Length > 0 ? 1 : 0;

    private static int PayloadLength(Http2FrameHeader frame, byte[] payload) =>
        (frame.Flags & Http2FrameFlags.Padded) != 0 && payload.Length > 0 ? Math.Max(0, payload.Length - 1 - payload[0]) : payload.Length;

    private static byte[] WindowUpdates(int streamId, int increment)
    {
        byte[] frames = new byte[2 * (Http2FrameHeader.Size + 4)];
        new Http2FrameHeader(4, Http2FrameType.WindowUpdate, Http2FrameFlags.None, 0).Write(frames);
        BinaryPrimitives.WriteUInt32BigEndian(frames.AsSpan(Http2FrameHeader.Size), (uint)increment);
        new Http2FrameHeader(4, Http2FrameType.WindowUpdate, Http2FrameFlags.None, streamId).Write(frames.AsSpan(Http2FrameHeader.Size + 4));
        BinaryPrimitives.WriteUInt32BigEndian(frames.AsSpan((2 * Http2FrameHeader.Size) + 4), (uint)increment);
        return frames;
    }

    private sealed class PendingCall(int streamId)
    {
        private readonly List<List<HeaderField>> _blocks = [];
        private uint? _reset;
        private bool _connectionLost;

        public int StreamId { get; } = streamId;

        public List<byte> Data { get; } = [];

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void AddHeaders(List<HeaderField> fields) => _blocks.Add(fields);

        public void Reset(uint code)
        {
            _reset = code;
            Done.TrySetResult();
        }

        public void Fail()
        {
            _connectionLost = true;
            Done.TrySetResult();
        }

        public void Complete() => Done.TrySetResult();

        public GrpcCallResult ToResult(uint? goAway, string? goAwayDebug)
        {
            List<HeaderField> headers = _blocks.Count > 0 ? _blocks[0] : [];
            List<HeaderField> trailers = _blocks.Count > 1 ? _blocks[^1] : (Done.Task.IsCompleted && _reset is null && !_connectionLost ? headers : []);
            string? status = headers.FirstOrDefault(h => h.Name == ":status").Value;
            string? grpcStatus = trailers.FirstOrDefault(h => h.Name == "grpc-status").Value;
            byte[]? message = null;
            if (Data.Count >= 5)
            {
                int length = (int)BinaryPrimitives.ReadUInt32BigEndian(CollectionsMarshal.AsSpan(Data)[1..]);
                message = CollectionsMarshal.AsSpan(Data).Slice(5, Math.Min(length, Data.Count - 5)).ToArray();
            }

            return new GrpcCallResult
            {
                StreamId = StreamId,
                HttpStatus = int.TryParse(status, CultureInfo.InvariantCulture, out int s) ? s : null,
                Headers = [.. headers.Select(h => KeyValuePair.Create(h.Name, h.Value))],
                Trailers = [.. trailers.Select(h => KeyValuePair.Create(h.Name, h.Value))],
                GrpcStatus = int.TryParse(grpcStatus, CultureInfo.InvariantCulture, out int g) ? (StatusCode)g : null,
                GrpcMessage = trailers.FirstOrDefault(h => h.Name == "grpc-message").Value is string m ? Uri.UnescapeDataString(m) : null,
                Message = message,
                ResetErrorCode = _reset,
                ConnectionLost = _connectionLost,
                GoAwayErrorCode = goAway,
                GoAwayDebugData = goAwayDebug,
            };
        }
    }
}

/// <summary>How an <see cref="Http2GrpcClient"/> behaves; the defaults are grpc-go's.</summary>
public sealed record Http2GrpcClientOptions
{
    /// <summary>The <c>:authority</c> sent with every call; null sends none. Default: <c>localhost</c>.</summary>
    public string? Authority { get; init; } = "localhost";

    /// <summary>The <c>user-agent</c>. Default: the grpc-go release the kubelet v1.36 is built with.</summary>
    public string UserAgent { get; init; } = "grpc-go/1.79.3";

    /// <summary>Huffman-encode header strings where that is shorter, as grpc-go does. Default: true.</summary>
    public bool UseHuffman { get; init; } = true;

    /// <summary>Index header fields in the HPACK dynamic table and refer to them in later calls, as grpc-go does. Default: true.</summary>
    public bool UseDynamicTable { get; init; } = true;

    /// <summary>Headers sent after grpc-go's own (custom metadata, or what a test needs to send).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ExtraHeaders { get; init; } = [];
}

/// <summary>Everything a server answered to one call of an <see cref="Http2GrpcClient"/>.</summary>
public sealed record GrpcCallResult
{
    /// <summary>The HTTP/2 stream of the call.</summary>
    public int StreamId { get; init; }

    /// <summary>The <c>:status</c>; null when no headers came.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>The response headers.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The trailers (for a trailers-only answer, the headers).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Trailers { get; init; } = [];

    /// <summary>The <c>grpc-status</c>; null when none came.</summary>
    public StatusCode? GrpcStatus { get; init; }

    /// <summary>The <c>grpc-message</c>, percent-decoded.</summary>
    public string? GrpcMessage { get; init; }

    /// <summary>The first response message, without its 5-octet prefix.</summary>
    public byte[]? Message { get; init; }

    /// <summary>The error code of the server's RST_STREAM, when it reset the stream.</summary>
    public uint? ResetErrorCode { get; init; }

    /// <summary>Whether the connection ended before the call did.</summary>
    public bool ConnectionLost { get; init; }

    /// <summary>The error code of the server's GOAWAY, if it sent one.</summary>
    public uint? GoAwayErrorCode { get; init; }

    /// <summary>The debug data of the server's GOAWAY.</summary>
    public string? GoAwayDebugData { get; init; }

    /// <summary>The error grpc-go reports for this answer; null when the call succeeded.</summary>
    public RpcException? ToRpcException()
    {
        if (ResetErrorCode is uint reset)
        {
            StatusCode code = reset switch
            {
                0x7 => StatusCode.Unavailable,
                0x8 => StatusCode.Cancelled,
                0xb or 0xc => StatusCode.PermissionDenied,
                _ => StatusCode.Internal,
            };
            return new RpcException(new Status(code, $"stream terminated by RST_STREAM with error code: {Http2ErrorCodes.Name(reset)}"));
        }

        if (GrpcStatus is null)
        {
            string why = ConnectionLost
                ? GoAwayErrorCode is uint goAway ? $"the server sent GOAWAY {Http2ErrorCodes.Name(goAway)}{(GoAwayDebugData is null ? string.Empty : $": {GoAwayDebugData}")}" : "the connection closed"
                : $"no grpc-status (HTTP status {HttpStatus?.ToString(CultureInfo.InvariantCulture) ?? "none"})";
            return new RpcException(new Status(ConnectionLost ? StatusCode.Unavailable : StatusCode.Internal, why));
        }

        return GrpcStatus == StatusCode.OK ? null : new RpcException(new Status(GrpcStatus.Value, GrpcMessage ?? string.Empty));
    }
}
