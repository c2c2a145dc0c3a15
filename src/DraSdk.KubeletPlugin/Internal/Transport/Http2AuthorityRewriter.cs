using System.Buffers;
using System.Runtime.InteropServices;
using DraSdk.Internal.Http2;

namespace DraSdk.KubeletPlugin.Internal.Transport;

/// <summary>
/// Rewrites the client-to-server bytes of one HTTP/2 connection so that every request's <c>:authority</c> (and
/// <c>Host</c>) is one Kestrel accepts. gRPC clients dialling a Unix socket by its path send that path, percent-encoded
/// (grpc-go, the kubelet's plugin manager) or bare (grpc-java, grpc-js), as the authority; Kestrel refuses it as an
/// invalid Host and resets the stream. On a Unix socket the authority names nothing, so such a value becomes
/// <c>localhost</c>, which is what the kubelet's DRA client and .NET clients send anyway.
/// </summary>
/// <remarks>
/// Every header block is decoded, to keep a copy of the client's HPACK dynamic table. Until a block needs a change, blocks
/// are forwarded exactly as received (so a well-behaved client costs a decode per request, nothing else). From the first
/// change on, every block is re-encoded without the dynamic table (static indexes and literals "without indexing"), so the
/// server's table stays empty and can never disagree with the client's. Frames other than HEADERS/CONTINUATION stream
/// through untouched. Anything this class cannot follow (a bad preface, a malformed frame or header block, a block over
/// <see cref="MaxHeaderBlockSize"/>) switches the connection to plain pass-through, so that Kestrel sees the client's
/// bytes unchanged and answers them as it would without this class.
/// </remarks>
internal sealed class Http2AuthorityRewriter(int headerTableSize = 4096)
{
    /// <summary>The largest header block (all fragments) followed; more switches to pass-through.</summary>
    public const int MaxHeaderBlockSize = 64 * 1024;

    /// <summary>The authority given to requests whose own is refused.</summary>
    public const string ReplacementAuthority = "localhost";

    private readonly HPackDecoder _decoder = new(headerTableSize, MaxHeaderBlockSize);
    private readonly HPackEncoder _encoder = new(useHuffman: false, useDynamicTable: false);
    private readonly List<byte> _rawFrames = [];
    private readonly List<byte> _block = [];
    private readonly List<byte> _encoded = [];
    private State _state = State.Preface;
    private int _prefaceMatched;
    private long _forwardRemaining;
    private bool _reencode;
    private int _blockStream;
    private Http2FrameFlags _blockFlags;
    private byte[]? _blockPriority;

    private enum State
    {
        Preface,
        Frames,
        PassThrough,
    }

    /// <summary>Requests whose authority was replaced.</summary>
    public int RewrittenRequests { get; private set; }

    /// <summary>The last authority replaced, for diagnostics.</summary>
    public string? LastReplacedAuthority { get; private set; }

    /// <summary>Whether the connection fell back to pass-through (something this class does not follow).</summary>
    public bool IsPassThrough => _state == State.PassThrough;

    /// <summary>Whether Kestrel accepts <paramref name="value"/> as an authority: a host name or address with an optional port, or nothing.</summary>
    public static bool IsAcceptableAuthority(string value)
    {
        if (value.Length == 0)
        {
            return true;
        }

        ReadOnlySpan<char> host = value;
        if (host[0] == '[')
        {
            int close = host.IndexOf(']');
            if (close < 0 || host[1..close].IndexOfAnyExcept(IPv6Chars) >= 0)
            {
                return false;
            }

            host = host[(close + 1)..];
            return host.Length == 0 || (host[0] == ':' && host[1..].IndexOfAnyExcept(Digits) < 0);
        }

        int colon = host.IndexOf(':');
        if (colon >= 0)
        {
            if (host[(colon + 1)..].IndexOfAnyExcept(Digits) >= 0)
            {
                return false;
            }

            host = host[..colon];
        }

        return host.Length > 0 && host.IndexOfAnyExcept(HostChars) < 0;
    }

