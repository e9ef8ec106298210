using SnnServe.Runtime.Exit;

namespace SnnServe.Runtime.Engine;

/// <summary>Spikes one layer emitted over the whole request.</summary>
public sealed record LayerSpikes(string Layer, long Spikes, int Neurons);

/// <summary>Wall-clock time of each stage, in seconds.</summary>
public sealed record StageTimings(double ScoutSeconds, double EncodeSeconds, double StepSeconds, double TotalSeconds);

/// <summary>The answer to one request, with everything it cost.</summary>
public sealed record InferenceResult
{
    public required string Model { get; init; }
    public required long Version { get; init; }
    public required int LabelIndex { get; init; }
    public required string Label { get; init; }

    /// <summary>Class probabilities at the exit timestep (softmax of the policy's readout source).</summary>
    public required float[] Probabilities { get; init; }

    /// <summary>Timesteps run (1-based exit timestep).</summary>
    public required int ExitTimestep { get; init; }

    public required ExitReason ExitReason { get; init; }

    /// <summary>Largest class probability at exit.</summary>
    public required float Confidence { get; init; }

    public required IReadOnlyList<LayerSpikes> SpikesPerLayer { get; init; }
    public required long TotalSpikes { get; init; }

    /// <summary>Accumulates: synaptic events (spike × fan-out).</summary>
    public required long SynapticOps { get; init; }

    /// <summary>Multiply-accumulates: analog inputs × fan-out plus the scout's MACs.</summary>
    public required long Macs { get; init; }

    /// <summary>Estimated energy in joules (<see cref="EnergyModel"/>).</summary>
    public required double EnergyJoules { get; init; }

    /// <summary>Mean fraction of spiking neurons that fired per timestep.</summary>
    public required double FiringRate { get; init; }

    public required StageTimings Timings { get; init; }

    /// <summary>The policy that decided the exit, with its effective settings.</summary>
    public required string Policy { get; init; }

    public required float Threshold { get; init; }
    public required int MaxTimesteps { get; init; }
    public required ulong Seed { get; init; }

    /// <summary>True when the scout ran and modulated the input.</summary>
    public required bool Modulated { get; init; }

    /// <summary>ORT execution provider of the scout, or <c>none</c>.</summary>
    public required string ScoutProvider { get; init; }

    /// <summary>The scout's attention map (row-major, <see cref="AttentionHeight"/> × <see cref="AttentionWidth"/>, values in [0, 1]); null when not modulated.</summary>
    public float[]? Attention { get; init; }

    public int AttentionHeight { get; init; }
    public int AttentionWidth { get; init; }
}
