using System.Text;

namespace DraSdk.Internal.Http2;

/// <summary>A header field as HPACK carries it. Names and values are octets, held as Latin-1 strings (one char per octet).</summary>
/// <param name="Name">The name, e.g. <c>:authority</c>.</param>
/// <param name="Value">The value.</param>
internal readonly record struct HeaderField(string Name, string Value)
{
    /// <summary>The size the field takes in a dynamic table (RFC 7541, 4.1).</summary>
    public int Size => Name.Length + Value.Length + 32;
}

/// <summary>A header block that is not valid HPACK (RFC 7541); the connection must end with COMPRESSION_ERROR.</summary>
internal sealed class HPackException(string message) : Exception(message);

/// <summary>The HPACK static table (RFC 7541, Appendix A) and the dynamic table both sides keep.</summary>
internal sealed class HPackTable(int maxSize)
{
    /// <summary>The static table; index 1 is <c>:authority</c>.</summary>
    public static readonly HeaderField[] Static =
    [
        new(":authority", ""), new(":method", "GET"), new(":method", "POST"), new(":path", "/"), new(":path", "/index.html"),
        new(":scheme", "http"), new(":scheme", "https"), new(":status", "200"), new(":status", "204"), new(":status", "206"),
        new(":status", "304"), new(":status", "400"), new(":status", "404"), new(":status", "500"), new("accept-charset", ""),
        new("accept-encoding", "gzip, deflate"), new("accept-language", ""), new("accept-ranges", ""), new("accept", ""),
        new("access-control-allow-origin", ""), new("age", ""), new("allow", ""), new("authorization", ""), new("cache-control", ""),
        new("content-disposition", ""), new("content-encoding", ""), new("content-language", ""), new("content-length", ""),
        new("content-location", ""), new("content-range", ""), new("content-type", ""), new("cookie", ""), new("date", ""),
        new("etag", ""), new("expect", ""), new("expires", ""), new("from", ""), new("host", ""), new("if-match", ""),
        new("if-modified-since", ""), new("if-none-match", ""), new("if-range", ""), new("if-unmodified-since", ""),
        new("last-modified", ""), new("link", ""), new("location", ""), new("max-forwards", ""), new("proxy-authenticate", ""),
        new("proxy-authorization", ""), new("range", ""), new("referer", ""), new("refresh", ""), new("retry-after", ""),
        new("server", ""), new("set-cookie", ""), new("strict-transport-security", ""), new("transfer-encoding", ""),
        new("user-agent", ""), new("vary", ""), new("via", ""), new("www-authenticate", ""),
    ];

    // Newest first.
    private readonly LinkedList<HeaderField> _entries = new();

    /// <summary>The largest size the peer's settings allow (SETTINGS_HEADER_TABLE_SIZE).</summary>
    public int MaxAllowedSize { get; } = maxSize;

    /// <summary>The current maximum size (changed by dynamic table size updates).</summary>
    public int MaxSize { get; private set; } = maxSize;

    /// <summary>The size of the entries held.</summary>
    public int Size { get; private set; }

    /// <summary>The number of dynamic entries.</summary>
    public int Count => _entries.Count;

    /// <summary>Looks up a 1-based HPACK index over the static table, then the dynamic table.</summary>
    public HeaderField Get(long index)
    {
        if (index <= 0)
        {
            throw new HPackException("header index 0 is not valid");
        }

        if (index <= Static.Length)
        {
            return Static[index - 1];
        }

        long dynamic = index - Static.Length - 1;
        if (dynamic >= _entries.Count)
        {
            throw new HPackException($"header index {index} is beyond the dynamic table ({_entries.Count} entries)");
        }

        return _entries.ElementAt((int)dynamic);
    }

