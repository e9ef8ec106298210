using System.Security.Cryptography;
using System.Text.Json;
using SnnServe.Runtime.Repository;

namespace SnnServe.TestSupport;

/// <summary>
/// Options of a synthetic (random-weight) model. Layers use a tiny text form:
/// <c>conv OUT K STRIDE PAD</c>, <c>pool max|avg SIZE</c>, <c>flatten</c>, <c>dense UNITS</c>, <c>readout CLASSES</c>.
/// </summary>
public sealed record SyntheticModelOptions
{
    public int Channels { get; init; } = 1;
    public int Height { get; init; } = 12;
    public int Width { get; init; } = 12;
    public IReadOnlyList<string> Layers { get; init; } = ["conv 8 3 1 1", "pool max 2", "flatten", "dense 24", "readout 10"];
    public string Neuron { get; init; } = "alif";
    public string Encoder { get; init; } = "direct";
    public float Gain { get; init; } = 1f;

    /// <summary>null (no scout), <c>rate</c> or <c>potential</c>.</summary>
    public string? ScoutMode { get; init; }

    public float ScoutStrength { get; init; } = 0.5f;
    public int ScoutBlock { get; init; } = 4;
    public string Policy { get; init; } = "max_probability";
    public float Threshold { get; init; } = 0.9f;
    public int MinTimesteps { get; init; } = 1;
    public int MaxTimesteps { get; init; } = 8;

    /// <summary>Scale of the random weights relative to 1/√fan-in; larger means more spikes.</summary>
    public float WeightScale { get; init; } = 2.5f;

    /// <summary>Per-channel (true) or per-neuron (false) neuron parameter tensors on conv layers.</summary>
    public bool PerChannelParameters { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>Range of the conv layers' biases (uniform); above θ0 a neuron fires without input.</summary>
    public float ConvBiasMin { get; init; } = 0.05f;

    public float ConvBiasMax { get; init; } = 0.05f;
}

/// <summary>Writes random-weight models in the repository format (for tests and benchmarks only).</summary>
public static class SyntheticModel
{
    /// <summary>Writes <c>model.json</c>, <c>weights.safetensors</c> and (optionally) <c>scout.onnx</c> into <paramref name="versionDirectory"/>.</summary>
    public static ModelManifest Write(string versionDirectory, SyntheticModelOptions options)
    {
        var (manifest, tensors) = Build(options);
        byte[]? scout = options.ScoutMode is null ? null : OnnxTestGraphs.BlockMeanSigmoid(options.Channels, options.Height, options.Width, options.ScoutBlock, 6f, -1f);
        WriteFiles(versionDirectory, manifest, tensors, scout);
        return manifest;
    }

    /// <summary>
    /// Writes a model from parts, filling <c>files</c> with the true sha256 of what is written
    /// (entries already in <c>manifest.Files</c> for other names are kept).
    /// </summary>
    public static void WriteFiles(string versionDirectory, ModelManifest manifest, IEnumerable<TensorData> tensors, byte[]? scout)
    {
        Directory.CreateDirectory(versionDirectory);
        byte[] weights = SafetensorsWriter.Write(tensors);
        File.WriteAllBytes(Path.Combine(versionDirectory, ModelLoader.WeightsFile), weights);
        manifest.Files ??= [];
        manifest.Files[ModelLoader.WeightsFile] = Sha256(weights);
        if (scout is not null)
        {
            string file = manifest.Scout?.File ?? "scout.onnx";
            File.WriteAllBytes(Path.Combine(versionDirectory, Path.GetFileName(file)), scout);
            manifest.Files[file] = Sha256(scout);
        }

        WriteManifest(versionDirectory, manifest);
    }

    /// <summary>Serialises <paramref name="manifest"/> to <c>model.json</c> with the loader's JSON settings.</summary>
    public static void WriteManifest(string versionDirectory, ModelManifest manifest) =>
        File.WriteAllText(Path.Combine(versionDirectory, ModelLoader.ManifestFile), JsonSerializer.Serialize(manifest, ModelLoader.ManifestJson));

    /// <summary>Lowercase hex sha256.</summary>
    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A random input in [0, 1] where about <paramref name="density"/> of the elements are non-zero.</summary>
    public static float[] RandomInput(SyntheticModelOptions options, int seed, double density = 0.4)
    {
        var random = new Random(seed);
        var input = new float[options.Channels * options.Height * options.Width];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = random.NextDouble() < density ? (float)random.NextDouble() : 0f;
        }

        return input;
    }

