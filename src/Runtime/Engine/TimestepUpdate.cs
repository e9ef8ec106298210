namespace SnnServe.Runtime.Engine;

/// <summary>One message of a streaming inference: the state after one timestep.</summary>
public sealed record TimestepUpdate
{
    public required int Timestep { get; init; }
    public required float[] Probabilities { get; init; }
    public required int LabelIndex { get; init; }
    public required string Label { get; init; }
    public required float Confidence { get; init; }

    /// <summary>Spikes per hidden layer emitted at this timestep.</summary>
    public required long[] LayerSpikes { get; init; }

    /// <summary>Total spikes so far.</summary>
    public required long SpikesSoFar { get; init; }

    /// <summary>Whether the exit policy's criterion holds now (it may still be held back by min_timesteps).</summary>
    public required bool WouldExit { get; init; }

    /// <summary>Set on the last message only: the final answer.</summary>
    public InferenceResult? Result { get; init; }

    public bool IsFinal => Result is not null;
}
