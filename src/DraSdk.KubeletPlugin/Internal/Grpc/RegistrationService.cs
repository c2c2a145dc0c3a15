using DraSdk.Kubelet.Api.PluginRegistration.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DraSdk.KubeletPlugin.Internal.Grpc;

/// <summary>The plugin registration service the kubelet's plugin watcher calls on the registration socket.</summary>
internal sealed class RegistrationService(
    PluginEndpoint endpoint,
    KubeletRegistration registration,
    KubeletPluginMetrics metrics,
    ILogger<RegistrationService> logger) : Registration.RegistrationBase
{
    public override Task<PluginInfo> GetInfo(InfoRequest request, ServerCallContext context)
    {
        Log.GetInfo(logger, endpoint.DriverName);
        registration.RecordGetInfo(ConnectionId(context));
        var info = new PluginInfo
        {
            Type = "DRAPlugin",
            Name = endpoint.DriverName,
            Endpoint = endpoint.DraSocketPath,
        };
        info.SupportedVersions.Add(endpoint.SupportedVersions);
        return Task.FromResult(info);
    }

    public override Task<RegistrationStatusResponse> NotifyRegistrationStatus(RegistrationStatus request, ServerCallContext context)
    {
        // The kubelet reports on the connection it asked GetInfo on; a report without that comes from another process
        // and must not withdraw (or advertise) the node's devices.
        if (!registration.TryRecordReport(ConnectionId(context), request.PluginRegistered, request.Error))
        {
            metrics.RecordRegistrationReport("ignored");
            Log.RegistrationReportIgnored(logger, request.PluginRegistered, endpoint.DriverName, registration.Status.State);
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "NotifyRegistrationStatus is accepted only after GetInfo on the same connection, as the kubelet calls them"));
        }

        if (request.PluginRegistered)
        {
            metrics.RecordRegistrationReport("registered");
            Log.Registered(logger, endpoint.DriverName);
            return Task.FromResult(new RegistrationStatusResponse());
        }

        // As the Go helper does: the refusal is recorded, logged, and answered with an error.
        metrics.RecordRegistrationReport("refused");
        Log.RegistrationFailed(logger, endpoint.DriverName, request.Error);
        throw new RpcException(new Status(StatusCode.Unknown, $"failed registration process: {request.Error}"));
    }

    private static string ConnectionId(ServerCallContext context) => context.GetHttpContext().Connection.Id;
}

/// <summary>What the registration service advertises.</summary>
internal sealed record PluginEndpoint(string DriverName, string DraSocketPath, IReadOnlyList<string> SupportedVersions);
