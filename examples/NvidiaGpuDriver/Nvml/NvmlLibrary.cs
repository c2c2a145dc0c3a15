using System.Runtime.InteropServices;
using System.Text;

namespace NvidiaGpuDriver.Nvml;

/// <summary>NVML could not be used (library or symbol missing, initialization refused) or refused a call.</summary>
internal sealed class NvmlException : Exception
{
    public NvmlException()
    {
    }

    public NvmlException(string message)
        : base(message)
    {
    }

    public NvmlException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public NvmlException(string message, int code)
        : base(message) => Code = code;

    /// <summary>NVML's return code, when NVML answered.</summary>
    public int? Code { get; }
}

/// <summary>NVML return codes (nvmlReturn_t) as the snapshots name them (pynvml's <c>NVMLError_*</c>).</summary>
internal static class NvmlReturn
{
    public const int Success = 0;
    public const int NotSupported = 3;
    public const int NotFound = 6;
    public const int InsufficientSize = 7;
    public const int Timeout = 10;
    public const int FunctionNotFound = 13;
    public const int GpuIsLost = 15;

    private static readonly string[] Names =
    [
        "Success", "Uninitialized", "InvalidArgument", "NotSupported", "NoPermission", "AlreadyInitialized", "NotFound",
        "InsufficientSize", "InsufficientPower", "DriverNotLoaded", "Timeout", "IrqIssue", "LibraryNotFound",
        "FunctionNotFound", "CorruptedInforom", "GpuIsLost", "ResetRequired", "OperatingSystem", "LibRmVersionMismatch",
        "InUse", "Memory", "NoData", "VgpuEccNotSupported", "InsufficientResources", "FreqNotSupported",
        "ArgumentVersionMismatch", "Deprecated", "NotReady", "GpuNotFound", "InvalidState",
    ];

    public static string Name(int code) => "NVMLError_" + (code >= 0 && code < Names.Length ? Names[code] : code == 999 ? "Unknown" : $"Code{code}");
}

[StructLayout(LayoutKind.Sequential)]
internal struct NvmlMemory
{
    public ulong Total;
    public ulong Free;
    public ulong Used;
}

/// <summary>nvmlPciInfo_t (v3): 68 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NvmlPciInfo
{
    public fixed byte BusIdLegacy[16];
    public uint Domain;
    public uint Bus;
    public uint Device;
    public uint PciDeviceId;
    public uint PciSubSystemId;
    public fixed byte BusId[32];
}

/// <summary>nvmlDeviceAttributes_t.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NvmlDeviceAttributes
{
    public uint MultiprocessorCount;
    public uint SharedCopyEngineCount;
    public uint SharedDecoderCount;
    public uint SharedEncoderCount;
    public uint SharedJpegCount;
    public uint SharedOfaCount;
    public uint GpuInstanceSliceCount;
    public uint ComputeInstanceSliceCount;
    public ulong MemorySizeMB;
}

/// <summary>nvmlGpuInstanceProfileInfo_t.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NvmlGpuInstanceProfileInfo
{
    public uint Id;
    public uint IsP2pSupported;
    public uint SliceCount;
    public uint InstanceCount;
    public uint MultiprocessorCount;
    public uint CopyEngineCount;
    public uint DecoderCount;
    public uint EncoderCount;
    public uint JpegCount;
    public uint OfaCount;
    public ulong MemorySizeMB;
}

/// <summary>nvmlGpuInstanceInfo_t.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NvmlGpuInstanceInfo
{
    public nint Device;
    public uint Id;
    public uint ProfileId;
    public uint PlacementStart;
    public uint PlacementSize;
}

/// <summary>nvmlComputeInstanceInfo_t.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NvmlComputeInstanceInfo
{
    public nint Device;
    public nint GpuInstance;
    public uint Id;
    public uint ProfileId;
    public uint PlacementStart;
    public uint PlacementSize;
}

/// <summary>nvmlEventData_t.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NvmlEventData
{
    public nint Device;
    public ulong EventType;
    public ulong EventData;
    public uint GpuInstanceId;
    public uint ComputeInstanceId;
}