    /// <summary>
    /// Processes what the client sent so far and writes what the server is to read to <paramref name="output"/>. Returns
    /// how many octets of <paramref name="input"/> were consumed; the rest (part of a frame) is to be given again with
    /// more data after it.
    /// </summary>
    public long Process(ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        var reader = new SequenceReader<byte>(input);
        while (!reader.End)
        {
            switch (_state)
            {
                case State.PassThrough:
                    Forward(ref reader, reader.Remaining, output);
                    break;

                case State.Preface:
                    ReadOnlySpan<byte> preface = Http2FrameHeader.ClientPreface;
                    while (!reader.End && _prefaceMatched < preface.Length)
                    {
                        reader.TryPeek(out byte b);
                        if (b != preface[_prefaceMatched])
                        {
                            _state = State.PassThrough;
                            break;
                        }

                        Forward(ref reader, 1, output);
                        _prefaceMatched++;
                    }

                    if (_prefaceMatched == preface.Length)
                    {
                        _state = State.Frames;
                    }

                    break;

                case State.Frames:
                    if (_forwardRemaining > 0)
                    {
                        long n = Math.Min(_forwardRemaining, reader.Remaining);
                        Forward(ref reader, n, output);
                        _forwardRemaining -= n;
                        break;
                    }

                    if (!TryProcessFrame(ref reader, output))
                    {
                        return reader.Consumed;
                    }

                    break;
            }
        }

        return reader.Consumed;
    }

    /// <summary>Handles one frame; false when more data is needed.</summary>
    private bool TryProcessFrame(ref SequenceReader<byte> reader, IBufferWriter<byte> output)
    {
        if (reader.Remaining < Http2FrameHeader.Size)
        {
            return false;
        }

        Span<byte> headerBytes = stackalloc byte[Http2FrameHeader.Size];
        reader.TryCopyTo(headerBytes);
        Http2FrameHeader header = Http2FrameHeader.Read(headerBytes);
        bool inBlock = _rawFrames.Count > 0;
        bool isBlockFrame = header.Type == Http2FrameType.Headers || (inBlock && header.Type == Http2FrameType.Continuation && header.StreamId == _blockStream);
        if (!isBlockFrame || (inBlock && header.Type == Http2FrameType.Headers))
        {
            if (inBlock || header.Type == Http2FrameType.Continuation)
            {
                // Only CONTINUATION of the same stream may follow an unfinished block: a protocol error for Kestrel to answer.
                GiveUp(output);
                return true;
            }

            Forward(ref reader, Http2FrameHeader.Size, output);
            _forwardRemaining = header.Length;
            return true;
        }

        if (_rawFrames.Count + Http2FrameHeader.Size + header.Length > MaxHeaderBlockSize)
        {
            GiveUp(output);
            return true;
        }

        if (reader.Remaining < Http2FrameHeader.Size + header.Length)
        {
            return false;
        }

        int start = _rawFrames.Count;
        CollectionsMarshal.SetCount(_rawFrames, start + Http2FrameHeader.Size + header.Length);
        Span<byte> frame = CollectionsMarshal.AsSpan(_rawFrames)[start..];
        reader.TryCopyTo(frame);
        reader.Advance(frame.Length);
        ReadOnlySpan<byte> payload = frame[Http2FrameHeader.Size..];

        if (header.Type == Http2FrameType.Headers)
        {
            _blockStream = header.StreamId;
            _blockFlags = header.Flags;
            int padding = 0;
            if ((header.Flags & Http2FrameFlags.Padded) != 0)
            {
                if (payload.Length < 1)
                {
                    GiveUp(output);
                    return true;
                }

                padding = payload[0];
                payload = payload[1..];
            }

            if ((header.Flags & Http2FrameFlags.Priority) != 0)
            {
                if (payload.Length < 5)
                {
                    GiveUp(output);
                    return true;
                }

                _blockPriority = payload[..5].ToArray();
                payload = payload[5..];
            }
            else
            {
                _blockPriority = null;
            }

            if (padding > payload.Length)
            {
                GiveUp(output);
                return true;
            }

            payload = payload[..^padding];
        }

        _block.AddRange(payload);
        if ((header.Flags & Http2FrameFlags.EndHeaders) != 0)
        {
            FinishBlock(output);
        }

        return true;
    }

