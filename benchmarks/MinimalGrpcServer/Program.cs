using DraSdk.Kubelet.Api.PluginRegistration.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;

// Serves only the plugin registration service on the Unix socket given as the first argument.
string socket = args.Length > 0 ? args[0] : throw new ArgumentException("usage: MinimalGrpcServer <socket path>");
File.Delete(socket);
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(socket, o => o.Protocols = HttpProtocols.Http2));
builder.Services.AddGrpc();
WebApplication app = builder.Build();
app.MapGrpcService<MinimalRegistration>();
await app.RunAsync();

internal sealed class MinimalRegistration : Registration.RegistrationBase
{
    public override Task<PluginInfo> GetInfo(InfoRequest request, ServerCallContext context) =>
        Task.FromResult(new PluginInfo { Type = "DRAPlugin", Name = "minimal.example.com", Endpoint = "/dev/null", SupportedVersions = { "v1.DRAPlugin" } });
}