/// <summary>
/// libnvidia-ml.so.1, loaded at run time from under the driver root and bound export by export, so a missing library
/// or symbol is one clear error rather than a crash, and the driver needs no native build step.
/// </summary>
internal sealed unsafe class NvmlLibrary : IDisposable
{
    public const ulong EventTypeSingleBitEccError = 0x1;
    public const ulong EventTypeDoubleBitEccError = 0x2;
    public const ulong EventTypeXidCriticalError = 0x8;

    /// <summary>Where the library is looked for under the driver root, in order, before the loader's own search.</summary>
    public static readonly string[] LibraryDirectories = ["usr/lib/x86_64-linux-gnu", "usr/lib64", "usr/local/nvidia/lib64", "usr/lib", "usr/lib/aarch64-linux-gnu", "lib64", "lib"];

    public const string LibraryName = "libnvidia-ml.so.1";

    private readonly nint _handle;
    private bool _initialized;

    private readonly delegate* unmanaged<int> _init;
    private readonly delegate* unmanaged<int> _shutdown;
    private readonly delegate* unmanaged<int, byte*> _errorString;
    private readonly delegate* unmanaged<byte*, uint, int> _systemGetDriverVersion;
    private readonly delegate* unmanaged<byte*, uint, int> _systemGetNvmlVersion;
    private readonly delegate* unmanaged<int*, int> _systemGetCudaDriverVersion;
    private readonly delegate* unmanaged<uint*, int> _deviceGetCount;
    private readonly delegate* unmanaged<uint, nint*, int> _deviceGetHandleByIndex;
    private readonly delegate* unmanaged<nint, byte*, uint, int> _deviceGetName;
    private readonly delegate* unmanaged<nint, byte*, uint, int> _deviceGetUuid;
    private readonly delegate* unmanaged<nint, byte*, uint, int> _deviceGetSerial;
    private readonly delegate* unmanaged<nint, byte*, uint, int> _deviceGetBoardPartNumber;
    private readonly delegate* unmanaged<nint, byte*, uint, int> _deviceGetVbiosVersion;
    private readonly delegate* unmanaged<nint, uint*, int> _deviceGetMinorNumber;
    private readonly delegate* unmanaged<nint, int*, int> _deviceGetBrand;
    private readonly delegate* unmanaged<nint, uint*, int> _deviceGetArchitecture;
    private readonly delegate* unmanaged<nint, int*, int*, int> _deviceGetCudaComputeCapability;
    private readonly delegate* unmanaged<nint, NvmlMemory*, int> _deviceGetMemoryInfo;
    private readonly delegate* unmanaged<nint, NvmlPciInfo*, int> _deviceGetPciInfo;
    private readonly delegate* unmanaged<nint, uint*, uint*, int> _deviceGetMigMode;
    private readonly delegate* unmanaged<nint, uint*, int> _deviceGetMaxMigDeviceCount;
    private readonly delegate* unmanaged<nint, uint, nint*, int> _deviceGetMigDeviceHandleByIndex;
    private readonly delegate* unmanaged<nint, uint*, int> _deviceGetGpuInstanceId;
    private readonly delegate* unmanaged<nint, uint*, int> _deviceGetComputeInstanceId;
    private readonly delegate* unmanaged<nint, NvmlDeviceAttributes*, int> _deviceGetAttributes;
    private readonly delegate* unmanaged<nint, uint, NvmlGpuInstanceProfileInfo*, int> _deviceGetGpuInstanceProfileInfo;
    private readonly delegate* unmanaged<nint, uint, nint*, int> _deviceGetGpuInstanceById;
    private readonly delegate* unmanaged<nint, NvmlGpuInstanceInfo*, int> _gpuInstanceGetInfo;
    private readonly delegate* unmanaged<nint, uint, nint*, int> _gpuInstanceGetComputeInstanceById;
    private readonly delegate* unmanaged<nint, NvmlComputeInstanceInfo*, int> _computeInstanceGetInfo;
    private readonly delegate* unmanaged<nint, uint*, int> _deviceGetPowerManagementLimit;
    private readonly delegate* unmanaged<nint, int*, int> _deviceGetComputeMode;
    private readonly delegate* unmanaged<nint, int*, int> _deviceGetPersistenceMode;
    private readonly delegate* unmanaged<nint, uint*, int> _deviceGetNumaNodeId;
    private readonly delegate* unmanaged<nint, uint, int*, int> _deviceGetNvLinkState;
    private readonly delegate* unmanaged<nint*, int> _eventSetCreate;
    private readonly delegate* unmanaged<nint, ulong, nint, int> _deviceRegisterEvents;
    private readonly delegate* unmanaged<nint, ulong*, int> _deviceGetSupportedEventTypes;
    private readonly delegate* unmanaged<nint, NvmlEventData*, uint, int> _eventSetWait;
    private readonly delegate* unmanaged<nint, int> _eventSetFree;

