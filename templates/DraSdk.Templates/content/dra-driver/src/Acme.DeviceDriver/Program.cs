using Acme.DeviceDriver;
using Microsoft.Extensions.Hosting;

// Run by the DaemonSet: against KUBECONFIG or the in-cluster API server, and the kubelet's directories on the node.
HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.AddDeviceDriver();
await builder.Build().RunAsync();
