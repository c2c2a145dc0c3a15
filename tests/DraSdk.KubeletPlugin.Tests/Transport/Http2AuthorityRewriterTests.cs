using System.Buffers;
using DraSdk.Internal.Http2;
using DraSdk.KubeletPlugin.Internal.Transport;

namespace DraSdk.KubeletPlugin.Tests.Transport;

/// <summary>The byte-level contract of the rewriter: what Kestrel reads is the client's connection with refused authorities replaced, and nothing else.</summary>
public sealed class Http2AuthorityRewriterTests
{
    private const string KubeletAuthority = "%2Fvar%2Flib%2Fkubelet%2Fplugins_registry%2Fgpu.example.com-reg.sock";

    [Theory]
    [InlineData("localhost", true)]
    [InlineData("localhost:80", true)]
    [InlineData("", true)]
    [InlineData("[::1]:8080", true)]
    [InlineData("gpu.example.com", true)]
    [InlineData(KubeletAuthority, false)]
    [InlineData("/var/lib/kubelet/plugins_registry/gpu.example.com-reg.sock", false)]
    [InlineData("csi/csi.sock", false)]
    [InlineData("localhost:http", false)]
    [InlineData("[::1", false)]
    [InlineData("a b", false)]
    public void Knows_which_authorities_Kestrel_refuses(string authority, bool acceptable) =>
        Assert.Equal(acceptable, Http2AuthorityRewriter.IsAcceptableAuthority(authority));

    [Fact]
    public void The_kubelets_calls_reach_the_server_with_localhost_and_everything_else_unchanged()
    {
        byte[] client = ClientConnection(KubeletAuthority, huffman: true, dynamicTable: true, calls: 3);
        var rewriter = new Http2AuthorityRewriter();
        byte[] server = ProcessAll(rewriter, client);

        List<ServerFrame> frames = ReadAsServer(server);
        Assert.Equal(3, rewriter.RewrittenRequests);
        Assert.Equal(KubeletAuthority, rewriter.LastReplacedAuthority);
        Assert.Equal(3, frames.Count(f => f.Type == Http2FrameType.Headers));
        foreach (ServerFrame headers in frames.Where(f => f.Type == Http2FrameType.Headers))
        {
            Assert.Equal(
                [new(":method", "POST"), new(":scheme", "http"), new(":path", "/pluginregistration.Registration/GetInfo"), new(":authority", "localhost"),
                 new("content-type", "application/grpc"), new("user-agent", "grpc-go/1.79.3"), new("te", "trailers"), new("grpc-timeout", "999998u")],
                headers.Fields);
            Assert.Equal(Http2FrameFlags.EndHeaders, headers.Flags);
        }

        // SETTINGS and DATA frames are forwarded byte for byte, in order.
        Assert.Equal(
            [Http2FrameType.Settings, Http2FrameType.Headers, Http2FrameType.Data, Http2FrameType.Headers, Http2FrameType.Data, Http2FrameType.Headers, Http2FrameType.Data],
            frames.Select(f => f.Type));
        Assert.All(frames.Where(f => f.Type == Http2FrameType.Data), f => Assert.Equal(new byte[] { 0, 0, 0, 0, 0 }, f.Payload));
    }

    [Fact]
    public void A_connection_whose_authority_Kestrel_accepts_is_forwarded_byte_for_byte()
    {
        byte[] client = ClientConnection("localhost", huffman: true, dynamicTable: true, calls: 3);
        var rewriter = new Http2AuthorityRewriter();
        Assert.Equal(client, ProcessAll(rewriter, client));
        Assert.Equal(0, rewriter.RewrittenRequests);
        Assert.False(rewriter.IsPassThrough);
    }

    [Fact]
    public void Any_split_of_the_input_gives_the_same_output()
    {
        byte[] client = ClientConnection(KubeletAuthority, huffman: true, dynamicTable: true, calls: 2);
        byte[] whole = ProcessAll(new Http2AuthorityRewriter(), client);
        foreach (int chunk in new[] { 1, 2, 3, 7, 9, 10, 24, 25, 33, 100 })
        {
            Assert.Equal(whole, ProcessInChunks(new Http2AuthorityRewriter(), client, chunk));
        }
    }