    private NvmlLibrary(nint handle, string path)
    {
        _handle = handle;
        Path = path;
        _init = (delegate* unmanaged<int>)Required("nvmlInit_v2");
        _shutdown = (delegate* unmanaged<int>)Required("nvmlShutdown");
        _errorString = (delegate* unmanaged<int, byte*>)Required("nvmlErrorString");
        _systemGetDriverVersion = (delegate* unmanaged<byte*, uint, int>)Required("nvmlSystemGetDriverVersion");
        _systemGetNvmlVersion = (delegate* unmanaged<byte*, uint, int>)Optional("nvmlSystemGetNVMLVersion");
        _systemGetCudaDriverVersion = (delegate* unmanaged<int*, int>)Required("nvmlSystemGetCudaDriverVersion_v2");
        _deviceGetCount = (delegate* unmanaged<uint*, int>)Required("nvmlDeviceGetCount_v2");
        _deviceGetHandleByIndex = (delegate* unmanaged<uint, nint*, int>)Required("nvmlDeviceGetHandleByIndex_v2");
        _deviceGetName = (delegate* unmanaged<nint, byte*, uint, int>)Required("nvmlDeviceGetName");
        _deviceGetUuid = (delegate* unmanaged<nint, byte*, uint, int>)Required("nvmlDeviceGetUUID");
        _deviceGetSerial = (delegate* unmanaged<nint, byte*, uint, int>)Optional("nvmlDeviceGetSerial");
        _deviceGetBoardPartNumber = (delegate* unmanaged<nint, byte*, uint, int>)Optional("nvmlDeviceGetBoardPartNumber");
        _deviceGetVbiosVersion = (delegate* unmanaged<nint, byte*, uint, int>)Optional("nvmlDeviceGetVbiosVersion");
        _deviceGetMinorNumber = (delegate* unmanaged<nint, uint*, int>)Required("nvmlDeviceGetMinorNumber");
        _deviceGetBrand = (delegate* unmanaged<nint, int*, int>)Required("nvmlDeviceGetBrand");
        _deviceGetArchitecture = (delegate* unmanaged<nint, uint*, int>)Optional("nvmlDeviceGetArchitecture");
        _deviceGetCudaComputeCapability = (delegate* unmanaged<nint, int*, int*, int>)Required("nvmlDeviceGetCudaComputeCapability");
        _deviceGetMemoryInfo = (delegate* unmanaged<nint, NvmlMemory*, int>)Required("nvmlDeviceGetMemoryInfo");
        _deviceGetPciInfo = (delegate* unmanaged<nint, NvmlPciInfo*, int>)Required("nvmlDeviceGetPciInfo_v3");
        _deviceGetMigMode = (delegate* unmanaged<nint, uint*, uint*, int>)Optional("nvmlDeviceGetMigMode");
        _deviceGetMaxMigDeviceCount = (delegate* unmanaged<nint, uint*, int>)Optional("nvmlDeviceGetMaxMigDeviceCount");
        _deviceGetMigDeviceHandleByIndex = (delegate* unmanaged<nint, uint, nint*, int>)Optional("nvmlDeviceGetMigDeviceHandleByIndex");
        _deviceGetGpuInstanceId = (delegate* unmanaged<nint, uint*, int>)Optional("nvmlDeviceGetGpuInstanceId");
        _deviceGetComputeInstanceId = (delegate* unmanaged<nint, uint*, int>)Optional("nvmlDeviceGetComputeInstanceId");
        _deviceGetAttributes = (delegate* unmanaged<nint, NvmlDeviceAttributes*, int>)Optional("nvmlDeviceGetAttributes_v2");
        _deviceGetGpuInstanceProfileInfo = (delegate* unmanaged<nint, uint, NvmlGpuInstanceProfileInfo*, int>)Optional("nvmlDeviceGetGpuInstanceProfileInfo");
        _deviceGetGpuInstanceById = (delegate* unmanaged<nint, uint, nint*, int>)Optional("nvmlDeviceGetGpuInstanceById");
        _gpuInstanceGetInfo = (delegate* unmanaged<nint, NvmlGpuInstanceInfo*, int>)Optional("nvmlGpuInstanceGetInfo");
        _gpuInstanceGetComputeInstanceById = (delegate* unmanaged<nint, uint, nint*, int>)Optional("nvmlGpuInstanceGetComputeInstanceById");
        _computeInstanceGetInfo = (delegate* unmanaged<nint, NvmlComputeInstanceInfo*, int>)Optional("nvmlComputeInstanceGetInfo_v2");
        _deviceGetPowerManagementLimit = (delegate* unmanaged<nint, uint*, int>)Optional("nvmlDeviceGetPowerManagementLimit");
        _deviceGetComputeMode = (delegate* unmanaged<nint, int*, int>)Optional("nvmlDeviceGetComputeMode");
        _deviceGetPersistenceMode = (delegate* unmanaged<nint, int*, int>)Optional("nvmlDeviceGetPersistenceMode");
        _deviceGetNumaNodeId = (delegate* unmanaged<nint, uint*, int>)Optional("nvmlDeviceGetNumaNodeId");
        _deviceGetNvLinkState = (delegate* unmanaged<nint, uint, int*, int>)Optional("nvmlDeviceGetNvLinkState");
        _eventSetCreate = (delegate* unmanaged<nint*, int>)Optional("nvmlEventSetCreate");
        _deviceRegisterEvents = (delegate* unmanaged<nint, ulong, nint, int>)Optional("nvmlDeviceRegisterEvents");
        _deviceGetSupportedEventTypes = (delegate* unmanaged<nint, ulong*, int>)Optional("nvmlDeviceGetSupportedEventTypes");
        _eventSetWait = (delegate* unmanaged<nint, NvmlEventData*, uint, int>)Optional("nvmlEventSetWait_v2");
        _eventSetFree = (delegate* unmanaged<nint, int>)Optional("nvmlEventSetFree");
    }