    private void FinishBlock(IBufferWriter<byte> output)
    {
        List<HeaderField> fields;
        try
        {
            fields = _decoder.Decode(CollectionsMarshal.AsSpan(_block));
        }
        catch (HPackException)
        {
            GiveUp(output);
            return;
        }

        bool change = false;
        for (int i = 0; i < fields.Count; i++)
        {
            if (fields[i].Name is ":authority" or "host" && !IsAcceptableAuthority(fields[i].Value))
            {
                LastReplacedAuthority = fields[i].Value;
                fields[i] = fields[i] with { Value = ReplacementAuthority };
                change = true;
            }
        }

        if (change)
        {
            RewrittenRequests++;
            _reencode = true;
        }

        if (!_reencode)
        {
            output.Write(CollectionsMarshal.AsSpan(_rawFrames));
        }
        else
        {
            _encoded.Clear();
            _encoder.Encode(fields, _encoded);
            WriteBlock(output);
        }

        _rawFrames.Clear();
        _block.Clear();
    }

    /// <summary>Writes the re-encoded block as HEADERS and as many CONTINUATION frames as the default frame size needs.</summary>
    private void WriteBlock(IBufferWriter<byte> output)
    {
        ReadOnlySpan<byte> block = CollectionsMarshal.AsSpan(_encoded);
        int priority = _blockPriority?.Length ?? 0;
        bool first = true;
        do
        {
            int room = Http2FrameHeader.DefaultMaxFrameSize - (first ? priority : 0);
            ReadOnlySpan<byte> fragment = block[..Math.Min(room, block.Length)];
            block = block[fragment.Length..];
            Http2FrameFlags flags = block.IsEmpty ? Http2FrameFlags.EndHeaders : Http2FrameFlags.None;
            if (first)
            {
                flags |= _blockFlags & Http2FrameFlags.EndStream;
                flags |= priority > 0 ? Http2FrameFlags.Priority : Http2FrameFlags.None;
            }

            int length = fragment.Length + (first ? priority : 0);
            Span<byte> span = output.GetSpan(Http2FrameHeader.Size + length);
            new Http2FrameHeader(length, first ? Http2FrameType.Headers : Http2FrameType.Continuation, flags, _blockStream).Write(span);
            if (first && priority > 0)
            {
                _blockPriority.AsSpan().CopyTo(span[Http2FrameHeader.Size..]);
            }

            fragment.CopyTo(span[(Http2FrameHeader.Size + (first ? priority : 0))..]);
            output.Advance(Http2FrameHeader.Size + length);
            first = false;
        }
        while (!block.IsEmpty);
    }

    /// <summary>Forwards what was held back unchanged and passes everything after it through.</summary>
    private void GiveUp(IBufferWriter<byte> output)
    {
        output.Write(CollectionsMarshal.AsSpan(_rawFrames));
        _rawFrames.Clear();
        _block.Clear();
        _state = State.PassThrough;
    }

    private static void Forward(ref SequenceReader<byte> reader, long count, IBufferWriter<byte> output)
    {
        ReadOnlySequence<byte> slice = reader.UnreadSequence.Slice(0, count);
        foreach (ReadOnlyMemory<byte> segment in slice)
        {
            output.Write(segment.Span);
        }

        reader.Advance(count);
    }

    private static readonly SearchValues<char> HostChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~");
    private static readonly SearchValues<char> IPv6Chars = SearchValues.Create("0123456789abcdefABCDEF:.");
    private static readonly SearchValues<char> Digits = SearchValues.Create("0123456789");
}
