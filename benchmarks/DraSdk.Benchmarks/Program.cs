using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(DraSdk.Benchmarks.PreparePipelineBenchmarks).Assembly).Run(args);
