using System.Text;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using HV1 = DraSdk.Kubelet.Api.DraHealth.V1;
using HV1Alpha1 = DraSdk.Kubelet.Api.DraHealth.V1Alpha1;

namespace DraSdk.KubeletPlugin.Internal.Grpc;

/// <summary>Streams device health; shared by the v1alpha1 and v1 services (identical messages, different packages).</summary>
internal sealed class HealthStreamer(IDeviceHealthSource source, TimeProvider timeProvider, ILogger<HealthStreamer> logger)
{
    public const int MaxMessageBytes = 1024;

    public async Task StreamAsync<TResponse>(Func<IReadOnlyList<DeviceHealth>, long, TResponse> convert, IServerStreamWriter<TResponse> writer, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (IReadOnlyList<DeviceHealth> snapshot in source.WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                await writer.WriteAsync(convert(snapshot, timeProvider.GetUtcNow().ToUnixTimeSeconds()), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            Log.HealthSourceFailed(logger, ex);
            throw new RpcException(new Status(StatusCode.Unavailable, $"device health source failed: {ex.Message}"));
        }
    }

    /// <summary>Truncates to at most 1024 UTF-8 bytes without splitting a character.</summary>
    public static string Truncate(string? message)
    {
        if (string.IsNullOrEmpty(message) || Encoding.UTF8.GetByteCount(message) <= MaxMessageBytes)
        {
            return message ?? string.Empty;
        }

        int length = message.Length;
        while (Encoding.UTF8.GetByteCount(message.AsSpan(0, length)) > MaxMessageBytes)
        {
            length--;
            if (length > 0 && char.IsLowSurrogate(message[length]))
            {
                length--;
            }
        }

        return message[..length];
    }
}

/// <summary>The health stream as <c>v1.DRAResourceHealth</c>.</summary>
internal sealed class HealthV1Service(HealthStreamer streamer) : HV1.DRAResourceHealth.DRAResourceHealthBase
{
    public override Task NodeWatchResources(HV1.NodeWatchResourcesRequest request, IServerStreamWriter<HV1.NodeWatchResourcesResponse> responseStream, ServerCallContext context) =>
        streamer.StreamAsync(Convert, responseStream, context.CancellationToken);

    private static HV1.NodeWatchResourcesResponse Convert(IReadOnlyList<DeviceHealth> devices, long now)
    {
        var response = new HV1.NodeWatchResourcesResponse();
        foreach (DeviceHealth d in devices)
        {
            response.Devices.Add(new HV1.DeviceHealth
            {
                Device = new HV1.DeviceIdentifier { PoolName = d.PoolName, DeviceName = d.DeviceName },
                Health = (HV1.HealthStatus)(int)d.Status,
                LastUpdatedTime = d.LastUpdated?.ToUnixTimeSeconds() ?? now,
                HealthCheckTimeoutSeconds = (long)(d.HealthCheckTimeout?.TotalSeconds ?? 0),
                Message = HealthStreamer.Truncate(d.Message),
            });
        }

        return response;
    }
}

/// <summary>The health stream as <c>v1alpha1.DRAResourceHealth</c>, the version kubelets before v1 know.</summary>
internal sealed class HealthV1Alpha1Service(HealthStreamer streamer) : HV1Alpha1.DRAResourceHealth.DRAResourceHealthBase
{
    public override Task NodeWatchResources(HV1Alpha1.NodeWatchResourcesRequest request, IServerStreamWriter<HV1Alpha1.NodeWatchResourcesResponse> responseStream, ServerCallContext context) =>
        streamer.StreamAsync(Convert, responseStream, context.CancellationToken);

    private static HV1Alpha1.NodeWatchResourcesResponse Convert(IReadOnlyList<DeviceHealth> devices, long now)
    {
        var response = new HV1Alpha1.NodeWatchResourcesResponse();
        foreach (DeviceHealth d in devices)
        {
            response.Devices.Add(new HV1Alpha1.DeviceHealth
            {
                Device = new HV1Alpha1.DeviceIdentifier { PoolName = d.PoolName, DeviceName = d.DeviceName },
                Health = (HV1Alpha1.HealthStatus)(int)d.Status,
                LastUpdatedTime = d.LastUpdated?.ToUnixTimeSeconds() ?? now,
                HealthCheckTimeoutSeconds = (long)(d.HealthCheckTimeout?.TotalSeconds ?? 0),
                Message = HealthStreamer.Truncate(d.Message),
            });
        }

        return response;
    }
}
