namespace SnnServe.Runtime.Exit;

/// <summary>Which readout the exit policy (and the answer) reads probabilities from.</summary>
public enum ReadoutSource
{
    /// <summary>softmax(u_t): the readout at the current timestep.</summary>
    Readout,

    /// <summary>softmax(mean_{τ≤t} u_τ): the running mean of the readout.</summary>
    Mean,
}
