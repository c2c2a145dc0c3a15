using System.Buffers;
using BenchmarkDotNet.Attributes;
using DraSdk.Internal.Http2;
using DraSdk.Kubelet.Api.PluginRegistration.V1;
using DraSdk.KubeletPlugin.Internal.Transport;
using DraSdk.Testing;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DraSdk.Benchmarks;

/// <summary>
/// The cost of the Unix-socket authority rewriter on the bytes of a kubelet registration connection (preface, SETTINGS,
/// GetInfo and NotifyRegistrationStatus as grpc-go writes them), against the floor of copying the same bytes.
/// </summary>
[MemoryDiagnoser]
public class AuthorityRewriterBenchmarks
{
    private byte[] _kubelet = null!;
    private byte[] _localhost = null!;
    private byte[] _data = null!;
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);

    [GlobalSetup]
    public void Setup()
    {
        _kubelet = Connection("%2Fvar%2Flib%2Fkubelet%2Fplugins_registry%2Fgpu.example.com-reg.sock", dataFrames: 0);
        _localhost = Connection("localhost", dataFrames: 0);
        _data = Connection("localhost", dataFrames: 4);
    }

    [Benchmark(Baseline = true, Description = "floor: copy the kubelet's connection bytes")]
    public int Copy()
    {
        _output.ResetWrittenCount();
        _output.Write(_kubelet);
        return _output.WrittenCount;
    }

    [Benchmark(Description = "rewrite: kubelet authority (percent-encoded path)")]
    public long RewriteKubelet()
    {
        _output.ResetWrittenCount();
        return new Http2AuthorityRewriter().Process(new ReadOnlySequence<byte>(_kubelet), _output);
    }

    [Benchmark(Description = "forward: authority localhost (decode only)")]
    public long ForwardLocalhost()
    {
        _output.ResetWrittenCount();
        return new Http2AuthorityRewriter().Process(new ReadOnlySequence<byte>(_localhost), _output);
    }

    [Benchmark(Description = "forward: 4 x 16 KiB DATA frames")]
    public long ForwardData()
    {
        _output.ResetWrittenCount();
        return new Http2AuthorityRewriter().Process(new ReadOnlySequence<byte>(_data), _output);
    }

    [Benchmark(Description = "floor: copy 4 x 16 KiB DATA frames")]
    public int CopyData()
    {
        _output.ResetWrittenCount();
        _output.Write(_data);
        return _output.WrittenCount;
    }

    private static byte[] Connection(string authority, int dataFrames)
    {
        var encoder = new HPackEncoder();
        var bytes = new List<byte>(Http2FrameHeader.ClientPreface.ToArray());
        Frame(bytes, Http2FrameType.Settings, Http2FrameFlags.None, 0, []);
        string[] methods = ["/pluginregistration.Registration/GetInfo", "/pluginregistration.Registration/NotifyRegistrationStatus"];
        for (int i = 0; i < methods.Length; i++)
        {
            var block = new List<byte>();
            encoder.Encode(
                [new(":method", "POST"), new(":scheme", "http"), new(":path", methods[i]), new(":authority", authority), new("content-type", "application/grpc"),
                 new("user-agent", "grpc-go/1.79.3"), new("te", "trailers"), new("grpc-timeout", i == 0 ? "999986u" : "4999987u")],
                block);
            Frame(bytes, Http2FrameType.Headers, Http2FrameFlags.EndHeaders, 1 + (2 * i), [.. block]);
            Frame(bytes, Http2FrameType.Data, Http2FrameFlags.EndStream, 1 + (2 * i), i == 0 ? [0, 0, 0, 0, 0] : [0, 0, 0, 0, 2, 8, 1]);
        }

        for (int i = 0; i < dataFrames; i++)
        {
            Frame(bytes, Http2FrameType.Data, Http2FrameFlags.None, 5, new byte[16 * 1024]);
        }

        return [.. bytes];
    }

    private static void Frame(List<byte> bytes, Http2FrameType type, Http2FrameFlags flags, int stream, byte[] payload)
    {
        byte[] header = new byte[Http2FrameHeader.Size];
        new Http2FrameHeader(payload.Length, type, flags, stream).Write(header);
        bytes.AddRange(header);
        bytes.AddRange(payload);
    }
}