    [Fact]
    public void Padding_and_priority_of_a_rewritten_block_are_dropped_and_kept_as_the_server_needs()
    {
        var block = new List<byte>();
        new HPackEncoder().Encode([new(":method", "POST"), new(":scheme", "http"), new(":path", "/x"), new(":authority", KubeletAuthority)], block);
        byte[] priority = [0x80, 0, 0, 3, 15];
        var payload = new List<byte> { 4 };
        payload.AddRange(priority);
        payload.AddRange(block.Take(10));
        payload.AddRange(new byte[4]);
        var stream = new List<byte>(Http2FrameHeader.ClientPreface.ToArray());
        AddFrame(stream, Http2FrameType.Headers, Http2FrameFlags.Padded | Http2FrameFlags.Priority | Http2FrameFlags.EndStream, 1, [.. payload]);
        AddFrame(stream, Http2FrameType.Continuation, Http2FrameFlags.EndHeaders, 1, [.. block.Skip(10)]);

        List<ServerFrame> frames = ReadAsServer(ProcessAll(new Http2AuthorityRewriter(), [.. stream]));
        ServerFrame headers = Assert.Single(frames);
        Assert.Equal(Http2FrameFlags.Priority | Http2FrameFlags.EndStream | Http2FrameFlags.EndHeaders, headers.Flags);
        Assert.Equal(priority, headers.Priority);
        Assert.Equal("localhost", headers.Fields.Single(f => f.Name == ":authority").Value);
    }

    [Fact]
    public void A_block_longer_than_a_frame_after_rewriting_is_split_into_CONTINUATION_frames()
    {
        var block = new List<byte>();
        new HPackEncoder().Encode([new(":method", "POST"), new(":path", "/x"), new(":authority", KubeletAuthority), new("x-big", new string('a', 40_000))], block);
        var stream = new List<byte>(Http2FrameHeader.ClientPreface.ToArray());
        AddFrame(stream, Http2FrameType.Headers, Http2FrameFlags.None, 1, [.. block.Take(16_000)]);
        AddFrame(stream, Http2FrameType.Continuation, Http2FrameFlags.EndHeaders, 1, [.. block.Skip(16_000)]);

        List<ServerFrame> frames = ReadAsServer(ProcessAll(new Http2AuthorityRewriter(), [.. stream]));
        Assert.Equal([Http2FrameType.Headers, Http2FrameType.Continuation, Http2FrameType.Continuation], frames.Select(f => f.Type));
        Assert.All(frames, f => Assert.True(f.Length <= Http2FrameHeader.DefaultMaxFrameSize));
        Assert.Equal(new string('a', 40_000), frames[^1].Fields.Single(f => f.Name == "x-big").Value);
    }