    /// <summary>The file that was loaded (or the bare name, when the loader's search found it).</summary>
    public string Path { get; }

    public bool SupportsEvents => _eventSetCreate != null && _deviceRegisterEvents != null && _eventSetWait != null && _eventSetFree != null;

    /// <summary>The places <see cref="Open"/> tries, in order: the library directories under the driver root, then the bare name.</summary>
    public static IReadOnlyList<string> Candidates(string driverRoot) =>
        [.. LibraryDirectories.Select(d => System.IO.Path.Combine(driverRoot, d, LibraryName)), LibraryName];

    /// <summary>Loads libnvidia-ml.so.1 from under <paramref name="driverRoot"/> and initializes NVML.</summary>
    /// <exception cref="NvmlException">The library, one of its required functions, or NVML's initialization is missing.</exception>
    public static NvmlLibrary Open(string driverRoot)
    {
        IReadOnlyList<string> candidates = Candidates(driverRoot);
        foreach (string candidate in candidates)
        {
            bool bare = candidate == LibraryName;
            if (!bare && !File.Exists(candidate))
            {
                continue;
            }

            if (NativeLibrary.TryLoad(candidate, out nint handle))
            {
                NvmlLibrary library;
                try
                {
                    library = new NvmlLibrary(handle, candidate);
                }
                catch
                {
                    NativeLibrary.Free(handle);
                    throw;
                }

                library.Initialize();
                return library;
            }
        }

        throw new NvmlException($"NVML is not available: {LibraryName} was not found or could not be loaded (tried {string.Join(", ", candidates)}). Is the NVIDIA driver installed, and is NVIDIA_DRIVER_ROOT ('{driverRoot}') where it lives?");
    }

