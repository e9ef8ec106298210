using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(SnnServe.Benchmarks.KernelBenchmarks).Assembly).Run(args, new SnnServe.Benchmarks.BenchConfig());
