using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Exit;
using SnnServe.Runtime.Repository;
using SnnServe.Runtime.Telemetry;
using SnnServe.Training.Data;

namespace SnnServe.Training;

/// <summary>
/// Evaluates an exported model through the <b>runtime</b> (the serving path, not TorchSharp):
/// every image runs to T_max, the probabilities of every timestep are kept, and the exit of any
/// max-probability threshold is then read off: the first t with max p ≥ τ, else T_max.
/// </summary>
public sealed class Evaluation : IDisposable
{
    /// <summary>Thresholds swept for calibration and reports.</summary>
    public static readonly float[] Thresholds = [0.5f, 0.6f, 0.7f, 0.8f, 0.85f, 0.9f, 0.95f, 0.97f, 0.99f, 0.995f, 0.999f];

    private readonly StandaloneMeterFactory _meters = new();
    private readonly ModelRepository _repository;
    private readonly SnnInferenceEngine _engine;
    private readonly LoadedModel _model;

    /// <summary>Loads <c>&lt;repository&gt;/&lt;name&gt;/&lt;version&gt;</c> with the runtime.</summary>
    public Evaluation(string versionFolder)
    {
        string full = Path.GetFullPath(versionFolder);
        string name = Path.GetFileName(Path.GetDirectoryName(full))!;
        string root = Path.GetDirectoryName(Path.GetDirectoryName(full))!;
        var options = new ModelLoaderOptions { RepositoryPath = root, PreferCuda = false };
        _repository = new ModelRepository(new ModelLoader(options, NullLogger<ModelLoader>.Instance), NullLogger<ModelRepository>.Instance);
        ModelLoadReport report = _repository.LoadModel(name);
        if (report.Failures.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", report.Failures.Select(f => f.Error)));
        }

        long version = long.Parse(Path.GetFileName(full), CultureInfo.InvariantCulture);
        _model = _repository.Resolve(name, version);
        _engine = new SnnInferenceEngine(_repository, new SnnServeMetrics(_meters), options);
    }

    private readonly List<(long Spikes, long SynapticOps, double Energy)> _fullRunCosts = [];

    public LoadedModel Model => _model;

    /// <summary>Mean spikes, synaptic ops and energy per image of the runs to T_max made by <see cref="Trace"/>.</summary>
    public (double Spikes, double SynapticOps, double EnergyJoules) FullRunCosts()
    {
        lock (_fullRunCosts)
        {
            return (_fullRunCosts.Average(c => c.Spikes), _fullRunCosts.Average(c => c.SynapticOps), _fullRunCosts.Average(c => c.Energy));
        }
    }

    /// <summary>Per image: the label and, for t = 1..T, the argmax and max probability.</summary>
    public List<(int Label, int[] ArgMax, float[] Confidence)> Trace(MnistData data, IReadOnlyList<int> indices)
    {
        int t = _model.DefaultPolicy.MaxTimesteps;
        if (_model.SinglePass)
        {
            throw new InvalidOperationException($"model '{_model.Name}' is a single-pass classifier: use Served");
        }

        var traces = new (int, int[], float[])[indices.Count];
        Parallel.For(0, indices.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, k =>
        {
            int i = indices[k];
            var request = new InferenceRequest
            {
                Model = _model.Name, Version = _model.Version, Input = data.Image(i).ToArray(),
                Options = new InferenceOptions { MinTimesteps = t, MaxTimesteps = t },
            };
            var argmax = new int[t];
            var confidence = new float[t];
            foreach (TimestepUpdate u in _engine.StreamAsync(request).ToBlockingEnumerable())
            {
                argmax[u.Timestep - 1] = u.LabelIndex;
                confidence[u.Timestep - 1] = u.Confidence;
                if (u.Result is { } full)
                {
                    lock (_fullRunCosts)
                    {
                        _fullRunCosts.Add((full.TotalSpikes, full.SynapticOps, full.EnergyJoules));
                    }
                }
            }

            traces[k] = (data.Labels[i], argmax, confidence);
        });
        return traces.ToList();
    }

    /// <summary>Accuracy and mean timesteps of exiting at max p ≥ τ (τ &gt; 1: never early, run to T_max).</summary>
    public static (double Accuracy, double MeanTimesteps) AtThreshold(List<(int Label, int[] ArgMax, float[] Confidence)> traces, float threshold)
    {
        int correct = 0;
        long steps = 0;
        foreach (var (label, argmax, confidence) in traces)
        {
            int exit = argmax.Length - 1;
            for (int t = 0; t < argmax.Length; t++)
            {
                if (confidence[t] >= threshold)
                {
                    exit = t;
                    break;
                }
            }

            correct += argmax[exit] == label ? 1 : 0;
            steps += exit + 1;
        }

        return ((double)correct / traces.Count, (double)steps / traces.Count);
    }

