using DraSdk.Kubelet.Api.PluginRegistration.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DraSdk.KubeletPlugin.Internal.Grpc;

/// <summary>The plugin registration service the kubelet's plugin watcher calls on the registration socket.</summary>
internal sealed class RegistrationService(
    PluginEndpoint endpoint,
    KubeletRegistration registration,
    TimeProvider timeProvider,
    ILogger<RegistrationService> logger) : Registration.RegistrationBase
{
    public override Task<PluginInfo> GetInfo(InfoRequest request, ServerCallContext context)
    {
        Log.GetInfo(logger, endpoint.DriverName);
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
        registration.Record(request.PluginRegistered, request.Error, timeProvider.GetUtcNow());
        if (request.PluginRegistered)
        {
            Log.Registered(logger, endpoint.DriverName);
            return Task.FromResult(new RegistrationStatusResponse());
        }

        // As the Go helper does: the refusal is recorded, logged, and answered with an error.
        Log.RegistrationFailed(logger, endpoint.DriverName, request.Error);
        throw new RpcException(new Status(StatusCode.Unknown, $"failed registration process: {request.Error}"));
    }
}

/// <summary>What the registration service advertises.</summary>
internal sealed record PluginEndpoint(string DriverName, string DraSocketPath, IReadOnlyList<string> SupportedVersions);
