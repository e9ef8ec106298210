using System.Globalization;

namespace SnnServe.Training;

/// <summary>Settings of one training run (see <see cref="TrainerCli.Usage"/>).</summary>
public sealed record TrainSettings
{
    public string Name { get; init; } = "mnist-alif";
    public long Version { get; init; } = 1;
    public string Output { get; init; } = "models";
    public int Epochs { get; init; } = 30;
    public int Batch { get; init; } = 64;
    public double LearningRate { get; init; } = 0.002;
    public int Timesteps { get; init; } = 6;

    /// <summary><c>alif</c> or <c>lif</c>.</summary>
    public string Neuron { get; init; } = "alif";

    public int Seed { get; init; } = 1;

    /// <summary>Channels of the two conv layers and units of the hidden dense layer.</summary>
    public int[] Widths { get; init; } = [32, 64, 256];

    /// <summary><c>direct</c> or <c>rate</c> input encoding.</summary>
    public string Encoder { get; init; } = "direct";

    /// <summary>Exit policy of the export: <c>early</c> (calibrated max-probability) or <c>fixed</c> (always T timesteps).</summary>
    public string Exit { get; init; } = "early";

    /// <summary>Scout modulation: <c>none</c>, <c>rate</c> or <c>potential</c>.</summary>
    public string ScoutMode { get; init; } = "rate";

    /// <summary>Modulation strength s.</summary>
    public float ScoutStrength { get; init; } = 0.5f;

    /// <summary>μ of the scout's sparsity term (mean attention).</summary>
    public double ScoutSparsity { get; init; } = 0.05;

    /// <summary><c>temporal</c> (cross-entropy at every timestep, weighted γ^(t−1)) or <c>final</c> (last timestep only; an ablation).</summary>
    public string Loss { get; init; } = "temporal";

    /// <summary>Batch normalisation after each synapse during training, folded into the weights at export.</summary>
    public bool BatchNorm { get; init; }

    /// <summary>Dropout on the dense layer's input during training.</summary>
    public double Dropout { get; init; } = 0.2;

    /// <summary>λ of the spike-count regulariser (mean firing rate).</summary>
    public double SpikeWeight { get; init; } = 0.5;

    /// <summary>γ of the temporal loss: timestep t's cross-entropy weighs γ^(t−1).</summary>
    public double EarlyDecay { get; init; } = 0.7;

    /// <summary>Elastic distortion strength α in pixels (0: affine augmentation only).</summary>
    public double Elastic { get; init; }

    /// <summary>Use only the first N training images (0: all); for smoke tests.</summary>
    public int LimitTrain { get; init; }

    /// <summary>Batches per epoch cap (0: all); for smoke tests.</summary>
    public int LimitBatches { get; init; }

    /// <summary>Checkpoint to resume from.</summary>
    public string? Resume { get; init; }

    /// <summary>Folder holding the IDX files; null for the bundled data/mnist.</summary>
    public string? Data { get; init; }

    public static TrainSettings Parse(string[] args)
    {
        var s = new TrainSettings();
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"option {args[i]} needs a value");
            }

            string v = args[i + 1];
            s = args[i] switch
            {
                "--name" => s with { Name = v },
                "--version" => s with { Version = long.Parse(v, CultureInfo.InvariantCulture) },
                "--out" => s with { Output = v },
                "--epochs" => s with { Epochs = int.Parse(v, CultureInfo.InvariantCulture) },
                "--batch" => s with { Batch = int.Parse(v, CultureInfo.InvariantCulture) },
                "--lr" => s with { LearningRate = double.Parse(v, CultureInfo.InvariantCulture) },
                "--timesteps" => s with { Timesteps = int.Parse(v, CultureInfo.InvariantCulture) },
                "--neuron" => v is "alif" or "lif" ? s with { Neuron = v } : throw new ArgumentException("--neuron is alif or lif"),
                "--loss" => v is "temporal" or "final" ? s with { Loss = v } : throw new ArgumentException("--loss is temporal or final"),
                "--batch-norm" => s with { BatchNorm = bool.Parse(v) },
                "--dropout" => s with { Dropout = double.Parse(v, CultureInfo.InvariantCulture) },
                "--scout" => v is "none" or "rate" or "potential" ? s with { ScoutMode = v } : throw new ArgumentException("--scout is none, rate or potential"),
                "--scout-strength" => s with { ScoutStrength = float.Parse(v, CultureInfo.InvariantCulture) },
                "--scout-sparsity" => s with { ScoutSparsity = double.Parse(v, CultureInfo.InvariantCulture) },
                "--encoder" => v is "direct" or "rate" ? s with { Encoder = v } : throw new ArgumentException("--encoder is direct or rate"),
                "--exit" => v is "early" or "fixed" ? s with { Exit = v } : throw new ArgumentException("--exit is early or fixed"),
                "--widths" => s with { Widths = v.Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToArray() },
                "--seed" => s with { Seed = int.Parse(v, CultureInfo.InvariantCulture) },
                "--spike-weight" => s with { SpikeWeight = double.Parse(v, CultureInfo.InvariantCulture) },
                "--early-decay" => s with { EarlyDecay = double.Parse(v, CultureInfo.InvariantCulture) },
                "--elastic" => s with { Elastic = double.Parse(v, CultureInfo.InvariantCulture) },
                "--limit-train" => s with { LimitTrain = int.Parse(v, CultureInfo.InvariantCulture) },
                "--limit-batches" => s with { LimitBatches = int.Parse(v, CultureInfo.InvariantCulture) },
                "--resume" => s with { Resume = v },
                "--data" => s with { Data = v },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }

        return s;
    }
}
