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

    public LoadedModel Model => _model;

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

    /// <summary>The served answer (the model's default policy) on each image: accuracy and mean exit timestep.</summary>
    public (double Accuracy, double MeanTimesteps, double FiringRate) Served(MnistData data, IReadOnlyList<int> indices)
    {
        int correct = 0;
        long steps = 0;
        double firing = 0;
        object gate = new();
        Parallel.ForEach(indices, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            InferenceResult r = _engine.Infer(new InferenceRequest { Model = _model.Name, Version = _model.Version, Input = data.Image(i).ToArray() });
            lock (gate)
            {
                correct += r.LabelIndex == data.Labels[i] ? 1 : 0;
                steps += r.ExitTimestep;
                firing += r.FiringRate;
            }
        });
        return ((double)correct / indices.Count, (double)steps / indices.Count, firing / indices.Count);
    }

    /// <summary>Prints the threshold table of a model folder on the test split.</summary>
    public static void Print(string versionFolder, TextWriter output)
    {
        MnistData data = MnistData.LoadBundled();
        using var evaluation = new Evaluation(versionFolder);
        int[] test = data.Indices(SplitPart.Test);
        if (evaluation.Model.SinglePass)
        {
            var (accuracy, _, _) = evaluation.Served(data, test);
            output.WriteLine($"model {evaluation.Model.Name} v{evaluation.Model.Version} (single-pass ONNX), test split ({test.Length} images): {accuracy * 100:0.00}%");
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
        var (served, servedMean, firing) = evaluation.Served(data, test);
        output.WriteLine($"default policy ({evaluation.Model.DefaultPolicy.Kind} ≥ {evaluation.Model.DefaultPolicy.Threshold}): " +
            $"{served * 100:0.00}% at {servedMean:0.000} mean timesteps, firing rate {firing * 100:0.00}% per timestep");
    }

    public void Dispose()
    {
        _repository.Dispose();
        _meters.Dispose();
    }
}
