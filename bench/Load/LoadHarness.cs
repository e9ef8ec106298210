using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Repository;
using SnnServe.Runtime.Scheduling;
using SnnServe.Runtime.Telemetry;
using SnnServe.TestSupport;

namespace SnnServe.Benchmarks.Load;

/// <summary>
/// <c>dotnet run -c Release --project bench -- load [--model mnist-alif] [--seconds 3] [--rates 500,1000,...] [--overload-only] [--write docs/benchmarks.md]</c>:
/// the in-process comparison of scheduling modes on a bundled model and the real test digits, then
/// the overload run (continuous at 5× its saturation rate). Prints a markdown report and, with
/// <c>--write</c>, replaces the section between <c>&lt;!-- load:MODEL:begin --&gt;</c> and <c>&lt;!-- load:MODEL:end --&gt;</c>.
/// </summary>
public static class LoadHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        string model = Option(args, "--model") ?? "mnist-alif";
        double seconds = double.Parse(Option(args, "--seconds") ?? "3", CultureInfo.InvariantCulture);
        double[] rates = (Option(args, "--rates") ?? "2000,5000,10000,15000,20000,25000,30000,40000")
            .Split(',').Select(r => double.Parse(r, CultureInfo.InvariantCulture)).ToArray();
        string? write = Option(args, "--write");
        int slots = int.Parse(Option(args, "--slots") ?? "16", CultureInfo.InvariantCulture);

        var limits = new ModelLoaderOptions { RepositoryPath = BundledData.Models, PreferCuda = false };
        using var repository = new ModelRepository(new ModelLoader(limits, NullLogger<ModelLoader>.Instance), NullLogger<ModelRepository>.Instance);
        repository.LoadModel(model);
        using var meters = new StandaloneMeterFactory();
        var metrics = new SnnServeMetrics(meters);
        var (images, _) = BundledData.TestSplit();
        int count = images.Length / 784;
        InferenceRequest Request(int i) => new() { Model = model, Input = images.AsMemory(i % count * 784, 784), Protocol = "bench" };

        var modes = new (string Name, SchedulerOptions Options)[]
        {
            ("per-request (2 workers × 1 slot)", new SchedulerOptions { Mode = SchedulingMode.PerRequest, Workers = 2 }),
            ($"static (1 worker × {slots} slots, wait 1 ms)", new SchedulerOptions { Mode = SchedulingMode.Static, Slots = slots, StaticBatchWaitMicroseconds = 1000 }),
            ($"static (2 workers × {slots / 2} slots, wait 1 ms)", new SchedulerOptions { Mode = SchedulingMode.Static, Workers = 2, Slots = slots / 2, StaticBatchWaitMicroseconds = 1000 }),
            ($"continuous (1 worker × {slots} slots)", new SchedulerOptions { Mode = SchedulingMode.Continuous, Slots = slots }),
            ($"continuous (2 workers × {slots / 2} slots)", new SchedulerOptions { Mode = SchedulingMode.Continuous, Workers = 2, Slots = slots / 2 }),
        };

        bool overloadOnly = args.Contains("--overload-only");
        if (overloadOnly && write is not null)
        {
            Console.Error.WriteLine("--overload-only measures part of the report; it cannot --write it");
            return 2;
        }

        var results = new List<LoadResult>();
        foreach (var (name, options) in overloadOnly ? [] : modes)
        {
            // Warm-up: JIT, pools, ORT.
            await Measure(name, options, 500, 0.5, 0);
            foreach (double rate in rates)
            {
                LoadResult r = await Measure(name, options, rate, seconds, 1);
                results.Add(r);
                Console.Error.WriteLine($"{name,-40} {rate,6:0}/s → {r.Throughput,7:0.0}/s p50 {r.P50Ms,6:0.00} p99 {r.P99Ms,7:0.00} ms occ {r.MeanOccupancy,5:0.00} rej {r.RejectionRate:P1}");
            }
        }

        // Overload: continuous (2 workers) at its saturation and at 5× it. The queue bound sets the
        // latency admitted requests can see: 16 queued ≈ 1 ms of work at saturation.
        int queue = int.Parse(Option(args, "--queue") ?? "16", CultureInfo.InvariantCulture);
        var bounded = new SchedulerOptions { Mode = SchedulingMode.Continuous, Workers = 2, Slots = slots / 2, QueueCapacity = queue };
        // Saturation of the bounded configuration itself: the highest offered rate it serves with
        // (almost) nothing rejected and ≥ 97% of the offered rate answered.
        double saturation = rates[0];
        await Measure("bounded warm-up", bounded, 5000, 2, 0);
        foreach (double rate in rates)
        {
            LoadResult probe = await Measure("bounded probe", bounded, rate, seconds, 4);
            Console.Error.WriteLine($"bounded {rate,6:0}/s → {probe.Throughput,7:0.0}/s p99 {probe.P99Ms,7:0.00} ms rej {probe.RejectionRate:P1}");
            if (probe.RejectionRate > 0.01 || probe.Throughput < 0.97 * rate)
            {
                break;
            }

            saturation = rate;
        }

        LoadResult atSaturation = await Measure($"continuous, queue {queue}, at saturation (≤ 1% rejected)", bounded, saturation, seconds, 2);
        LoadResult overload = await Measure($"continuous, queue {queue}, 5× saturation", bounded, saturation * 5, seconds, 3);
        Console.Error.WriteLine($"overload: p99 {atSaturation.P99Ms:0.00} → {overload.P99Ms:0.00} ms, rejections {overload.RejectionRate:P1}, median reject {overload.RejectMedianMicroseconds:0.0} µs");

        // The same with saturation read as capacity: the throughput the bounded configuration
        // delivers when offered far more than it can serve (the rejection-onset rate above sits
        // well below it, because a 16-place queue overflows on Poisson bursts long before the CPU is busy).
        LoadResult flooded = await Measure("capacity probe", bounded, rates[^1] * 2, seconds, 5);
        double capacity = Math.Round(flooded.Throughput / 100) * 100;
        LoadResult atCapacity = await Measure($"continuous, queue {queue}, at capacity", bounded, capacity, seconds, 6);
        LoadResult overCapacity = await Measure($"continuous, queue {queue}, 5× capacity", bounded, capacity * 5, seconds, 7);
        Console.Error.WriteLine($"capacity {capacity:0}/s: p99 {atCapacity.P99Ms:0.00} → {overCapacity.P99Ms:0.00} ms, rejections {overCapacity.RejectionRate:P1}, median reject {overCapacity.RejectMedianMicroseconds:0.0} µs");

        string report = Report(model, seconds, slots, queue, results, [(atSaturation, overload), (atCapacity, overCapacity)]);
        Console.WriteLine(report);
        if (write is not null)
        {
            MarkdownSections.Replace(write, $"load:{model}", report);
        }

        return 0;

        async Task<LoadResult> Measure(string name, SchedulerOptions options, double rate, double duration, int seed)
        {
            using var engine = new ScheduledInferenceEngine(repository, metrics, limits, options);
            TimestepScheduler scheduler = engine.For(model, repository.Resolve(model, null).Version);
            return await OpenLoopRun.RunAsync(name, engine, Request, rate, TimeSpan.FromSeconds(duration), seed, () => scheduler.MeanOccupancy);
        }
    }

    private static string Report(string model, double seconds, int slots, int queue, List<LoadResult> results, (LoadResult At, LoadResult Over)[] overloads)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: `dotnet run -c Release --project bench -- load --model {model} --seconds {seconds} --slots {slots} --queue {queue} --rates {string.Join(',', results.Select(r => r.OfferedRate).Distinct())}`; model `{model}`, real test digits in order, Poisson arrivals, {seconds} s per point, latency from scheduled arrival to answer, in-process (no transport). {Environment.ProcessorCount} cores; the generator shares them.");
        md.AppendLine();
        md.AppendLine("| mode | offered /s | throughput /s | p50 ms | p95 ms | p99 ms | mean occupancy | mean timesteps | rejected |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (LoadResult r in results)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Mode} | {r.OfferedRate:0} | {r.Throughput:0} | {r.P50Ms:0.00} | {r.P95Ms:0.00} | {r.P99Ms:0.00} | {r.MeanOccupancy:0.00} | {r.MeanTimesteps:0.00} | {r.RejectionRate:P1} |");
        }

        md.AppendLine();
        md.AppendLine("Highest throughput per mode with p99 under each latency budget (from the table above):");
        md.AppendLine();
        double[] budgets = [2, 5, 10, 25];
        md.AppendLine("| mode | " + string.Join(" | ", budgets.Select(b => $"p99 ≤ {b} ms")) + " |");
        md.AppendLine("|---|" + string.Concat(budgets.Select(_ => "---:|")));
        foreach (string mode in results.Select(r => r.Mode).Distinct())
        {
            md.AppendLine($"| {mode} | " + string.Join(" | ", budgets.Select(b =>
            {
                var within = results.Where(r => r.Mode == mode && r.P99Ms <= b && r.RejectionRate == 0).ToArray();
                return within.Length == 0 ? "—" : within.Max(r => r.Throughput).ToString("0", CultureInfo.InvariantCulture);
            })) + " |");
        }

        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Overload (continuous, 2 workers, queue capacity {queue}):");
        md.AppendLine();
        md.AppendLine("| load | offered /s | throughput /s | admitted p50 ms | admitted p99 ms | rejected | median rejection µs |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (LoadResult r in overloads.SelectMany(o => new[] { o.At, o.Over }))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Mode} | {r.OfferedRate:0} | {r.Throughput:0} | {r.P50Ms:0.00} | {r.P99Ms:0.00} | {r.RejectionRate:P1} | {(double.IsNaN(r.RejectMedianMicroseconds) ? "—" : r.RejectMedianMicroseconds.ToString("0.0", CultureInfo.InvariantCulture))} |");
        }

        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Admitted p99 at 5× / at saturation: **{overloads[0].Over.P99Ms / overloads[0].At.P99Ms:0.00}×** with saturation as the highest rate served with ≤ 1% rejected ({overloads[0].At.OfferedRate:0}/s); **{overloads[1].Over.P99Ms / overloads[1].At.P99Ms:0.00}×** with saturation as the configuration's capacity ({overloads[1].At.OfferedRate:0}/s, its throughput when flooded).");
        return md.ToString();
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
