using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;

namespace SnnServe.Benchmarks;

/// <summary>
/// One job for every benchmark: 3 warm-up and 15 measured iterations in one process, medians and
/// allocation per operation reported, GitHub markdown exported for docs/benchmarks.md.
/// </summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15).WithLaunchCount(1));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median, RankColumn.Arabic);
        AddExporter(MarkdownExporter.GitHub);
        AddColumnProvider(DefaultColumnProviders.Instance);
        AddLogger(BenchmarkDotNet.Loggers.ConsoleLogger.Default);
        WithOption(ConfigOptions.JoinSummary, false);
    }
}
