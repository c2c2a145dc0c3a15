namespace ExampleDriver.Devices;

/// <summary>One fake GPU: what discovery found and what the ResourceSlice publishes.</summary>
internal sealed record FakeGpu(int Index, string Name, string Uuid, string Model, string DriverVersion, long MemoryBytes);
