using Acme.DeviceDriver;
using Acme.DeviceDriver.Local;
using Microsoft.Extensions.Hosting;

// `demo`: the driver end to end in this process (fake kubelet, in-memory API server); finishes by itself.
if (args is ["demo", ..])
{
    return await LocalDemo.RunAsync(args[1..], Console.Out);
}

// Otherwise, as the DaemonSet runs it: against KUBECONFIG or the in-cluster API server, and the kubelet's directories.
HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.AddDeviceDriver();
await builder.Build().RunAsync();
return Environment.ExitCode;