/// <summary>
/// A GetInfo round trip over a Unix socket served by Kestrel with and without the authority middleware, from a .NET
/// channel (authority localhost) and from a grpc-go-like client (the kubelet's percent-encoded path, which only the
/// middleware makes servable); the floor is the same call on a server without the middleware.
/// </summary>
[MemoryDiagnoser]
public class UnixSocketAuthorityRoundTripBenchmarks
{
    private string _root = null!;
    private WebApplication _plain = null!;
    private WebApplication _rewriting = null!;
    private GrpcChannel _plainChannel = null!;
    private GrpcChannel _rewritingChannel = null!;
    private Http2GrpcClient _plainRaw = null!;
    private Http2GrpcClient _rewritingRaw = null!;
    private Http2GrpcClient _kubeletRaw = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _root = Path.Combine("/tmp", "drasdk-auth-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_root);
        string plain = Path.Combine(_root, "plain.sock");
        string rewriting = Path.Combine(_root, "rewriting.sock");
        _plain = await StartAsync(plain, middleware: false);
        _rewriting = await StartAsync(rewriting, middleware: true);
        _plainChannel = UnixSocketChannel.Create(plain);
        _rewritingChannel = UnixSocketChannel.Create(rewriting);
        _plainRaw = await Http2GrpcClient.ConnectAsync(plain);
        _rewritingRaw = await Http2GrpcClient.ConnectAsync(rewriting);
        _kubeletRaw = await Http2GrpcClient.ConnectAsync(rewriting, new Http2GrpcClientOptions { Authority = Http2GrpcClient.GrpcGoAuthority(rewriting) });
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _kubeletRaw.DisposeAsync();
        await _rewritingRaw.DisposeAsync();
        await _plainRaw.DisposeAsync();
        _plainChannel.Dispose();
        _rewritingChannel.Dispose();
        await _plain.DisposeAsync();
        await _rewriting.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "floor: grpc-go-like client, localhost, no middleware")]
    public Task<PluginInfo> RawPlain() => GetInfo(_plainRaw);

    [Benchmark(Description = "grpc-go-like client, localhost, middleware")]
    public Task<PluginInfo> RawLocalhostRewriting() => GetInfo(_rewritingRaw);

    [Benchmark(Description = "grpc-go-like client, kubelet authority, middleware")]
    public Task<PluginInfo> RawKubeletRewriting() => GetInfo(_kubeletRaw);

    [Benchmark(Description = ".NET channel, no middleware")]
    public async Task<PluginInfo> ChannelPlain() => await new Registration.RegistrationClient(_plainChannel).GetInfoAsync(new InfoRequest());

    [Benchmark(Description = ".NET channel, middleware")]
    public async Task<PluginInfo> ChannelRewriting() => await new Registration.RegistrationClient(_rewritingChannel).GetInfoAsync(new InfoRequest());

    private static Task<PluginInfo> GetInfo(Http2GrpcClient client) =>
        client.UnaryAsync("/pluginregistration.Registration/GetInfo", new InfoRequest(), PluginInfo.Parser, TimeSpan.FromSeconds(5));

    private static async Task<WebApplication> StartAsync(string socket, bool middleware)
    {
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.ListenUnixSocket(socket, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (middleware)
            {
                listen.UseKubeletAuthority();
            }
        }));
        builder.Services.AddRoutingCore();
        builder.Services.AddGrpc();
        WebApplication app = builder.Build();
        app.MapGrpcService<InfoService>();
        await app.StartAsync();
        return app;
    }

    private sealed class InfoService : Registration.RegistrationBase
    {
        private static readonly PluginInfo Info = new() { Type = "DRAPlugin", Name = "gpu.example.com", Endpoint = "/var/lib/kubelet/plugins/gpu.example.com/dra.sock", SupportedVersions = { "v1.DRAPlugin" } };

        public override Task<PluginInfo> GetInfo(InfoRequest request, ServerCallContext context) => Task.FromResult(Info);
    }
}
