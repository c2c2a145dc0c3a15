using DraSdk.Internal.Http2;

namespace DraSdk.KubeletPlugin.Tests.Transport;

/// <summary>The HPACK coder the authority rewriter (and the fake kubelet) rely on, against RFC 7541's examples and itself.</summary>
public sealed class HPackTests
{
    [Fact]
    public void Decodes_the_RFC_7541_request_examples_with_Huffman_coding_and_the_dynamic_table()
    {
        // RFC 7541, C.4.1 and C.4.2: the first request adds :authority to the dynamic table, the second refers to it.
        var decoder = new HPackDecoder();
        List<HeaderField> first = decoder.Decode(Convert.FromHexString("828684418cf1e3c2e5f23a6ba0ab90f4ff"));
        Assert.Equal([new(":method", "GET"), new(":scheme", "http"), new(":path", "/"), new(":authority", "www.example.com")], first);
        Assert.Equal(57, decoder.Table.Size);

        List<HeaderField> second = decoder.Decode(Convert.FromHexString("828684be5886a8eb10649cbf"));
        Assert.Equal([new(":method", "GET"), new(":scheme", "http"), new(":path", "/"), new(":authority", "www.example.com"), new("cache-control", "no-cache")], second);
        Assert.Equal(110, decoder.Table.Size);
    }

    [Fact]
    public void Huffman_codes_the_RFC_7541_strings()
    {
        byte[] output = new byte[32];
        int n = HPackHuffman.Encode("www.example.com"u8, output);
        Assert.Equal("f1e3c2e5f23a6ba0ab90f4ff", Convert.ToHexStringLower(output[..n]));
        n = HPackHuffman.Encode("no-cache"u8, output);
        Assert.Equal("a8eb10649cbf", Convert.ToHexStringLower(output[..n]));
    }

    [Theory]
    [InlineData(true, true, 4096)]
    [InlineData(true, true, 128)]
    [InlineData(false, true, 64)]
    [InlineData(true, false, 4096)]
    public void What_the_encoder_writes_the_decoder_reads_back_block_after_block(bool huffman, bool dynamicTable, int tableSize)
    {
        var random = new Random(7541);
        var encoder = new HPackEncoder(huffman, dynamicTable, tableSize);
        var decoder = new HPackDecoder(tableSize);
        for (int block = 0; block < 200; block++)
        {
            var fields = new List<HeaderField>();
            for (int i = random.Next(1, 12); i > 0; i--)
            {
                fields.Add(random.Next(4) switch
                {
                    0 => HPackTable.Static[random.Next(HPackTable.Static.Length)],
                    1 => new HeaderField(":authority", "%2Fvar%2Flib%2Fkubelet%2Fplugins_registry%2Fx-" + random.Next(3) + ".sock"),
                    2 => new HeaderField("x-" + random.Next(5), RandomText(random, random.Next(0, 40))),
                    _ => new HeaderField("grpc-timeout", random.Next(1, 99_999_999) + "u"),
                });
            }

            var encoded = new List<byte>();
            encoder.Encode(fields, encoded);
            Assert.Equal(fields, decoder.Decode(encoded.ToArray()));
        }
    }

    [Theory]
    [InlineData("80", "index 0")]
    [InlineData("c0", "beyond the dynamic table")]
    [InlineData("3fe21f", "exceeds the allowed 4096")]
    [InlineData("4188f1e3", "runs past the end")]
    [InlineData("41ff", "cut off")]
    [InlineData("0081ff", "malformed")]
    [InlineData("823f01", "follows a header field")]
    public void Malformed_blocks_are_refused_with_what_is_wrong(string hex, string expected)
    {
        HPackException error = Assert.Throws<HPackException>(() => new HPackDecoder().Decode(Convert.FromHexString(hex)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static string RandomText(Random random, int length)
    {
        var chars = new char[length];
        for (int i = 0; i < length; i++)
        {
            chars[i] = (char)random.Next(0x20, 0xFF);
        }

        return new string(chars);
    }
}
