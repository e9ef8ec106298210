namespace SnnServe.Runtime.Exit;

/// <summary>Exit when max_k p_k ≥ τ.</summary>
public sealed class MaxProbabilityExitPolicy(float threshold, int minTimesteps, int maxTimesteps, ReadoutSource source = ReadoutSource.Readout)
    : ExitPolicy(threshold, minTimesteps, maxTimesteps, source)
{
    public override string Kind => "max_probability";

    protected override bool IsSatisfied(ReadOnlySpan<float> probabilities, in ExitProgress progress) =>
        probabilities[Probabilities.ArgMax(probabilities)] >= Threshold;
}

/// <summary>Exit when top1 − top2 ≥ δ.</summary>
public sealed class MarginExitPolicy(float threshold, int minTimesteps, int maxTimesteps, ReadoutSource source = ReadoutSource.Readout)
    : ExitPolicy(threshold, minTimesteps, maxTimesteps, source)
{
    public override string Kind => "margin";

    protected override bool IsSatisfied(ReadOnlySpan<float> probabilities, in ExitProgress progress) =>
        Probabilities.Margin(probabilities) >= Threshold;
}

/// <summary>Exit when the entropy −Σ p ln p (nats) ≤ h.</summary>
public sealed class EntropyExitPolicy(float threshold, int minTimesteps, int maxTimesteps, ReadoutSource source = ReadoutSource.Readout)
    : ExitPolicy(threshold, minTimesteps, maxTimesteps, source)
{
    public override string Kind => "entropy";

    protected override bool IsSatisfied(ReadOnlySpan<float> probabilities, in ExitProgress progress) =>
        Probabilities.Entropy(probabilities) <= Threshold;
}

/// <summary>Exit when the argmax has been the same for k consecutive timesteps and its probability ≥ τ.</summary>
public sealed class StabilityExitPolicy(float threshold, int stableSteps, int minTimesteps, int maxTimesteps, ReadoutSource source = ReadoutSource.Readout)
    : ExitPolicy(threshold, minTimesteps, maxTimesteps, source)
{
    public override string Kind => "stability";

    /// <summary>k: consecutive timesteps with an unchanged argmax.</summary>
    public int StableSteps { get; } = stableSteps >= 1 ? stableSteps : throw new ArgumentOutOfRangeException(nameof(stableSteps), "stable_steps must be ≥ 1");

    protected override bool IsSatisfied(ReadOnlySpan<float> probabilities, in ExitProgress progress) =>
        progress.Streak >= StableSteps && probabilities[progress.LastLabel] >= Threshold;
}
