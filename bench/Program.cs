using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench -- --filter '*'      BenchmarkDotNet kernels and inferences
// dotnet run -c Release --project bench -- load [options]    scheduler modes under open-loop load (see LoadHarness)
// dotnet run -c Release --project bench -- payloads          real test digits for loadtests/ (k6, wrk, h2load)
if (args.Length > 0 && args[0] == "payloads")
{
    return SnnServe.Benchmarks.Load.PayloadWriter.Run(args[1..]);
}

// dotnet run -c Release --project bench -- report            the evidence section of docs/benchmarks.md and docs/plots
if (args.Length > 0 && args[0] == "report")
{
    return SnnServe.Benchmarks.Report.ReportCommand.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "load")
{
    return await SnnServe.Benchmarks.Load.LoadHarness.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(SnnServe.Benchmarks.KernelBenchmarks).Assembly).Run(args, new SnnServe.Benchmarks.BenchConfig());
return 0;
