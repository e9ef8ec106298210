namespace SnnServe.Runtime.Network;

/// <summary>A synapse (conv or dense) feeding a population of ALIF/LIF neurons.</summary>
public sealed class SpikingLayer : NetworkLayer
{
    public SpikingLayer(string name, Synapse synapse, NeuronParameters neurons)
        : base(name, synapse.Input, synapse.Output)
    {
        Synapse = synapse;
        Neurons = neurons;
    }

    public Synapse Synapse { get; }
    public NeuronParameters Neurons { get; }
    public override bool Spiking => true;
}