    /// <summary>The manifest and tensors of a model, without writing anything.</summary>
    public static (ModelManifest Manifest, List<TensorData> Tensors) Build(SyntheticModelOptions options)
    {
        var random = new Random(options.Seed);
        var tensors = new List<TensorData>();
        var layers = new List<LayerSpec>();
        int c = options.Channels, h = options.Height, w = options.Width;
        int classes = 0;
        foreach (string text in options.Layers)
        {
            string[] p = text.Split(' ');
            string name = $"l{layers.Count}";
            switch (p[0])
            {
                case "conv":
                {
                    int co = int.Parse(p[1]), k = int.Parse(p[2]), s = int.Parse(p[3]), pad = int.Parse(p[4]);
                    int ho = (h + 2 * pad - k) / s + 1, wo = (w + 2 * pad - k) / s + 1;
                    tensors.Add(Uniform(random, name + ".weight", [co, c, k, k], options.WeightScale * MathF.Sqrt(3f / (c * k * k))));
                    tensors.Add(Uniform(random, name + ".bias", [co], options.ConvBiasMin, options.ConvBiasMax));
                    int[] paramShape = options.PerChannelParameters ? [co] : [co, ho, wo];
                    layers.Add(new LayerSpec
                    {
                        Name = name, Type = "conv", OutChannels = co, Kernel = k, Stride = s, Padding = pad,
                        Weight = name + ".weight", Bias = name + ".bias", Neuron = Neuron(random, tensors, name, paramShape, options.Neuron),
                    });
                    (c, h, w) = (co, ho, wo);
                    break;
                }

                case "pool":
                    layers.Add(new LayerSpec { Name = name, Type = "pool", Pool = p[1], Size = int.Parse(p[2]) });
                    (h, w) = (h / int.Parse(p[2]), w / int.Parse(p[2]));
                    break;
                case "flatten":
                    layers.Add(new LayerSpec { Name = name, Type = "flatten" });
                    break;
                case "dense":
                case "readout":
                {
                    int units = int.Parse(p[1]), inputs = c * h * w;
                    tensors.Add(Uniform(random, name + ".weight", [units, inputs], options.WeightScale * MathF.Sqrt(3f / inputs)));
                    tensors.Add(Uniform(random, name + ".bias", [units], 0.05f, 0.05f));
                    var spec = new LayerSpec { Name = name, Type = p[0], Units = units, Weight = name + ".weight", Bias = name + ".bias" };
                    if (p[0] == "dense")
                    {
                        spec.Neuron = Neuron(random, tensors, name, [units], options.Neuron);
                    }
                    else
                    {
                        tensors.Add(Uniform(random, name + ".alpha", [units], 0.2f, 0.7f));
                        spec.Alpha = name + ".alpha";
                        classes = units;
                    }

                    layers.Add(spec);
                    (c, h, w) = (units, 1, 1);
                    break;
                }

                default:
                    throw new ArgumentException($"unknown layer text '{text}'");
            }
        }

        var manifest = new ModelManifest
        {
            FormatVersion = ModelManifest.CurrentFormatVersion,
            Name = "synthetic",
            Description = "Random weights, for tests and benchmarks only.",
            Labels = Enumerable.Range(0, classes).Select(i => $"class{i}").ToList(),
            Input = new InputSpec { Shape = [options.Channels, options.Height, options.Width] },
            Encoder = new EncoderSpec { Kind = options.Encoder, Gain = options.Gain },
            Scout = options.ScoutMode is null ? null : new ScoutSpec { File = "scout.onnx", Mode = options.ScoutMode, Strength = options.ScoutStrength, Macs = 1234 },
            Layers = layers,
            ExitPolicy = new ExitPolicySpec
            {
                Kind = options.Policy, Threshold = options.Threshold, MinTimesteps = options.MinTimesteps, MaxTimesteps = options.MaxTimesteps,
            },
            Calibration = [new CalibrationPoint { Threshold = options.Threshold, Accuracy = 0.1, MeanTimesteps = 1 }],
            Provenance = new ProvenanceSpec { Dataset = "none (synthetic)", Seed = options.Seed, Trainer = "SyntheticModel" },
        };
        return (manifest, tensors);
    }

    private static NeuronSpec Neuron(Random random, List<TensorData> tensors, string name, int[] shape, string model)
    {
        tensors.Add(Uniform(random, name + ".alpha", shape, 0.5f, 0.95f));
        tensors.Add(Uniform(random, name + ".theta0", shape, 0.5f, 1.0f));
        var spec = new NeuronSpec { Model = model, Alpha = name + ".alpha", Theta0 = name + ".theta0" };
        if (model == "alif")
        {
            tensors.Add(Uniform(random, name + ".rho", shape, 0.5f, 0.95f));
            tensors.Add(Uniform(random, name + ".beta", shape, 0f, 1.5f));
            spec.Rho = name + ".rho";
            spec.Beta = name + ".beta";
        }

        return spec;
    }

    private static TensorData Uniform(Random random, string name, int[] shape, float scale) =>
        Uniform(random, name, shape, -scale, scale);

    private static TensorData Uniform(Random random, string name, int[] shape, float min, float max)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = min + (float)random.NextDouble() * (max - min);
        }

        return new TensorData(name, shape, values);
    }
}
