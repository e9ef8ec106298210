namespace SnnServe.Runtime.Exit;

/// <summary>
/// Decides after each timestep whether a request stops. A request exits as
/// <see cref="ExitReason.Confident"/> at the first timestep t ≥ <see cref="MinTimesteps"/> where
/// the criterion holds, or as <see cref="ExitReason.MaxTimesteps"/> at t = <see cref="MaxTimesteps"/>.
/// Immutable; per-request memory lives in <see cref="ExitProgress"/>.
/// </summary>
public abstract class ExitPolicy
{
    protected ExitPolicy(float threshold, int minTimesteps, int maxTimesteps, ReadoutSource source)
    {
        if (minTimesteps < 1 || maxTimesteps < minTimesteps)
        {
            throw new ArgumentOutOfRangeException(nameof(minTimesteps), $"need 1 ≤ min_timesteps ({minTimesteps}) ≤ max_timesteps ({maxTimesteps})");
        }

        Threshold = threshold;
        MinTimesteps = minTimesteps;
        MaxTimesteps = maxTimesteps;
        Source = source;
    }

    /// <summary>Wire name: <c>max_probability</c>, <c>margin</c>, <c>entropy</c> or <c>stability</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>τ, δ or h, depending on the policy.</summary>
    public float Threshold { get; }

    public int MinTimesteps { get; }
    public int MaxTimesteps { get; }
    public ReadoutSource Source { get; }

    /// <summary>Evaluates the policy on the class probabilities after timestep <paramref name="timestep"/>.</summary>
    public ExitDecision Evaluate(ReadOnlySpan<float> probabilities, int timestep, ref ExitProgress progress)
    {
        progress.Observe(Probabilities.ArgMax(probabilities));
        bool satisfied = IsSatisfied(probabilities, progress);
        if (satisfied && timestep >= MinTimesteps)
        {
            return new ExitDecision(true, ExitReason.Confident, true);
        }

        return timestep >= MaxTimesteps
            ? new ExitDecision(true, ExitReason.MaxTimesteps, satisfied)
            : new ExitDecision(false, default, satisfied);
    }

    /// <summary>The policy's criterion on one timestep's probabilities.</summary>
    protected abstract bool IsSatisfied(ReadOnlySpan<float> probabilities, in ExitProgress progress);
}
