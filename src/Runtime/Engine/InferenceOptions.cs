namespace SnnServe.Runtime.Engine;

/// <summary>
/// Per-request options. Every member is optional; null means "the model's default" (the manifest's
/// <c>exit_policy</c>, <c>encoder.default_seed</c>, modulation on when the model has a scout).
/// </summary>
public sealed record InferenceOptions
{
    /// <summary>Exit policy kind: <c>max_probability</c>, <c>margin</c>, <c>entropy</c> or <c>stability</c>.</summary>
    public string? Policy { get; init; }

    /// <summary>The policy's threshold (τ, δ or h).</summary>
    public float? Threshold { get; init; }

    /// <summary>k for the stability policy.</summary>
    public int? StableSteps { get; init; }

    public int? MinTimesteps { get; init; }

    /// <summary>Upper bound on timesteps; must not exceed the server's limit.</summary>
    public int? MaxTimesteps { get; init; }

    /// <summary><c>readout</c> or <c>mean</c>.</summary>
    public string? Source { get; init; }

    /// <summary>Seed of the rate encoder's counter-based RNG.</summary>
    public ulong? Seed { get; init; }

    /// <summary>False to skip the scout and its modulation (ablation, demos).</summary>
    public bool? Modulation { get; init; }

    /// <summary>
    /// When to stop at the latest. Past it the request answers with its best result so far,
    /// flagged <c>deadline</c>; if not one timestep has run it fails with DeadlineExceeded.
    /// </summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Queue priority under the scheduler: 0 high, 1 normal (the default), 2 low.</summary>
    public int? Priority { get; init; }
}
