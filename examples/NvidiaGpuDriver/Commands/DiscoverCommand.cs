using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DraSdk.KubeletPlugin;
using k8s;
using k8s.Models;
using NvidiaGpuDriver.Discovery;
using NvidiaGpuDriver.Nvml;

namespace NvidiaGpuDriver.Commands;

/// <summary>
/// <c>discover</c>: what the driver would publish on this node, from DEVICE_SOURCE, without a cluster or kubelet.
/// <c>-o nvidia-smi</c> prints the CSV of <c>nvidia-smi --query-gpu=index,uuid,name,memory.total,pci.bus_id,driver_version,compute_cap,mig.mode.current --format=csv</c>
/// from the same answers, to compare on a GPU machine.
/// </summary>
internal static class DiscoverCommand
{
    public const string NvidiaSmiQuery = "index,uuid,name,memory.total,pci.bus_id,driver_version,compute_cap,mig.mode.current";

    public static int Run(DriverCommandArguments args)
    {
        string format = args.Get("--output", "yaml")!;
        TextWriter output = args.Output;
        TextWriter error = args.Error;
        try
        {
            NvidiaDriverOptions options = CommandLine.Options(args);
            using IGpuDeviceSource source = CommandLine.Source(options);
            NvmlSnapshot snapshot = source.Read();
            DiscoveryResult result = DeviceDiscovery.Discover(snapshot, options.SysfsRoot);
            foreach (string problem in result.Problems)
            {
                error.WriteLine($"warning: {problem}");
            }

            output.Write(format switch
            {
                "json" => Json(Slice(options.NodeName, result.Devices)),
                "nvidia-smi" => NvidiaSmiCsv(snapshot),
                _ => KubernetesYaml.Serialize(Slice(options.NodeName, result.Devices)) + "\n",
            });
            return 0;
        }
        catch (Exception ex) when (ex is NvmlException or SnapshotFormatException or InvalidOperationException)
        {
            error.WriteLine($"discover: {ex.Message}");
            return 1;
        }
    }

    /// <summary>The ResourceSlice as the driver would create it (the API server fills in the name and owner).</summary>
    public static V1ResourceSlice Slice(string nodeName, IEnumerable<AllocatableDevice> devices) => new()
    {
        ApiVersion = "resource.k8s.io/v1",
        Kind = "ResourceSlice",
        Metadata = new V1ObjectMeta { GenerateName = $"{nodeName}-gpu.nvidia.com-" },
        Spec = new V1ResourceSliceSpec
        {
            Driver = NvidiaDriverOptions.DriverName,
            NodeName = nodeName,
            Pool = new V1ResourcePool { Name = nodeName, Generation = 1, ResourceSliceCount = 1 },
            Devices = [.. devices.Select(d => d.ToV1Device())],
        },
    };

    public static string Json(V1ResourceSlice slice) =>
        JsonNode.Parse(KubernetesJson.Serialize(slice))!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    /// <summary>The same CSV nvidia-smi prints for <see cref="NvidiaSmiQuery"/>, from NVML's answers, plus the versions header line.</summary>
    public static string NvidiaSmiCsv(NvmlSnapshot snapshot)
    {
        var text = new StringBuilder();
        int cuda = snapshot.CudaDriverVersion.HasValue ? snapshot.CudaDriverVersion.Value : 0;
        text.Append(CultureInfo.InvariantCulture, $"# Driver Version: {snapshot.DriverVersion.Describe()}  CUDA Version: {cuda / 1000}.{cuda % 1000 / 10}\n");
        text.Append("index, uuid, name, memory.total [MiB], pci.bus_id, driver_version, compute_cap, mig.mode.current\n");
        foreach (GpuRecord gpu in snapshot.Devices)
        {
            string memory = gpu.MemoryTotal.HasValue ? string.Create(CultureInfo.InvariantCulture, $"{gpu.MemoryTotal.Value / (1024 * 1024)} MiB") : "[N/A]";
            string cc = gpu.ComputeCapability.HasValue ? string.Create(CultureInfo.InvariantCulture, $"{gpu.ComputeCapability.Value.First}.{gpu.ComputeCapability.Value.Second}") : "[N/A]";
            string mig = gpu.MigMode.HasValue ? (gpu.MigMode.Value.First == 1 ? "Enabled" : "Disabled") : "[N/A]";
            text.Append(CultureInfo.InvariantCulture,
                $"{gpu.Index.Describe()}, {gpu.Uuid.Describe()}, {gpu.Name.Describe()}, {memory}, {gpu.PciBusId.Describe()}, {snapshot.DriverVersion.Describe()}, {cc}, {mig}\n");
        }

        return text.ToString();
    }
}
