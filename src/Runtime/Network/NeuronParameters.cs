namespace SnnServe.Runtime.Network;

/// <summary>
/// Per-neuron ALIF parameters in the runtime's channel-last order (contract 2):
/// α membrane decay, ρ adaptation decay, β adaptation strength, θ0 baseline threshold.
/// Plain LIF is β = 0 (ρ irrelevant). <see cref="OneMinusRho"/> is stored so that both
/// kernels and the trainer compute (1 − ρ) once, in float32, the same way.
/// </summary>
public sealed class NeuronParameters
{
    /// <summary>Creates parameters; all arrays must have the same length.</summary>
    public NeuronParameters(float[] alpha, float[] rho, float[] beta, float[] theta0, bool adaptive)
    {
        Alpha = alpha;
        Rho = rho;
        Beta = beta;
        Theta0 = theta0;
        Adaptive = adaptive;
        OneMinusRho = new float[rho.Length];
        for (int i = 0; i < rho.Length; i++)
        {
            OneMinusRho[i] = 1f - rho[i];
        }
    }

    public float[] Alpha { get; }
    public float[] Rho { get; }
    public float[] OneMinusRho { get; }
    public float[] Beta { get; }
    public float[] Theta0 { get; }

    /// <summary>True for ALIF, false for plain LIF (β = 0).</summary>
    public bool Adaptive { get; }

    /// <summary>Number of neurons.</summary>
    public int Count => Alpha.Length;
}
