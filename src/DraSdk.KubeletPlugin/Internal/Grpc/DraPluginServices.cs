using Grpc.Core;
using V1 = DraSdk.Kubelet.Api.Dra.V1;
using V1Beta1 = DraSdk.Kubelet.Api.Dra.V1Beta1;

namespace DraSdk.KubeletPlugin.Internal.Grpc;

/// <summary>DRA v1 (<c>k8s.io.kubelet.pkg.apis.dra.v1.DRAPlugin</c>), served by the shared handler.</summary>
internal sealed class DraV1Service(NodeRequestHandler handler) : V1.DRAPlugin.DRAPluginBase
{
    public override async Task<V1.NodePrepareResourcesResponse> NodePrepareResources(V1.NodePrepareResourcesRequest request, ServerCallContext context)
    {
        IReadOnlyDictionary<string, PrepareResult> results = await handler.PrepareAsync(
            [.. request.Claims.Select(c => new ClaimReference(c.Namespace, c.Name, c.Uid))], context.CancellationToken).ConfigureAwait(false);
        var response = new V1.NodePrepareResourcesResponse();
        foreach ((string uid, PrepareResult result) in results)
        {
            var claim = new V1.NodePrepareResourceResponse { Error = result.Error ?? string.Empty };
            foreach (PreparedDevice device in result.Devices)
            {
                var d = new V1.Device { PoolName = device.PoolName, DeviceName = device.DeviceName };
                d.RequestNames.Add(device.Requests.Select(RequestNames.BaseName));
                d.CdiDeviceIds.Add(device.CdiDeviceIds);
                if (device.ShareId is not null)
                {
                    d.ShareId = device.ShareId;
                }

                claim.Devices.Add(d);
            }

            response.Claims.Add(uid, claim);
        }

        return response;
    }

    public override async Task<V1.NodeUnprepareResourcesResponse> NodeUnprepareResources(V1.NodeUnprepareResourcesRequest request, ServerCallContext context)
    {
        IReadOnlyDictionary<string, UnprepareResult> results = await handler.UnprepareAsync(
            [.. request.Claims.Select(c => new ClaimReference(c.Namespace, c.Name, c.Uid))], context.CancellationToken).ConfigureAwait(false);
        var response = new V1.NodeUnprepareResourcesResponse();
        foreach ((string uid, UnprepareResult result) in results)
        {
            response.Claims.Add(uid, new V1.NodeUnprepareResourceResponse { Error = result.Error ?? string.Empty });
        }

        return response;
    }
}

/// <summary>DRA v1beta1 for older kubelets: the same handler; the share id does not exist in this version and is dropped.</summary>
internal sealed class DraV1Beta1Service(NodeRequestHandler handler) : V1Beta1.DRAPlugin.DRAPluginBase
{
    public override async Task<V1Beta1.NodePrepareResourcesResponse> NodePrepareResources(V1Beta1.NodePrepareResourcesRequest request, ServerCallContext context)
    {
        IReadOnlyDictionary<string, PrepareResult> results = await handler.PrepareAsync(
            [.. request.Claims.Select(c => new ClaimReference(c.Namespace, c.Name, c.Uid))], context.CancellationToken).ConfigureAwait(false);
        var response = new V1Beta1.NodePrepareResourcesResponse();
        foreach ((string uid, PrepareResult result) in results)
        {
            var claim = new V1Beta1.NodePrepareResourceResponse { Error = result.Error ?? string.Empty };
            foreach (PreparedDevice device in result.Devices)
            {
                var d = new V1Beta1.Device { PoolName = device.PoolName, DeviceName = device.DeviceName };
                d.RequestNames.Add(device.Requests.Select(RequestNames.BaseName));
                d.CdiDeviceIds.Add(device.CdiDeviceIds);
                claim.Devices.Add(d);
            }

            response.Claims.Add(uid, claim);
        }

        return response;
    }

    public override async Task<V1Beta1.NodeUnprepareResourcesResponse> NodeUnprepareResources(V1Beta1.NodeUnprepareResourcesRequest request, ServerCallContext context)
    {
        IReadOnlyDictionary<string, UnprepareResult> results = await handler.UnprepareAsync(
            [.. request.Claims.Select(c => new ClaimReference(c.Namespace, c.Name, c.Uid))], context.CancellationToken).ConfigureAwait(false);
        var response = new V1Beta1.NodeUnprepareResourcesResponse();
        foreach ((string uid, UnprepareResult result) in results)
        {
            response.Claims.Add(uid, new V1Beta1.NodeUnprepareResourceResponse { Error = result.Error ?? string.Empty });
        }

        return response;
    }
}