    public void Dispose()
    {
        if (_initialized)
        {
            _initialized = false;
            _ = _shutdown();
        }

        NativeLibrary.Free(_handle);
    }

    public string ErrorString(int code)
    {
        byte* text = _errorString(code);
        return text == null ? string.Empty : Marshal.PtrToStringUTF8((nint)text) ?? string.Empty;
    }

    /// <summary>The snapshot form of a failed call: <c>NVMLError_NotSupported:Not Supported</c>.</summary>
    public string Describe(int code) => $"{NvmlReturn.Name(code)}:{ErrorString(code)}";

    public Answer<string> DriverVersion() => String((b, n) => _systemGetDriverVersion(b, n), 96);

    public Answer<string> NvmlVersion() => _systemGetNvmlVersion == null ? Missing<string>("nvmlSystemGetNVMLVersion") : String((b, n) => _systemGetNvmlVersion(b, n), 96);

    public Answer<int> CudaDriverVersion()
    {
        int v;
        return Check(_systemGetCudaDriverVersion(&v), v);
    }

    public Answer<int> DeviceCount()
    {
        uint count;
        return Check(_deviceGetCount(&count), (int)count);
    }

    public Answer<nint> DeviceHandle(int index)
    {
        nint handle;
        return Check(_deviceGetHandleByIndex((uint)index, &handle), handle);
    }

    public Answer<string> Name(nint device) => String((b, n) => _deviceGetName(device, b, n), 256);

    public Answer<string> Uuid(nint device) => String((b, n) => _deviceGetUuid(device, b, n), 96);

    public Answer<string> Serial(nint device) => _deviceGetSerial == null ? Missing<string>("nvmlDeviceGetSerial") : String((b, n) => _deviceGetSerial(device, b, n), 64);

    public Answer<string> BoardPartNumber(nint device) => _deviceGetBoardPartNumber == null ? Missing<string>("nvmlDeviceGetBoardPartNumber") : String((b, n) => _deviceGetBoardPartNumber(device, b, n), 80);

    public Answer<string> VbiosVersion(nint device) => _deviceGetVbiosVersion == null ? Missing<string>("nvmlDeviceGetVbiosVersion") : String((b, n) => _deviceGetVbiosVersion(device, b, n), 32);

    public Answer<int> MinorNumber(nint device)
    {
        uint v;
        return Check(_deviceGetMinorNumber(device, &v), (int)v);
    }

    public Answer<int> Brand(nint device)
    {
        int v;
        return Check(_deviceGetBrand(device, &v), v);
    }

    public Answer<int> Architecture(nint device)
    {
        if (_deviceGetArchitecture == null)
        {
            return Missing<int>("nvmlDeviceGetArchitecture");
        }

        uint v;
        return Check(_deviceGetArchitecture(device, &v), (int)v);
    }

    public Answer<(int Major, int Minor)> ComputeCapability(nint device)
    {
        int major, minor;
        return Check(_deviceGetCudaComputeCapability(device, &major, &minor), (major, minor));
    }

    public Answer<NvmlMemory> Memory(nint device)
    {
        NvmlMemory m;
        return Check(_deviceGetMemoryInfo(device, &m), m);
    }

    public Answer<(string BusId, string BusIdLegacy, uint DeviceId, uint SubSystemId)> PciInfo(nint device)
    {
        NvmlPciInfo info;
        int rc = _deviceGetPciInfo(device, &info);
        if (rc != NvmlReturn.Success)
        {
            return Answer<(string, string, uint, uint)>.Failed(Describe(rc));
        }

        string busId = CString(info.BusId, 32);
        string legacy = CString(info.BusIdLegacy, 16);
        return Answer<(string, string, uint, uint)>.Of((busId, legacy, info.PciDeviceId, info.PciSubSystemId));
    }

    public Answer<(int Current, int Pending)> MigMode(nint device)
    {
        if (_deviceGetMigMode == null)
        {
            return Missing<(int, int)>("nvmlDeviceGetMigMode");
        }

        uint current, pending;
        return Check(_deviceGetMigMode(device, &current, &pending), ((int)current, (int)pending));
    }

