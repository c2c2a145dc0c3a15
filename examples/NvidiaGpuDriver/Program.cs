using NvidiaGpuDriver;
using NvidiaGpuDriver.Commands;

// `discover`: the ResourceSlice this node would get, without a cluster. `capture`: an nvml.json snapshot of this node.
// `demo`: everything in one process (in-memory API server, fake kubelet, this driver in replay mode).
// Otherwise (`run`): the driver as the DaemonSet runs it.
return await CommandLine.Create().RunAsync(args, builder => builder.AddNvidiaGpuDriver());
