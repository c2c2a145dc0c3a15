using DraSdk.KubeletPlugin;
using ExampleDriver;
using ExampleDriver.Demo;

// `demo`: everything in one process (in-memory API server, fake kubelet, this driver), finishes by itself.
// Otherwise (`run`): the driver as a DaemonSet runs it, against KUBECONFIG or the in-cluster API server and the kubelet's directories.
return await new DriverCommandLine("example-driver", $"the {ExampleDriverOptions.DriverName} DRA driver with fake GPUs (DraSdk example)")
    .AddSetting(ExampleDriverOptions.NumDevicesSetting)
    .AddSetting(ExampleDriverOptions.DeviceMetadataSetting)
    .AddCommand(new DriverCommand("demo", "the driver end to end in this process (API server, fake kubelet), no cluster needed",
            (a, _) => DemoRunner.RunAsync(a.Has("--verbose"), a.Output))
        .AddFlag("--verbose", "show the driver's log"))
    .RunAsync(args, builder => builder.AddExampleDriver());
