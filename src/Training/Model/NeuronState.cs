using static TorchSharp.torch;

namespace SnnServe.Training.Model;

/// <summary>One layer's state over a batch: membrane v, adaptation a, last spikes s.</summary>
public sealed class NeuronState(Tensor v, Tensor a, Tensor s)
{
    public Tensor V { get; set; } = v;
    public Tensor A { get; set; } = a;
    public Tensor S { get; set; } = s;

    public static NeuronState Zeros(long[] shape) => new(zeros(shape), zeros(shape), zeros(shape));

    /// <summary>
    /// One timestep of contract 2, in the runtime's float32 operation order:
    /// θ_{t−1} = θ0 + β·a_{t−1}; a_t = ρ·a_{t−1} + (1−ρ)·s_{t−1}; θ_t = θ0 + β·a_t;
    /// v_t = α·v_{t−1} + I_t − θ_{t−1}·s_{t−1}; s_t = H(v_t − θ_t) with the surrogate gradient.
    /// </summary>
    public Tensor Step(Tensor current, Tensor alpha, Tensor rho, Tensor oneMinusRho, Tensor beta, Tensor theta0)
    {
        Tensor thetaPrevious = theta0 + beta * A;
        A = rho * A + oneMinusRho * S;
        Tensor theta = theta0 + beta * A;
        V = alpha * V + current - thetaPrevious * S;
        S = SpikeFunction.apply(V - theta);
        return S;
    }
}
