using System.Diagnostics;
using SnnServe.Runtime.Engine;

namespace SnnServe.Benchmarks.Report;

/// <summary>Per-image outcomes of one configuration over a set of images, and their summary.</summary>
public sealed class Measure
{
    public required string Name { get; init; }
    public required bool[] Correct { get; init; }
    public required int[] Timesteps { get; init; }
    public required long[] Spikes { get; init; }
    public required long[] SynapticOps { get; init; }
    public required long[] Macs { get; init; }
    public required double[] EnergyJoules { get; init; }
    public required double[] LatencySeconds { get; init; }

    public int Count => Correct.Length;
    public double Accuracy => Correct.Count(c => c) / (double)Count;
    public double MeanTimesteps => Timesteps.Average();
    public double MeanSpikes => Spikes.Average();
    public double MeanSynapticOps => SynapticOps.Average();
    public double MeanMacs => Macs.Average();
    public double MeanEnergy => EnergyJoules.Average();
    public double P50Ms => Percentile(LatencySeconds, 0.50) * 1e3;
    public double P99Ms => Percentile(LatencySeconds, 0.99) * 1e3;

    /// <summary>
    /// Runs every image once, one request at a time on this thread (the single-request latency:
    /// engine time from validation to answer, no transport), after <paramref name="warmup"/> untimed runs.
    /// </summary>
    public static Measure Run(string name, SnnInferenceEngine engine, string model, float[] images, byte[] labels, IReadOnlyList<int> indices,
        InferenceOptions options, Func<int, float[]>? perturb = null, int warmup = 20)
    {
        for (int w = 0; w < Math.Min(warmup, indices.Count); w++)
        {
            engine.Infer(Request(model, Image(images, indices[w], perturb), options));
        }

        int n = indices.Count;
        var m = new Measure
        {
            Name = name, Correct = new bool[n], Timesteps = new int[n], Spikes = new long[n], SynapticOps = new long[n],
            Macs = new long[n], EnergyJoules = new double[n], LatencySeconds = new double[n],
        };
        for (int k = 0; k < n; k++)
        {
            float[] input = Image(images, indices[k], perturb);
            long t0 = Stopwatch.GetTimestamp();
            InferenceResult r = engine.Infer(Request(model, input, options));
            m.LatencySeconds[k] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            m.Correct[k] = r.LabelIndex == labels[indices[k]];
            m.Timesteps[k] = r.ExitTimestep;
            m.Spikes[k] = r.TotalSpikes;
            m.SynapticOps[k] = r.SynapticOps;
            m.Macs[k] = r.Macs;
            m.EnergyJoules[k] = r.EnergyJoules;
        }

        return m;
    }

    public static InferenceRequest Request(string model, float[] input, InferenceOptions options) =>
        new() { Model = model, Input = input, Options = options, Protocol = "report" };

    public static float[] Image(float[] images, int index, Func<int, float[]>? perturb) =>
        perturb?.Invoke(index) ?? images.AsSpan(index * 784, 784).ToArray();

    public static double Percentile(double[] values, double p)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    /// <summary>Pearson correlation coefficient.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }

        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }
}
