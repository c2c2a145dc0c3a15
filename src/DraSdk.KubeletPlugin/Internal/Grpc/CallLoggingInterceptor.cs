using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace DraSdk.KubeletPlugin.Internal.Grpc;

/// <summary>Gives every call a sequential request id (in the log scope, so the driver's own logs carry it), logs its outcome and records metrics.</summary>
internal sealed class CallLoggingInterceptor(ILogger<CallLoggingInterceptor> logger, KubeletPluginMetrics metrics) : Interceptor
{
    private static long s_nextRequestId;

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        long id = Interlocked.Increment(ref s_nextRequestId);
        string method = context.Method;
        using IDisposable? scope = logger.BeginScope(new RequestScope(method, id));
        if (logger.IsEnabled(LogLevel.Debug))
        {
            Log.CallRequest(logger, method, id, request?.ToString() ?? string.Empty);
        }

        long start = Stopwatch.GetTimestamp();
        try
        {
            TResponse response = await continuation(request!, context).ConfigureAwait(false);
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            Log.CallFinished(logger, method, id, nameof(StatusCode.OK), elapsed.TotalMilliseconds);
            metrics.RecordCall(method, nameof(StatusCode.OK), elapsed);
            return response;
        }
        catch (Exception ex)
        {
            Fail(ex, method, id, start);
            throw;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        long id = Interlocked.Increment(ref s_nextRequestId);
        string method = context.Method;
        using IDisposable? scope = logger.BeginScope(new RequestScope(method, id));
        long start = Stopwatch.GetTimestamp();
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            Log.CallFinished(logger, method, id, nameof(StatusCode.OK), elapsed.TotalMilliseconds);
            metrics.RecordCall(method, nameof(StatusCode.OK), elapsed);
        }
        catch (Exception ex)
        {
            Fail(ex, method, id, start);
            throw;
        }
    }

    private void Fail(Exception ex, string method, long id, long start)
    {
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        (string code, string detail) = ex switch
        {
            RpcException rpc => (rpc.StatusCode.ToString(), rpc.Status.Detail),
            OperationCanceledException => (nameof(StatusCode.Cancelled), "cancelled"),
            _ => (nameof(StatusCode.Unknown), ex.Message),
        };
        Log.CallFailed(logger, ex is RpcException or OperationCanceledException ? null : ex, method, id, code, elapsed.TotalMilliseconds, detail);
        metrics.RecordCall(method, code, elapsed);
    }

    /// <summary>The log scope of a call: <c>RequestId</c> and <c>GrpcMethod</c>.</summary>
    private sealed class RequestScope(string method, long id) : IReadOnlyList<KeyValuePair<string, object>>
    {
        public int Count => 2;

        public KeyValuePair<string, object> this[int index] => index switch
        {
            0 => new("RequestId", id),
            1 => new("GrpcMethod", method),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
        {
            yield return this[0];
            yield return this[1];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"RequestId:{id} {method}";
    }
}