    /// <summary>The HPACK index of an exact match (name and value), or of the name only; 0 when none.</summary>
    public (int Exact, int Name) Find(string name, string value)
    {
        int nameIndex = 0;
        for (int i = 0; i < Static.Length; i++)
        {
            if (Static[i].Name == name)
            {
                if (Static[i].Value == value)
                {
                    return (i + 1, i + 1);
                }

                nameIndex = nameIndex == 0 ? i + 1 : nameIndex;
            }
        }

        int index = Static.Length + 1;
        foreach (HeaderField entry in _entries)
        {
            if (entry.Name == name)
            {
                if (entry.Value == value)
                {
                    return (index, nameIndex == 0 ? index : nameIndex);
                }

                nameIndex = nameIndex == 0 ? index : nameIndex;
            }

            index++;
        }

        return (0, nameIndex);
    }

    /// <summary>Adds an entry, evicting the oldest as needed (an entry larger than the table empties it).</summary>
    public void Add(HeaderField field)
    {
        Evict(MaxSize - field.Size);
        if (field.Size <= MaxSize)
        {
            _entries.AddFirst(field);
            Size += field.Size;
        }
    }

    /// <summary>Applies a dynamic table size update.</summary>
    public void Resize(long size)
    {
        if (size > MaxAllowedSize)
        {
            throw new HPackException($"dynamic table size update to {size} exceeds the allowed {MaxAllowedSize}");
        }

        MaxSize = (int)size;
        Evict(MaxSize);
    }

    private void Evict(int target)
    {
        while (Size > Math.Max(target, 0) && _entries.Count > 0)
        {
            Size -= _entries.Last!.Value.Size;
            _entries.RemoveLast();
        }
    }
}

/// <summary>Decodes HPACK header blocks of one direction of one connection (RFC 7541).</summary>
/// <param name="maxTableSize">The SETTINGS_HEADER_TABLE_SIZE this side announced.</param>
/// <param name="maxBlockSize">The most octets of decoded names and values one block may hold.</param>
internal sealed class HPackDecoder(int maxTableSize = 4096, int maxBlockSize = 64 * 1024)
{
    private readonly HPackTable _table = new(maxTableSize);
    private readonly List<byte> _scratch = [];

    /// <summary>The dynamic table, for tests.</summary>
    public HPackTable Table => _table;

    /// <summary>Decodes one complete header block.</summary>
    /// <exception cref="HPackException">The block is not valid HPACK.</exception>
    public List<HeaderField> Decode(ReadOnlySpan<byte> block)
    {
        var fields = new List<HeaderField>();
        int position = 0;
        long total = 0;
        bool sizeUpdateAllowed = true;
        while (position < block.Length)
        {
            byte first = block[position];
            if ((first & 0x80) != 0)
            {
                fields.Add(_table.Get(ReadInteger(block, ref position, 7)));
                sizeUpdateAllowed = false;
            }
            else if ((first & 0xE0) == 0x20)
            {
                if (!sizeUpdateAllowed)
                {
                    throw new HPackException("a dynamic table size update follows a header field");
                }

                _table.Resize(ReadInteger(block, ref position, 5));
                continue;
            }
            else
            {
                bool index = (first & 0xC0) == 0x40;
                long nameIndex = ReadInteger(block, ref position, index ? 6 : 4);
                string name = nameIndex == 0 ? ReadString(block, ref position) : _table.Get(nameIndex).Name;
                string value = ReadString(block, ref position);
                var field = new HeaderField(name, value);
                if (index)
                {
                    _table.Add(field);
                }

                fields.Add(field);
                sizeUpdateAllowed = false;
            }

            total += fields[^1].Name.Length + fields[^1].Value.Length;
            if (total > maxBlockSize)
            {
                throw new HPackException($"the header block decodes to more than {maxBlockSize} octets");
            }
        }

        return fields;
    }

