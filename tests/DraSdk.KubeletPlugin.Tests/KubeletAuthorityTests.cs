using System.Text;
using DraSdk.Kubelet.Api.PluginRegistration.V1;
using DraSdk.KubeletPlugin.Tests.Infrastructure;
using DraSdk.Testing;
using Google.Protobuf;
using Grpc.Core;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace DraSdk.KubeletPlugin.Tests;

/// <summary>Both sockets serve gRPC calls whatever <c>:authority</c> a kubelet's client sends (dotnet/aspnetcore#47043).</summary>
public sealed class KubeletAuthorityTests
{
    private const string GetInfo = "/pluginregistration.Registration/GetInfo";
    private const string Prepare = "/k8s.io.kubelet.pkg.apis.dra.v1.DRAPlugin/NodePrepareResources";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, bool, bool> Authorities => new()
    {
        // What grpc-go sends for a bare socket path (the kubelet's plugin manager), with and without its HPACK manners.
        { "percent-encoded path", true, true },
        { "percent-encoded path", false, false },
        { "bare path", true, true },
        { "empty", true, true },
        { "none", true, true },
        { "localhost", true, true },
        { "localhost:0", true, true },
    };

    [Theory]
    [MemberData(nameof(Authorities))]
    public async Task Registration_and_DRA_sockets_answer_every_authority_form(string form, bool huffman, bool dynamicTable)
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();