    /// <summary>What the default policy costs and achieves on a set of images, as means per image.</summary>
    public sealed record ServedSummary(double Accuracy, double MeanTimesteps, double FiringRate, double Spikes, double SynapticOps, double Macs, double EnergyJoules)
    {
        public void Deconstruct(out double accuracy, out double meanTimesteps, out double firingRate)
        {
            accuracy = Accuracy;
            meanTimesteps = MeanTimesteps;
            firingRate = FiringRate;
        }
    }

    /// <summary>The served answer (the model's default policy) on each image: accuracy, mean exit timestep and mean costs.</summary>
    public ServedSummary Served(MnistData data, IReadOnlyList<int> indices)
    {
        var results = new InferenceResult[indices.Count];
        Parallel.For(0, indices.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, k =>
            results[k] = _engine.Infer(new InferenceRequest { Model = _model.Name, Version = _model.Version, Input = data.Image(indices[k]).ToArray() }));
        double n = indices.Count;
        return new ServedSummary(
            results.Where((r, k) => r.LabelIndex == data.Labels[indices[k]]).Count() / n,
            results.Sum(r => (long)r.ExitTimestep) / n,
            results.Sum(r => r.FiringRate) / n,
            results.Sum(r => r.TotalSpikes) / n,
            results.Sum(r => r.SynapticOps) / n,
            results.Sum(r => r.Macs) / n,
            results.Sum(r => r.EnergyJoules) / n);
    }

    /// <summary>Prints the threshold table of a model folder on the test split.</summary>
    public static void Print(string versionFolder, TextWriter output)
    {
        MnistData data = MnistData.LoadBundled();
        using var evaluation = new Evaluation(versionFolder);
        int[] test = data.Indices(SplitPart.Test);
        if (evaluation.Model.SinglePass)
        {
            ServedSummary ann = evaluation.Served(data, test);
            output.WriteLine($"model {evaluation.Model.Name} v{evaluation.Model.Version} (single-pass ONNX), test split ({test.Length} images): " +
                $"{ann.Accuracy * 100:0.00}%, {ann.Macs:0} MACs, {ann.EnergyJoules * 1e6:0.000} µJ per inference");
            return;
        }

        var traces = evaluation.Trace(data, test);
        output.WriteLine($"model {evaluation.Model.Name} v{evaluation.Model.Version}, test split ({test.Length} images), runtime kernel");
        output.WriteLine("threshold  accuracy  mean_timesteps");
        foreach (float tau in Thresholds)
        {
            var (acc, mean) = AtThreshold(traces, tau);
            output.WriteLine($"{tau,9:0.###}  {acc * 100,7:0.00}%  {mean,6:0.000}");
        }

        var (accT, meanT) = AtThreshold(traces, 2f);
        output.WriteLine($"    T_max  {accT * 100,7:0.00}%  {meanT,6:0.000}");
        ServedSummary s = evaluation.Served(data, test);
        output.WriteLine($"default policy ({evaluation.Model.DefaultPolicy.Kind} ≥ {evaluation.Model.DefaultPolicy.Threshold}, min {evaluation.Model.DefaultPolicy.MinTimesteps}): " +
            $"{s.Accuracy * 100:0.00}% at {s.MeanTimesteps:0.000} mean timesteps, firing rate {s.FiringRate * 100:0.00}% per timestep");
        output.WriteLine($"per inference: {s.Spikes:0} spikes, {s.SynapticOps:0} synaptic ops (ACs), {s.Macs:0} MACs, {s.EnergyJoules * 1e6:0.000} µJ");
        var (fullSpikes, fullOps, fullEnergy) = evaluation.FullRunCosts();
        output.WriteLine($"same model run to T_max: {fullSpikes:0} spikes, {fullOps:0} synaptic ops, {fullEnergy * 1e6:0.000} µJ " +
            $"(early exit: {fullOps / Math.Max(1, s.SynapticOps):0.0}× fewer synaptic ops, {fullEnergy / s.EnergyJoules:0.0}× less energy)");
    }

    public void Dispose()
    {
        _repository.Dispose();
        _meters.Dispose();
    }
}
