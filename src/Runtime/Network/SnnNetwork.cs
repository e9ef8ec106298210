namespace SnnServe.Runtime.Network;

/// <summary>
/// A compiled, immutable network: input shape, the hidden layers in order, and the readout.
/// Shared by every request on the model; per-request state lives in <see cref="Kernels.NetworkState"/>.
/// </summary>
public sealed class SnnNetwork
{
    public SnnNetwork(Shape3 input, IReadOnlyList<NetworkLayer> hidden, ReadoutLayer readout)
    {
        Input = input;
        Hidden = hidden;
        Readout = readout;
        SpikingNeuronCount = hidden.OfType<SpikingLayer>().Sum(l => l.Output.Size);
    }

    public Shape3 Input { get; }

    /// <summary>Spiking and pooling layers, in order.</summary>
    public IReadOnlyList<NetworkLayer> Hidden { get; }

    public ReadoutLayer Readout { get; }

    /// <summary>Number of spiking neurons (for firing-rate figures).</summary>
    public int SpikingNeuronCount { get; }

    /// <summary>Number of output classes.</summary>
    public int Classes => Readout.Output.Size;

    /// <summary>Dense multiply-accumulates of one timestep of the equivalent ANN (every weight used once per position).</summary>
    public long DenseMacsPerTimestep
    {
        get
        {
            long macs = Readout.Synapse.WeightCount;
            foreach (NetworkLayer layer in Hidden)
            {
                if (layer is SpikingLayer { Synapse: var synapse })
                {
                    macs += synapse.FanOut.Sum(f => (long)f);
                }
            }

            return macs;
        }
    }
}