    /// <summary>Reads an HPACK integer with an <paramref name="prefixBits"/>-bit prefix (RFC 7541, 5.1).</summary>
    internal static long ReadInteger(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        int mask = (1 << prefixBits) - 1;
        long value = block[position++] & mask;
        if (value < mask)
        {
            return value;
        }

        for (int shift = 0; ; shift += 7)
        {
            if (position >= block.Length)
            {
                throw new HPackException("an integer is cut off at the end of the header block");
            }

            if (shift > 28)
            {
                throw new HPackException("an integer is too large");
            }

            byte b = block[position++];
            value += (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }

    private string ReadString(ReadOnlySpan<byte> block, ref int position)
    {
        if (position >= block.Length)
        {
            throw new HPackException("a string is missing at the end of the header block");
        }

        bool huffman = (block[position] & 0x80) != 0;
        long length = ReadInteger(block, ref position, 7);
        if (length > block.Length - position)
        {
            throw new HPackException($"a string of {length} octets runs past the end of the header block");
        }

        ReadOnlySpan<byte> raw = block.Slice(position, (int)length);
        position += (int)length;
        if (!huffman)
        {
            return Encoding.Latin1.GetString(raw);
        }

        _scratch.Clear();
        if (!HPackHuffman.TryDecode(raw, _scratch))
        {
            throw new HPackException("a Huffman-encoded string is malformed");
        }

        return Encoding.Latin1.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_scratch));
    }
}

/// <summary>Encodes HPACK header blocks of one direction of one connection.</summary>
/// <param name="useHuffman">Huffman-encode strings where that is shorter (as grpc-go does).</param>
/// <param name="useDynamicTable">Add fields to the dynamic table and refer to them later (as grpc-go does); otherwise every field is a literal without indexing, or a static index.</param>
/// <param name="maxTableSize">The peer's SETTINGS_HEADER_TABLE_SIZE.</param>
internal sealed class HPackEncoder(bool useHuffman = true, bool useDynamicTable = true, int maxTableSize = 4096)
{
    private readonly HPackTable _table = new(maxTableSize);

    /// <summary>Appends the encoded block of <paramref name="fields"/> to <paramref name="output"/>.</summary>
    public void Encode(IEnumerable<HeaderField> fields, List<byte> output)
    {
        foreach (HeaderField field in fields)
        {
            // Without indexing nothing is ever added, so the table offers static entries only.
            (int exact, int name) = _table.Find(field.Name, field.Value);
            if (exact != 0)
            {
                WriteInteger(output, 0x80, 7, exact);
                continue;
            }

            if (useDynamicTable)
            {
                WriteInteger(output, 0x40, 6, name);
                _table.Add(field);
            }
            else
            {
                WriteInteger(output, 0x00, 4, name);
            }

            if (name == 0)
            {
                WriteString(output, field.Name);
            }

            WriteString(output, field.Value);
        }
    }

    /// <summary>Writes an HPACK integer: <paramref name="flags"/> in the bits above the <paramref name="prefixBits"/>-bit prefix.</summary>
    internal static void WriteInteger(List<byte> output, byte flags, int prefixBits, long value)
    {
        int mask = (1 << prefixBits) - 1;
        if (value < mask)
        {
            output.Add((byte)(flags | value));
            return;
        }

        output.Add((byte)(flags | mask));
        value -= mask;
        while (value >= 0x80)
        {
            output.Add((byte)((value & 0x7F) | 0x80));
            value >>= 7;
        }

        output.Add((byte)value);
    }

    private void WriteString(List<byte> output, string value)
    {
        byte[] raw = Encoding.Latin1.GetBytes(value);
        int huffmanLength = useHuffman ? HPackHuffman.EncodedLength(raw) : int.MaxValue;
        if (huffmanLength < raw.Length)
        {
            WriteInteger(output, 0x80, 7, huffmanLength);
            Span<byte> encoded = huffmanLength <= 256 ? stackalloc byte[huffmanLength] : new byte[huffmanLength];
            HPackHuffman.Encode(raw, encoded);
            output.AddRange(encoded);
        }
        else
        {
            WriteInteger(output, 0x00, 7, raw.Length);
            output.AddRange(raw);
        }
    }
}
