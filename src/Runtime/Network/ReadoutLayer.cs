namespace SnnServe.Runtime.Network;

/// <summary>The leaky, non-spiking readout: u_t = α_o·u_{t−1} + (W_o·s_t + b_o).</summary>
public sealed class ReadoutLayer : NetworkLayer
{
    public ReadoutLayer(string name, DenseSynapse synapse, float[] alpha)
        : base(name, synapse.Input, synapse.Output)
    {
        Synapse = synapse;
        Alpha = alpha;
    }

    public DenseSynapse Synapse { get; }

    /// <summary>Per-class leak α_o.</summary>
    public float[] Alpha { get; }

    public override bool Spiking => false;
}
