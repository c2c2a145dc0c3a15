using Acme.DeviceDriver;
using Acme.DeviceDriver.Local;
using DraSdk.KubeletPlugin;

// `run` (the default): as the DaemonSet runs it, against KUBECONFIG or the in-cluster API server, and the kubelet's directories.
// `demo`: the driver end to end in this process (fake kubelet, in-memory API server); finishes by itself.
// `--help` lists the commands and every environment variable with its default; `--version` prints the version.
return await new DriverCommandLine("acme-devicedriver", $"the {DriverInfo.DriverName} DRA driver")
    .AddSetting(DriverInfo.DeviceCountSetting)
    .AddCommand(new DriverCommand("demo", "the driver end to end in this process (fake kubelet, in-memory API server), no cluster needed",
            (a, _) => LocalDemo.RunAsync(a.Has("--verbose"), a.Output))
        .AddFlag("--verbose", "show the driver's log"))
    .RunAsync(args, builder => builder.AddDeviceDriver());