    public Answer<int> MaxMigDeviceCount(nint device)
    {
        if (_deviceGetMaxMigDeviceCount == null)
        {
            return Missing<int>("nvmlDeviceGetMaxMigDeviceCount");
        }

        uint v;
        return Check(_deviceGetMaxMigDeviceCount(device, &v), (int)v);
    }

    public Answer<nint> MigDeviceHandle(nint device, int index)
    {
        if (_deviceGetMigDeviceHandleByIndex == null)
        {
            return Missing<nint>("nvmlDeviceGetMigDeviceHandleByIndex");
        }

        nint mig;
        return Check(_deviceGetMigDeviceHandleByIndex(device, (uint)index, &mig), mig);
    }

    public Answer<int> GpuInstanceId(nint migDevice)
    {
        if (_deviceGetGpuInstanceId == null)
        {
            return Missing<int>("nvmlDeviceGetGpuInstanceId");
        }

        uint v;
        return Check(_deviceGetGpuInstanceId(migDevice, &v), (int)v);
    }

    public Answer<int> ComputeInstanceId(nint migDevice)
    {
        if (_deviceGetComputeInstanceId == null)
        {
            return Missing<int>("nvmlDeviceGetComputeInstanceId");
        }

        uint v;
        return Check(_deviceGetComputeInstanceId(migDevice, &v), (int)v);
    }

    public Answer<NvmlDeviceAttributes> Attributes(nint device)
    {
        if (_deviceGetAttributes == null)
        {
            return Missing<NvmlDeviceAttributes>("nvmlDeviceGetAttributes_v2");
        }

        NvmlDeviceAttributes a;
        return Check(_deviceGetAttributes(device, &a), a);
    }

    public Answer<NvmlGpuInstanceProfileInfo> GpuInstanceProfileInfo(nint device, int profile)
    {
        if (_deviceGetGpuInstanceProfileInfo == null)
        {
            return Missing<NvmlGpuInstanceProfileInfo>("nvmlDeviceGetGpuInstanceProfileInfo");
        }

        NvmlGpuInstanceProfileInfo info;
        return Check(_deviceGetGpuInstanceProfileInfo(device, (uint)profile, &info), info);
    }

    public Answer<NvmlGpuInstanceInfo> GpuInstanceInfo(nint device, int gpuInstanceId)
    {
        if (_deviceGetGpuInstanceById == null || _gpuInstanceGetInfo == null)
        {
            return Missing<NvmlGpuInstanceInfo>("nvmlDeviceGetGpuInstanceById");
        }

        nint gi;
        int rc = _deviceGetGpuInstanceById(device, (uint)gpuInstanceId, &gi);
        if (rc != NvmlReturn.Success)
        {
            return Answer<NvmlGpuInstanceInfo>.Failed(Describe(rc));
        }

        NvmlGpuInstanceInfo info;
        return Check(_gpuInstanceGetInfo(gi, &info), info);
    }

    public Answer<NvmlComputeInstanceInfo> ComputeInstanceInfo(nint device, int gpuInstanceId, int computeInstanceId)
    {
        if (_deviceGetGpuInstanceById == null || _gpuInstanceGetComputeInstanceById == null || _computeInstanceGetInfo == null)
        {
            return Missing<NvmlComputeInstanceInfo>("nvmlGpuInstanceGetComputeInstanceById");
        }

        nint gi, ci;
        int rc = _deviceGetGpuInstanceById(device, (uint)gpuInstanceId, &gi);
        if (rc == NvmlReturn.Success)
        {
            rc = _gpuInstanceGetComputeInstanceById(gi, (uint)computeInstanceId, &ci);
            if (rc == NvmlReturn.Success)
            {
                NvmlComputeInstanceInfo info;
                return Check(_computeInstanceGetInfo(ci, &info), info);
            }
        }

        return Answer<NvmlComputeInstanceInfo>.Failed(Describe(rc));
    }

    public Answer<long> PowerLimit(nint device)
    {
        if (_deviceGetPowerManagementLimit == null)
        {
            return Missing<long>("nvmlDeviceGetPowerManagementLimit");
        }

        uint v;
        return Check(_deviceGetPowerManagementLimit(device, &v), (long)v);
    }

