using System.Buffers.Binary;

namespace DraSdk.Internal.Http2;

/// <summary>HTTP/2 frame types (RFC 9113, 6).</summary>
internal enum Http2FrameType : byte
{
    Data = 0x0,
    Headers = 0x1,
    Priority = 0x2,
    RstStream = 0x3,
    Settings = 0x4,
    PushPromise = 0x5,
    Ping = 0x6,
    GoAway = 0x7,
    WindowUpdate = 0x8,
    Continuation = 0x9,
}

/// <summary>HTTP/2 frame flags (RFC 9113, 6).</summary>
[Flags]
internal enum Http2FrameFlags : byte
{
    None = 0x0,

    /// <summary>END_STREAM on DATA and HEADERS; ACK on SETTINGS and PING.</summary>
    EndStream = 0x1,
    EndHeaders = 0x4,
    Padded = 0x8,
    Priority = 0x20,
}

/// <summary>The 9-octet header of an HTTP/2 frame.</summary>
/// <param name="Length">The payload length (24 bits).</param>
/// <param name="Type">The frame type.</param>
/// <param name="Flags">The flags.</param>
/// <param name="StreamId">The stream (31 bits).</param>
internal readonly record struct Http2FrameHeader(int Length, Http2FrameType Type, Http2FrameFlags Flags, int StreamId)
{
    /// <summary>The size of a frame header.</summary>
    public const int Size = 9;

    /// <summary>The client connection preface (RFC 9113, 3.4).</summary>
    public static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>The smallest SETTINGS_MAX_FRAME_SIZE a peer may announce, and the default.</summary>
    public const int DefaultMaxFrameSize = 16_384;

    /// <summary>Reads a frame header from the first 9 octets of <paramref name="source"/>.</summary>
    public static Http2FrameHeader Read(ReadOnlySpan<byte> source) => new(
        (source[0] << 16) | (source[1] << 8) | source[2],
        (Http2FrameType)source[3],
        (Http2FrameFlags)source[4],
        (int)(BinaryPrimitives.ReadUInt32BigEndian(source[5..]) & 0x7FFF_FFFF));

    /// <summary>Writes the frame header into the first 9 octets of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)(Length >> 16);
        destination[1] = (byte)(Length >> 8);
        destination[2] = (byte)Length;
        destination[3] = (byte)Type;
        destination[4] = (byte)Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)StreamId & 0x7FFF_FFFF);
    }
}

/// <summary>HTTP/2 error codes (RFC 9113, 7), by name, for messages.</summary>
internal static class Http2ErrorCodes
{
    /// <summary>The RFC's name of an error code, e.g. <c>PROTOCOL_ERROR</c>.</summary>
    public static string Name(uint code) => code switch
    {
        0x0 => "NO_ERROR",
        0x1 => "PROTOCOL_ERROR",
        0x2 => "INTERNAL_ERROR",
        0x3 => "FLOW_CONTROL_ERROR",
        0x4 => "SETTINGS_TIMEOUT",
        0x5 => "STREAM_CLOSED",
        0x6 => "FRAME_SIZE_ERROR",
        0x7 => "REFUSED_STREAM",
        0x8 => "CANCEL",
        0x9 => "COMPRESSION_ERROR",
        0xa => "CONNECT_ERROR",
        0xb => "ENHANCE_YOUR_CALM",
        0xc => "INADEQUATE_SECURITY",
        0xd => "HTTP_1_1_REQUIRED",
        _ => $"0x{code:x}",
    };
}
