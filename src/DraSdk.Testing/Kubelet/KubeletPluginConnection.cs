using System.Runtime.CompilerServices;
using DraSdk.Kubelet.Api.PluginRegistration.V1;
using Grpc.Core;
using Grpc.Net.Client;
using k8s.Models;
using V1 = DraSdk.Kubelet.Api.Dra.V1;
using V1Beta1 = DraSdk.Kubelet.Api.Dra.V1Beta1;
using HV1 = DraSdk.Kubelet.Api.DraHealth.V1;
using HV1Alpha1 = DraSdk.Kubelet.Api.DraHealth.V1Alpha1;

namespace DraSdk.Testing;

/// <summary>A registered driver as the fake kubelet sees it: its plugin info and clients for its DRA socket.</summary>
public sealed class KubeletPluginConnection : IAsyncDisposable
{
    private readonly GrpcChannel _draChannel;

    internal KubeletPluginConnection(string registrationSocketPath, PluginInfo info, string draVersion)
    {
        RegistrationSocketPath = registrationSocketPath;
        DriverName = info.Name;
        Endpoint = info.Endpoint;
        SupportedVersions = [.. info.SupportedVersions];
        DraVersion = draVersion;
        _draChannel = UnixSocketChannel.Create(info.Endpoint);
        DraV1 = new V1.DRAPlugin.DRAPluginClient(_draChannel);
        DraV1Beta1 = new V1Beta1.DRAPlugin.DRAPluginClient(_draChannel);
        HealthV1 = new HV1.DRAResourceHealth.DRAResourceHealthClient(_draChannel);
        HealthV1Alpha1 = new HV1Alpha1.DRAResourceHealth.DRAResourceHealthClient(_draChannel);
    }

    /// <summary>The driver name from <c>GetInfo</c>.</summary>
    public string DriverName { get; }

    /// <summary>The registration socket the kubelet found.</summary>
    public string RegistrationSocketPath { get; }

    /// <summary>The DRA socket from <c>GetInfo</c>.</summary>
    public string Endpoint { get; }

    /// <summary>The versions from <c>GetInfo</c>, e.g. <c>v1.DRAPlugin</c>.</summary>
    public IReadOnlyList<string> SupportedVersions { get; }

    /// <summary>The DRA version the fake kubelet chose: <c>v1</c> or <c>v1beta1</c>.</summary>
    public string DraVersion { get; }

    /// <summary>Whether the driver advertises a health service.</summary>
    public bool OffersHealth => SupportedVersions.Any(v => v.EndsWith(".DRAResourceHealth", StringComparison.Ordinal));

    /// <summary>Calls <c>GetInfo</c> again, as the kubelet does: on a new registration connection with its authority and deadline.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="RpcException">The driver failed the call (e.g. reset the stream).</exception>
    public async Task<PluginInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        Http2GrpcClient client = await FakeKubelet.ConnectRegistrationAsync(RegistrationSocketPath, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            return await FakeKubelet.GetInfoAsync(client, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs a registration cycle that ends with <paramref name="status"/>, as the kubelet does when it registers the driver
    /// again (after a restart of its own) or refuses it: GetInfo, then NotifyRegistrationStatus, on one connection.
    /// </summary>
    /// <param name="status">What the kubelet reports.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <exception cref="RpcException">The driver answered the status with an error (it does for a refusal, as the Go helper does).</exception>
    public async Task NotifyRegistrationStatusAsync(RegistrationStatus status, CancellationToken cancellationToken = default)
    {
        Http2GrpcClient client = await FakeKubelet.ConnectRegistrationAsync(RegistrationSocketPath, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            await FakeKubelet.GetInfoAsync(client, cancellationToken).ConfigureAwait(false);
            await FakeKubelet.NotifyAsync(client, status, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The raw DRA v1 client.</summary>
    public V1.DRAPlugin.DRAPluginClient DraV1 { get; }

    /// <summary>The raw DRA v1beta1 client.</summary>
    public V1Beta1.DRAPlugin.DRAPluginClient DraV1Beta1 { get; }

    /// <summary>The raw health v1 client.</summary>
    public HV1.DRAResourceHealth.DRAResourceHealthClient HealthV1 { get; }

    /// <summary>The raw health v1alpha1 client.</summary>
    public HV1Alpha1.DRAResourceHealth.DRAResourceHealthClient HealthV1Alpha1 { get; }

    /// <summary>Asks the driver to prepare claims over DRA v1, as the kubelet does before starting a pod.</summary>
    /// <param name="claims">The claims, as stored in the API server.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<V1.NodePrepareResourcesResponse> PrepareAsync(IEnumerable<Resourcev1ResourceClaim> claims, CancellationToken cancellationToken = default)
    {
        var request = new V1.NodePrepareResourcesRequest();
        request.Claims.Add(ToWire(claims));
        return await DraV1.NodePrepareResourcesAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks the driver to unprepare claims over DRA v1, as the kubelet does after a pod stopped.</summary>
    /// <param name="claims">The claims.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<V1.NodeUnprepareResourcesResponse> UnprepareAsync(IEnumerable<Resourcev1ResourceClaim> claims, CancellationToken cancellationToken = default)
    {
        var request = new V1.NodeUnprepareResourcesRequest();
        request.Claims.Add(ToWire(claims));
        return await DraV1.NodeUnprepareResourcesAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Streams device health over <c>v1.DRAResourceHealth</c>.</summary>
    /// <param name="cancellationToken">Ends the stream.</param>
    public async IAsyncEnumerable<HV1.NodeWatchResourcesResponse> WatchHealthAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using AsyncServerStreamingCall<HV1.NodeWatchResourcesResponse> call =
            HealthV1.NodeWatchResources(new HV1.NodeWatchResourcesRequest(), cancellationToken: cancellationToken);
        await foreach (HV1.NodeWatchResourcesResponse response in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return response;
        }
    }

    /// <summary>The kubelet's claim reference for a claim object.</summary>
    /// <param name="claim">The claim.</param>
    public static V1.Claim ToWire(Resourcev1ResourceClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return new V1.Claim { Namespace = claim.Metadata.NamespaceProperty ?? string.Empty, Name = claim.Metadata.Name ?? string.Empty, Uid = claim.Metadata.Uid ?? string.Empty };
    }

    /// <summary>Closes the channels.</summary>
    public ValueTask DisposeAsync()
    {
        _draChannel.Dispose();
        return ValueTask.CompletedTask;
    }

    private static IEnumerable<V1.Claim> ToWire(IEnumerable<Resourcev1ResourceClaim> claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        return claims.Select(ToWire);
    }
}
