namespace SnnServe.Runtime.Exit;

/// <summary>The outcome of evaluating an exit policy after one timestep.</summary>
/// <param name="Exit">True when the request stops now.</param>
/// <param name="Reason">Why it stops (meaningful only when <paramref name="Exit"/>).</param>
/// <param name="PolicySatisfied">True when the policy's criterion holds at this timestep, whether or not min-timesteps lets it exit.</param>
public readonly record struct ExitDecision(bool Exit, ExitReason Reason, bool PolicySatisfied);
