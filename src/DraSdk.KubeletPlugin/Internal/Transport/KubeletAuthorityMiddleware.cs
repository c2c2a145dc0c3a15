using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DraSdk.KubeletPlugin.Internal.Transport;

/// <summary>
/// A Kestrel connection middleware for the plugin's Unix-socket listeners: the client's bytes pass through an
/// <see cref="Http2AuthorityRewriter"/> before Kestrel's HTTP/2 parser reads them, so that a kubelet whose gRPC client
/// sends the socket path as <c>:authority</c> is served (dotnet/aspnetcore#47043). The server's bytes are not touched.
/// </summary>
internal static class KubeletAuthorityMiddleware
{
    /// <summary>Adds the middleware to a Unix-socket listener.</summary>
    public static void UseKubeletAuthority(this ListenOptions listen)
    {
        int headerTableSize = listen.KestrelServerOptions.Limits.Http2.HeaderTableSize;
        listen.Use(next => context => RunAsync(context, next, headerTableSize));
    }

    private static async Task RunAsync(ConnectionContext context, ConnectionDelegate next, int headerTableSize)
    {
        IDuplexPipe transport = context.Transport;
        MemoryPool<byte>? pool = context.Features.Get<IMemoryPoolFeature>()?.MemoryPool;
        var rewritten = new Pipe(new PipeOptions(pool, useSynchronizationContext: false));
        Task pump = PumpAsync(transport.Input, rewritten.Writer, new Http2AuthorityRewriter(headerTableSize));
        context.Transport = new DuplexPipe(rewritten.Reader, transport.Output);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            context.Transport = transport;
            transport.Input.CancelPendingRead();
            await pump.ConfigureAwait(false);
            await rewritten.Reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static async Task PumpAsync(PipeReader input, PipeWriter output, Http2AuthorityRewriter rewriter)
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult read = await input.ReadAsync().ConfigureAwait(false);
                if (read.IsCanceled)
                {
                    break;
                }

                ReadOnlySequence<byte> buffer = read.Buffer;
                long consumed = rewriter.Process(buffer, output);
                if (read.IsCompleted && consumed < buffer.Length)
                {
                    // The client closed in the middle of a frame: Kestrel gets the rest as it came.
                    foreach (ReadOnlyMemory<byte> segment in buffer.Slice(consumed))
                    {
                        output.Write(segment.Span);
                    }

                    consumed = buffer.Length;
                }

                input.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
                FlushResult flushed = await output.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled || read.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            // Whatever ended the pump (the client's connection, or a fault of the rewriter) ends Kestrel's reading too,
            // so that the connection closes instead of waiting for bytes that cannot come.
            error = ex;
        }

        await output.CompleteAsync(error).ConfigureAwait(false);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
