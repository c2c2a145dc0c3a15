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
        Log.RegistrationStatus(logger, endpoint.DriverName, request.PluginRegistered, request.Error);
        return Task.FromResult(new RegistrationStatusResponse());
    }
}

/// <summary>What the registration service advertises.</summary>
internal sealed record PluginEndpoint(string DriverName, string DraSocketPath, IReadOnlyList<string> SupportedVersions);
