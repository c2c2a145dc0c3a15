using BenchmarkDotNet.Running;

// Needs the published binaries (see README.md): out/nvidia/nvidia-gpu-driver and out/minimal-grpc/MinimalGrpcServer.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
