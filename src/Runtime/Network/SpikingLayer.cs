namespace SnnServe.Runtime.Network;

/// <summary>A synapse (conv or dense) feeding a population of ALIF/LIF neurons.</summary>
public sealed class SpikingLayer : NetworkLayer
{
    public SpikingLayer(string name, Synapse synapse, NeuronParameters neurons)
        : base(name, synapse.Input, synapse.Output)
    {
        Synapse = synapse;
        Neurons = neurons;
        if (synapse is ConvSynapse)
        {
            Quiet = QuietPositions.Of(synapse, neurons);
        }
    }

    public Synapse Synapse { get; }
    public NeuronParameters Neurons { get; }
    public override bool Spiking => true;

    /// <summary>
    /// For conv layers: which neurons fire at the first timestep of a fresh state when no input
    /// reaches their position (their current is the bias alone). Null for dense layers.
    /// </summary>
    internal QuietPositions? Quiet { get; }
}

/// <summary>
/// The neurons of a conv layer that fire at the first timestep (v = a = s = 0) with a current of
/// exactly the bias, i.e. at an output position no input event reaches, grouped by position:
/// the event-driven kernel evaluates only the reached positions and takes the rest from here.
/// The decision repeats the first-step float operations (v = 0 + I, θ = θ0 + 0, fire when v − θ &gt; 0).
/// </summary>
internal sealed class QuietPositions
{
    private QuietPositions(int[] start, int[] events)
    {
        Start = start;
        Events = events;
    }

    /// <summary>Position p's spontaneous neurons are <c>Events[Start[p]..Start[p + 1]]</c> (ascending).</summary>
    public int[] Start { get; }

    public int[] Events { get; }

    public static QuietPositions Of(Synapse synapse, NeuronParameters neurons)
    {
        int channels = synapse.Output.Channels, positions = synapse.Output.Height * synapse.Output.Width;
        var start = new int[positions + 1];
        var events = new List<int>();
        for (int p = 0; p < positions; p++)
        {
            start[p] = events.Count;
            for (int c = 0; c < channels; c++)
            {
                int i = p * channels + c;
                float v = 0f + synapse.Bias[i];
                if (v - (neurons.Theta0[i] + 0f) > 0f)
                {
                    events.Add(i);
                }
            }
        }

        start[positions] = events.Count;
        return new QuietPositions(start, events.ToArray());
    }
}
