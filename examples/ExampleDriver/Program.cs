using ExampleDriver;
using ExampleDriver.Demo;
using Microsoft.Extensions.Hosting;

// `demo`: everything in one process (in-memory API server, fake kubelet, this driver), finishes by itself.
// Otherwise: the driver as a DaemonSet runs it, against KUBECONFIG or the in-cluster API server and the kubelet's directories.
if (args is ["demo", ..])
{
    return await DemoRunner.RunAsync(args[1..], Console.Out);
}

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.AddExampleDriver();
await builder.Build().RunAsync();
return Environment.ExitCode;
