namespace SnnServe.Runtime.Repository;

/// <summary>
/// The <c>model.json</c> manifest (format version 1), bound with snake_case names and unknown
/// members rejected. The schema is documented in <c>docs/model-format.md</c>; validation beyond
/// JSON shape lives in <see cref="ModelLoader"/>.
/// </summary>
public sealed class ModelManifest
{
    /// <summary>The only manifest format this runtime reads.</summary>
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; set; }

    /// <summary><c>snn</c> (default: the spiking network of <see cref="Layers"/>) or <c>onnx</c> (a single-pass ONNX classifier, e.g. an ANN baseline).</summary>
    public string? Platform { get; set; }

    /// <summary>For the <c>onnx</c> platform: the ONNX file, input [N, C, H, W] → logits [N, classes].</summary>
    public string? ModelFile { get; set; }

    /// <summary>For the <c>onnx</c> platform: multiply-accumulates of one inference, declared by the exporter.</summary>
    public long? Macs { get; set; }
    public string? Name { get; set; }
    public string? Description { get; set; }
    public List<string>? Labels { get; set; }
    public InputSpec? Input { get; set; }
    public EncoderSpec? Encoder { get; set; }
    public ScoutSpec? Scout { get; set; }
    public List<LayerSpec>? Layers { get; set; }
    public ExitPolicySpec? ExitPolicy { get; set; }
    public List<CalibrationPoint>? Calibration { get; set; }
    public ProvenanceSpec? Provenance { get; set; }

    /// <summary>File name → lowercase hex sha256, for every file the manifest references.</summary>
    public Dictionary<string, string>? Files { get; set; }
}

/// <summary>Input tensor: shape [C, H, W] (no batch dimension), dtype and value range.</summary>
public sealed class InputSpec
{
    public string Name { get; set; } = "input";
    public List<int>? Shape { get; set; }
    public string Dtype { get; set; } = "float32";

    /// <summary>Smallest accepted input value. Defaults to 0.</summary>
    public float Min { get; set; }

    /// <summary>Largest accepted input value. Defaults to 1.</summary>
    public float Max { get; set; } = 1f;

    /// <summary>Normalisation applied before the scout and encoder: (x − mean) / std. Defaults to identity.</summary>
    public float Mean { get; set; }

    public float Std { get; set; } = 1f;
}

/// <summary>How the (normalised, modulated) input becomes the first layer's input per timestep.</summary>
public sealed class EncoderSpec
{
    /// <summary><c>direct</c> (analog current every timestep) or <c>rate</c> (Bernoulli spikes).</summary>
    public string Kind { get; set; } = "direct";

    /// <summary>Input gain g: the rate encoder fires with p = clamp(g·x, 0, 1). Defaults to 1.</summary>
    public float Gain { get; set; } = 1f;

    /// <summary>Seed used when a request gives none. Defaults to 0.</summary>
    public ulong DefaultSeed { get; set; }
}

/// <summary>The optional saliency scout and how its attention map modulates the input.</summary>
public sealed class ScoutSpec
{
    /// <summary>ONNX file in the version folder (a plain file name, no directories).</summary>
    public string File { get; set; } = "scout.onnx";

    /// <summary><c>rate</c> (scales input intensity) or <c>potential</c> (raises first-layer resting potential).</summary>
    public string Mode { get; set; } = "rate";

    /// <summary>Modulation strength s ≥ 0.</summary>
    public float Strength { get; set; }

    /// <summary>Multiply-accumulates of one scout inference, declared by the exporter (for energy accounting).</summary>
    public long Macs { get; set; }
}

/// <summary>One layer of the network; which members apply depends on <see cref="Type"/>.</summary>
public sealed class LayerSpec
{
    public string? Name { get; set; }

    /// <summary><c>conv</c>, <c>dense</c>, <c>pool</c>, <c>flatten</c> or <c>readout</c>.</summary>
    public string? Type { get; set; }

    // conv
    public int? OutChannels { get; set; }
    public int? Kernel { get; set; }
    public int? Stride { get; set; }
    public int? Padding { get; set; }

    // dense / readout
    public int? Units { get; set; }

    // conv / dense / readout
    public string? Weight { get; set; }
    public string? Bias { get; set; }
    public NeuronSpec? Neuron { get; set; }

    // pool
    public string? Pool { get; set; }
    public int? Size { get; set; }

    // readout: per-class leak α_o
    public string? Alpha { get; set; }
}

/// <summary>Spiking neuron model and the tensors holding its per-neuron parameters.</summary>
public sealed class NeuronSpec
{
    /// <summary><c>alif</c> (adaptive threshold) or <c>lif</c> (β = 0, fixed threshold).</summary>
    public string? Model { get; set; }

    public string? Alpha { get; set; }
    public string? Rho { get; set; }
    public string? Beta { get; set; }
    public string? Theta0 { get; set; }
}

/// <summary>The model's default exit policy and its timestep bounds.</summary>
public sealed class ExitPolicySpec
{
    /// <summary><c>max_probability</c>, <c>margin</c>, <c>entropy</c> or <c>stability</c>.</summary>
    public string Kind { get; set; } = "max_probability";

    /// <summary>τ (probability), δ (margin) or h (entropy, nats) depending on <see cref="Kind"/>.</summary>
    public float Threshold { get; set; } = 0.9f;

    /// <summary>k for <c>stability</c>: argmax unchanged for this many timesteps. Defaults to 2.</summary>
    public int StableSteps { get; set; } = 2;

    public int MinTimesteps { get; set; } = 1;
    public int MaxTimesteps { get; set; } = 8;

    /// <summary><c>readout</c> (softmax of u_t) or <c>mean</c> (softmax of the running mean of u).</summary>
    public string Source { get; set; } = "readout";
}

/// <summary>One row of the calibration table measured on the validation slice.</summary>
public sealed class CalibrationPoint
{
    public float Threshold { get; set; }
    public double Accuracy { get; set; }
    public double MeanTimesteps { get; set; }
}

/// <summary>Where the model came from and what it measured.</summary>
public sealed class ProvenanceSpec
{
    public string? Dataset { get; set; }
    public string? Split { get; set; }
    public long? Seed { get; set; }
    public int? Epochs { get; set; }
    public double? TestAccuracy { get; set; }
    public double? TestMeanTimesteps { get; set; }
    public string? Trainer { get; set; }
    public string? CreatedUtc { get; set; }
    public string? Notes { get; set; }
}