    public Answer<int> ComputeMode(nint device)
    {
        if (_deviceGetComputeMode == null)
        {
            return Missing<int>("nvmlDeviceGetComputeMode");
        }

        int v;
        return Check(_deviceGetComputeMode(device, &v), v);
    }

    public Answer<int> PersistenceMode(nint device)
    {
        if (_deviceGetPersistenceMode == null)
        {
            return Missing<int>("nvmlDeviceGetPersistenceMode");
        }

        int v;
        return Check(_deviceGetPersistenceMode(device, &v), v);
    }

    public Answer<int> NumaNode(nint device)
    {
        if (_deviceGetNumaNodeId == null)
        {
            return Missing<int>("nvmlDeviceGetNumaNodeId");
        }

        uint v;
        return Check(_deviceGetNumaNodeId(device, &v), (int)v);
    }

    /// <summary>NvLink states of links 0..17 until the first link NVML says does not exist.</summary>
    public Answer<IReadOnlyList<(int Link, int State)>> NvLinks(nint device)
    {
        if (_deviceGetNvLinkState == null)
        {
            return Missing<IReadOnlyList<(int, int)>>("nvmlDeviceGetNvLinkState");
        }

        var links = new List<(int, int)>();
        for (int link = 0; link < 18; link++)
        {
            int active;
            int rc = _deviceGetNvLinkState(device, (uint)link, &active);
            if (rc != NvmlReturn.Success)
            {
                break; // NotSupported / InvalidArgument: no such link
            }

            links.Add((link, active));
        }

        return Answer<IReadOnlyList<(int, int)>>.Of(links);
    }

    public Answer<ulong> SupportedEventTypes(nint device)
    {
        if (_deviceGetSupportedEventTypes == null)
        {
            return Missing<ulong>("nvmlDeviceGetSupportedEventTypes");
        }

        ulong v;
        return Check(_deviceGetSupportedEventTypes(device, &v), v);
    }

    public Answer<nint> EventSetCreate()
    {
        if (!SupportsEvents)
        {
            return Missing<nint>("nvmlEventSetCreate");
        }

        nint set;
        return Check(_eventSetCreate(&set), set);
    }

    public int RegisterEvents(nint device, ulong types, nint set) => _deviceRegisterEvents(device, types, set);

    /// <summary>Waits for an event; returns NVML's code (Timeout when none came).</summary>
    public int WaitForEvent(nint set, uint timeoutMs, out NvmlEventData data)
    {
        NvmlEventData d;
        int rc = _eventSetWait(set, &d, timeoutMs);
        data = d;
        return rc;
    }

    public void EventSetFree(nint set) => _ = _eventSetFree(set);

    private void Initialize()
    {
        int rc = _init();
        if (rc != NvmlReturn.Success)
        {
            NativeLibrary.Free(_handle);
            throw new NvmlException($"NVML ({Path}) failed to initialize: {Describe(rc)}", rc);
        }

        _initialized = true;
    }

    private nint Required(string name) => NativeLibrary.TryGetExport(_handle, name, out nint address)
        ? address
        : throw new NvmlException($"{Path} has no function {name}: the NVIDIA driver is too old for this driver (or the file is not NVML)");

    private nint Optional(string name) => NativeLibrary.TryGetExport(_handle, name, out nint address) ? address : 0;

    private static Answer<T> Missing<T>(string function) => Answer<T>.Failed($"{NvmlReturn.Name(NvmlReturn.FunctionNotFound)}:{function} not found in this NVML");

    private Answer<T> Check<T>(int rc, T value) => rc == NvmlReturn.Success ? Answer<T>.Of(value) : Answer<T>.Failed(Describe(rc));

    private delegate int StringCall(byte* buffer, uint length);

    private Answer<string> String(StringCall call, int size)
    {
        byte* buffer = stackalloc byte[size];
        int rc = call(buffer, (uint)size);
        return rc == NvmlReturn.Success ? Answer<string>.Of(CString(buffer, size)) : Answer<string>.Failed(Describe(rc));
    }

    private static string CString(byte* buffer, int size)
    {
        int length = new ReadOnlySpan<byte>(buffer, size).IndexOf((byte)0);
        return Encoding.UTF8.GetString(buffer, length < 0 ? size : length);
    }
}
