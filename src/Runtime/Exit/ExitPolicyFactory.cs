namespace SnnServe.Runtime.Exit;

/// <summary>Builds policies from their wire names and validates thresholds.</summary>
public static class ExitPolicyFactory
{
    /// <summary>The policy names this runtime knows.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["max_probability", "margin", "entropy", "stability"];

    /// <summary>
    /// Creates a policy. Throws <see cref="ArgumentException"/> naming the bad value for an unknown
    /// kind, a threshold out of range (probabilities and margins in [0, 1], entropy ≥ 0) or bad bounds.
    /// </summary>
    public static ExitPolicy Create(string kind, float threshold, int stableSteps, int minTimesteps, int maxTimesteps, ReadoutSource source)
    {
        if (!float.IsFinite(threshold))
        {
            throw new ArgumentException($"threshold must be a finite number, got {threshold}");
        }

        bool probabilityLike = kind is "max_probability" or "margin" or "stability";
        if (probabilityLike && threshold is < 0f or > 1f)
        {
            throw new ArgumentException($"threshold for '{kind}' must lie in [0, 1], got {threshold}");
        }

        if (kind == "entropy" && threshold < 0f)
        {
            throw new ArgumentException($"threshold for 'entropy' must be ≥ 0 nats, got {threshold}");
        }

        if (minTimesteps < 1 || maxTimesteps < minTimesteps)
        {
            throw new ArgumentException($"need 1 ≤ min_timesteps ({minTimesteps}) ≤ max_timesteps ({maxTimesteps})");
        }

        return kind switch
        {
            "max_probability" => new MaxProbabilityExitPolicy(threshold, minTimesteps, maxTimesteps, source),
            "margin" => new MarginExitPolicy(threshold, minTimesteps, maxTimesteps, source),
            "entropy" => new EntropyExitPolicy(threshold, minTimesteps, maxTimesteps, source),
            "stability" when stableSteps >= 1 => new StabilityExitPolicy(threshold, stableSteps, minTimesteps, maxTimesteps, source),
            "stability" => throw new ArgumentException($"stable_steps must be ≥ 1, got {stableSteps}"),
            _ => throw new ArgumentException($"unknown exit policy '{kind}' (known: {string.Join(", ", Kinds)})"),
        };
    }

    /// <summary>Parses <c>readout</c> or <c>mean</c>.</summary>
    public static ReadoutSource ParseSource(string source) => source switch
    {
        "readout" => ReadoutSource.Readout,
        "mean" => ReadoutSource.Mean,
        _ => throw new ArgumentException($"unknown readout source '{source}' (known: readout, mean)"),
    };
}