        foreach (string socket in new[] { plugin.RegistrationSocketPath, plugin.Endpoint })
        {
            string? authority = form switch
            {
                "percent-encoded path" => Http2GrpcClient.GrpcGoAuthority(socket),
                "bare path" => socket,
                "empty" => string.Empty,
                "none" => null,
                _ => form,
            };
            await using Http2GrpcClient client = await Http2GrpcClient.ConnectAsync(
                socket, new Http2GrpcClientOptions { Authority = authority, UseHuffman = huffman, UseDynamicTable = dynamicTable }, Ct);

            // Twice on one connection: the second call refers to the first one's dynamic-table entries.
            for (int i = 0; i < 2; i++)
            {
                if (socket == plugin.RegistrationSocketPath)
                {
                    PluginInfo info = await client.UnaryAsync(GetInfo, new InfoRequest(), PluginInfo.Parser, TimeSpan.FromSeconds(5), Ct);
                    Assert.Equal("gpu.example.com", info.Name);
                }
                else
                {
                    V1.NodePrepareResourcesResponse answer = await client.UnaryAsync(Prepare, new V1.NodePrepareResourcesRequest(), V1.NodePrepareResourcesResponse.Parser, TimeSpan.FromSeconds(5), Ct);
                    Assert.Empty(answer.Claims);
                }
            }
        }
    }

    [Fact]
    public async Task A_header_block_longer_than_a_frame_after_rewriting_is_served()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();

        // 20 KiB of metadata: the re-encoded block needs HEADERS plus CONTINUATION.
        await using Http2GrpcClient client = await Http2GrpcClient.ConnectAsync(plugin.RegistrationSocketPath, new Http2GrpcClientOptions
        {
            Authority = Http2GrpcClient.GrpcGoAuthority(plugin.RegistrationSocketPath),
            UseHuffman = false,
            ExtraHeaders = [KeyValuePair.Create("x-padding", new string('a', 20 * 1024))],
        }, Ct);
        PluginInfo info = await client.UnaryAsync(GetInfo, new InfoRequest(), PluginInfo.Parser, TimeSpan.FromSeconds(5), Ct);
        Assert.Equal("gpu.example.com", info.Name);
    }

    [Fact]
    public async Task A_call_refused_at_the_HTTP2_level_is_logged_once_as_a_warning_with_the_reason()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();

        // Upper-case header names are a protocol error; five such calls within the rate limit give one line.
        for (int i = 0; i < 5; i++)
        {
            await using Http2GrpcClient client = await Http2GrpcClient.ConnectAsync(
                plugin.RegistrationSocketPath, new Http2GrpcClientOptions { ExtraHeaders = [KeyValuePair.Create("X-Upper", "1")] }, Ct);
            GrpcCallResult result = await client.CallAsync(GetInfo, new InfoRequest().ToByteArray(), TimeSpan.FromSeconds(5), Ct);
            Assert.NotNull(result.ToRpcException());
        }

        string[] lines = await WaitForLogAsync(host, "HTTP/2 failure on the registration socket");
        string line = Assert.Single(lines);
        Assert.StartsWith("Warning:", line, StringComparison.Ordinal);
        Assert.Contains(plugin.RegistrationSocketPath, line, StringComparison.Ordinal);
        Assert.Contains("PROTOCOL_ERROR", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);

        // The driver keeps serving.
        Assert.Equal("gpu.example.com", (await plugin.GetInfoAsync(Ct)).Name);
    }

    [Fact]
    public async Task A_bad_preface_on_the_DRA_socket_is_logged_as_a_warning()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();

        using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
        {
            await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(plugin.Endpoint), Ct);
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"), Ct);
            byte[] buffer = new byte[256];
            await socket.ReceiveAsync(buffer, Ct);
        }

        string line = Assert.Single(await WaitForLogAsync(host, "HTTP/2 failure on the DRA socket"));
        Assert.Contains("Expected HTTP/2 but received HTTP/1.1", line, StringComparison.Ordinal);
        Assert.Empty((await plugin.PrepareAsync([], Ct)).Claims);
    }

    [Fact]
    public async Task A_frame_out_of_order_is_passed_to_Kestrel_unchanged_and_answered_as_Kestrel_answers_it()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();

        // A CONTINUATION with no HEADERS before it: the rewriter cannot follow it and gives it to Kestrel as it came.
        await using Http2GrpcClient client = await Http2GrpcClient.ConnectAsync(plugin.RegistrationSocketPath, cancellationToken: Ct);
        byte[] continuation = [0, 0, 1, 0x9, 0x4, 0, 0, 0, 1, 0x82];
        await client.SendRawAsync(continuation, Ct);

        DateTime deadline = DateTime.UtcNow.AddSeconds(5);
        while (client.GoAwayErrorCode is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, Ct);
        }

        Assert.Equal(1u, client.GoAwayErrorCode); // PROTOCOL_ERROR
        Assert.Contains("PROTOCOL_ERROR", Assert.Single(await WaitForLogAsync(host, "HTTP/2 failure on the registration socket")), StringComparison.Ordinal);
        Assert.Equal("gpu.example.com", (await plugin.GetInfoAsync(Ct)).Name);
    }

    [Fact]
    public async Task A_stream_the_driver_resets_reaches_the_client_as_grpc_go_reports_it()
    {
        await using DriverHost host = await DriverHost.StartAsync<RecordingDriver>();
        KubeletPluginConnection plugin = await host.RegisterAsync();

        // A :path that is not a path (with a control character in it) is a malformed request: Kestrel resets the stream.
        await using Http2GrpcClient client = await Http2GrpcClient.ConnectAsync(plugin.RegistrationSocketPath, cancellationToken: Ct);
        GrpcCallResult result = await client.CallAsync("pluginregistration\u0007GetInfo", new InfoRequest().ToByteArray(), TimeSpan.FromSeconds(5), Ct);

        RpcException error = Assert.IsType<RpcException>(result.ToRpcException());
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("PROTOCOL_ERROR", error.Status.Detail, StringComparison.Ordinal);
        string line = Assert.Single(await WaitForLogAsync(host, "HTTP/2 failure on the registration socket"));
        Assert.Contains("A Reset is being sent to the stream", line, StringComparison.Ordinal);
        Assert.Contains("pluginregistration\\x07GetInfo", line, StringComparison.Ordinal);
        Assert.Null(client.GoAwayErrorCode);
    }

    private static async Task<string[]> WaitForLogAsync(DriverHost host, string text)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            string[] lines = [.. host.Logs.Snapshot().Where(l => l.Contains(text, StringComparison.Ordinal))];
            if (lines.Length > 0 || DateTime.UtcNow > deadline)
            {
                // Give late duplicates a moment to show up, so that a missing rate limit fails the test.
                await Task.Delay(200, Ct);
                return [.. host.Logs.Snapshot().Where(l => l.Contains(text, StringComparison.Ordinal))];
            }

            await Task.Delay(20, Ct);
        }
    }
}
