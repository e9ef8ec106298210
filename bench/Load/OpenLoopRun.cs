using System.Diagnostics;
using System.Runtime.CompilerServices;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Errors;

namespace SnnServe.Benchmarks.Load;

/// <summary>What one open-loop run measured.</summary>
public sealed record LoadResult(
    string Mode, double OfferedRate, double Throughput, double P50Ms, double P95Ms, double P99Ms,
    double MeanOccupancy, double RejectionRate, double RejectMedianMicroseconds, int Completed, int Rejected, double MeanTimesteps);

/// <summary>
/// An open-loop load generator: Poisson arrivals at a target rate for a fixed duration, each request
/// handed to the engine without waiting for earlier ones. Latency is measured from the request's
/// scheduled arrival (not from when the generator got round to sending it), so a slow server cannot
/// hide queueing by slowing the generator down (no coordinated omission). The generator sleeps
/// between arrivals and sends every arrival that is due when it wakes, so it does not take a core.
/// </summary>
public static class OpenLoopRun
{
    public static async Task<LoadResult> RunAsync(string mode, IInferenceEngine engine, Func<int, InferenceRequest> request,
        double rate, TimeSpan duration, int seed, Func<double>? occupancy = null)
    {
        var random = new Random(seed);
        int capacity = (int)(rate * duration.TotalSeconds * 1.2) + 64;
        var latencies = new double[capacity];
        var ok = new bool[capacity];
        var timesteps = new int[capacity];
        var rejectMicros = new List<double>();
        // Nothing of an answered request is kept but its latency and timesteps: holding the tasks (and
        // through them every InferenceResult) until the end made each gen-1 GC copy tens of MB and
        // pause every thread for milliseconds, which showed up as latency spikes and burst rejections.
        int outstanding = 1, rejected = 0, sent = 0;
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long frequency = Stopwatch.Frequency;
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(duration.TotalSeconds * frequency);
        double next = start;
        while (true)
        {
            next += -Math.Log(1 - random.NextDouble()) / rate * frequency;
            if (next >= end || sent >= capacity)
            {
                break;
            }

            long now = Stopwatch.GetTimestamp();
            if (next > now)
            {
                double waitMs = (next - now) * 1000.0 / frequency;
                if (waitMs >= 1)
                {
                    Thread.Sleep((int)waitMs);
                }
            }

            // Sent up to 1 ms early (sleep granularity) or late (busy generator): latency counts from
            // the earlier of the scheduled arrival and the actual send, so generator lag is charged
            // to the server (no coordinated omission) and early sends never show negative latency.
            long t0 = Stopwatch.GetTimestamp();
            long arrival = Math.Min((long)next, t0);
            int index = sent++;
            ValueTask<InferenceResult> call = engine.InferAsync(request(index));
            if (call.IsFaulted && IsRejection(call.AsTask().Exception))
            {
                rejectMicros.Add((Stopwatch.GetTimestamp() - t0) * 1e6 / frequency);
                rejected++;
                latencies[index] = double.NaN;
                continue;
            }

            Interlocked.Increment(ref outstanding);
            ValueTaskAwaiter<InferenceResult> awaiter = call.GetAwaiter();
            awaiter.UnsafeOnCompleted(() =>
            {
                latencies[index] = (Stopwatch.GetTimestamp() - arrival) * 1000.0 / frequency;
                try
                {
                    timesteps[index] = awaiter.GetResult().ExitTimestep;
                    ok[index] = true;
                }
                catch (SnnServeException ex) when (ex.Kind == ErrorKind.ResourceExhausted)
                {
                    Interlocked.Increment(ref rejected);
                    latencies[index] = double.NaN;
                }
                catch (Exception)
                {
                    // Failed (not rejected): neither answered nor shed.
                }

                if (Interlocked.Decrement(ref outstanding) == 0)
                {
                    drained.SetResult();
                }
            });
        }

        if (Interlocked.Decrement(ref outstanding) == 0)
        {
            drained.SetResult();
        }

        await drained.Task;
        double elapsed = (Stopwatch.GetTimestamp() - start) / (double)frequency;
        var done = Enumerable.Range(0, sent).Where(i => ok[i]).Select(i => latencies[i]).Order().ToArray();
        rejectMicros.Sort();
        return new LoadResult(mode, rate, done.Length / elapsed, Percentile(done, 0.50), Percentile(done, 0.95), Percentile(done, 0.99),
            occupancy?.Invoke() ?? 0, sent == 0 ? 0 : (double)rejected / sent,
            rejectMicros.Count == 0 ? double.NaN : rejectMicros[rejectMicros.Count / 2], done.Length, rejected,
            done.Length == 0 ? 0 : Enumerable.Range(0, sent).Where(i => ok[i]).Average(i => timesteps[i]));
    }

    private static bool IsRejection(AggregateException? error) =>
        error?.InnerException is SnnServeException { Kind: ErrorKind.ResourceExhausted };

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