    [Theory]
    [InlineData("bad preface")]
    [InlineData("continuation of another stream")]
    [InlineData("not HPACK")]
    [InlineData("block over the limit")]
    public void What_it_cannot_follow_reaches_the_server_unchanged_from_that_point(string fault)
    {
        var stream = new List<byte>(Http2FrameHeader.ClientPreface.ToArray());
        byte[] good = ClientConnection("localhost", huffman: true, dynamicTable: true, calls: 1)[Http2FrameHeader.ClientPreface.Length..];
        switch (fault)
        {
            case "bad preface":
                stream = [.. "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray()];
                break;
            case "continuation of another stream":
                stream.AddRange(good);
                AddFrame(stream, Http2FrameType.Headers, Http2FrameFlags.None, 3, [0x82]);
                AddFrame(stream, Http2FrameType.Continuation, Http2FrameFlags.EndHeaders, 5, [0x86]);
                break;
            case "not HPACK":
                stream.AddRange(good);
                AddFrame(stream, Http2FrameType.Headers, Http2FrameFlags.EndHeaders, 3, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
                break;
            case "block over the limit":
                for (int i = 0; i < 5; i++)
                {
                    AddFrame(stream, i == 0 ? Http2FrameType.Headers : Http2FrameType.Continuation, Http2FrameFlags.None, 1, new byte[Http2FrameHeader.DefaultMaxFrameSize]);
                }

                break;
        }

        AddFrame(stream, Http2FrameType.Data, Http2FrameFlags.EndStream, 3, [1, 2, 3]);
        byte[] input = [.. stream];
        var rewriter = new Http2AuthorityRewriter();
        Assert.Equal(input, ProcessInChunks(rewriter, input, 4096));
        Assert.True(rewriter.IsPassThrough);
    }

    /// <summary>A gRPC client's connection as grpc-go writes it: preface, SETTINGS, then HEADERS and DATA per call.</summary>
    internal static byte[] ClientConnection(string authority, bool huffman, bool dynamicTable, int calls)
    {
        var encoder = new HPackEncoder(huffman, dynamicTable);
        var stream = new List<byte>(Http2FrameHeader.ClientPreface.ToArray());
        AddFrame(stream, Http2FrameType.Settings, Http2FrameFlags.None, 0, []);
        for (int i = 0; i < calls; i++)
        {
            var block = new List<byte>();
            encoder.Encode(
                [new(":method", "POST"), new(":scheme", "http"), new(":path", "/pluginregistration.Registration/GetInfo"), new(":authority", authority),
                 new("content-type", "application/grpc"), new("user-agent", "grpc-go/1.79.3"), new("te", "trailers"), new("grpc-timeout", "999998u")],
                block);
            AddFrame(stream, Http2FrameType.Headers, Http2FrameFlags.EndHeaders, 1 + (2 * i), [.. block]);
            AddFrame(stream, Http2FrameType.Data, Http2FrameFlags.EndStream, 1 + (2 * i), [0, 0, 0, 0, 0]);
        }

        return [.. stream];
    }

    internal static byte[] ProcessAll(Http2AuthorityRewriter rewriter, byte[] input)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(input.Length, rewriter.Process(new ReadOnlySequence<byte>(input), output));
        return output.WrittenSpan.ToArray();
    }

    private static byte[] ProcessInChunks(Http2AuthorityRewriter rewriter, byte[] input, int chunk)
    {
        // As the pump does: unconsumed bytes are given again with the next ones.
        var output = new ArrayBufferWriter<byte>();
        int start = 0;
        for (int end = Math.Min(chunk, input.Length); ; end = Math.Min(end + chunk, input.Length))
        {
            start += (int)rewriter.Process(new ReadOnlySequence<byte>(input, start, end - start), output);
            if (end == input.Length)
            {
                break;
            }
        }

        Assert.Equal(input.Length, start);
        return output.WrittenSpan.ToArray();
    }

    private static void AddFrame(List<byte> stream, Http2FrameType type, Http2FrameFlags flags, int streamId, byte[] payload)
    {
        byte[] header = new byte[Http2FrameHeader.Size];
        new Http2FrameHeader(payload.Length, type, flags, streamId).Write(header);
        stream.AddRange(header);
        stream.AddRange(payload);
    }

    /// <summary>Reads the rewritten connection as Kestrel does: one HPACK decoder for the whole connection.</summary>
    private static List<ServerFrame> ReadAsServer(byte[] server)
    {
        Assert.True(server.AsSpan().StartsWith(Http2FrameHeader.ClientPreface));
        var decoder = new HPackDecoder();
        var frames = new List<ServerFrame>();
        var block = new List<byte>();
        int position = Http2FrameHeader.ClientPreface.Length;
        while (position < server.Length)
        {
            Http2FrameHeader header = Http2FrameHeader.Read(server.AsSpan(position));
            byte[] payload = server.AsSpan(position + Http2FrameHeader.Size, header.Length).ToArray();
            position += Http2FrameHeader.Size + header.Length;
            byte[]? priority = null;
            if (header.Type == Http2FrameType.Headers)
            {
                Assert.Equal(Http2FrameFlags.None, header.Flags & Http2FrameFlags.Padded);
                if ((header.Flags & Http2FrameFlags.Priority) != 0)
                {
                    priority = payload[..5];
                    payload = payload[5..];
                }
            }

            List<HeaderField> fields = [];
            if (header.Type is Http2FrameType.Headers or Http2FrameType.Continuation)
            {
                block.AddRange(payload);
                if ((header.Flags & Http2FrameFlags.EndHeaders) != 0)
                {
                    fields = decoder.Decode(block.ToArray());
                    block.Clear();
                }
            }

            frames.Add(new ServerFrame(header.Type, header.Flags, header.Length, payload, priority, fields));
        }

        return frames;
    }

    private sealed record ServerFrame(Http2FrameType Type, Http2FrameFlags Flags, int Length, byte[] Payload, byte[]? Priority, List<HeaderField> Fields);
}
