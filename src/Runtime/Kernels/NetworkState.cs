using SnnServe.Runtime.Network;

namespace SnnServe.Runtime.Kernels;

/// <summary>
/// Everything one request carries between timesteps: the encoded input of the current timestep,
/// each layer's membranes, adaptation traces and spikes, the readout, and the running counters.
/// Sized once for a network and reused across requests (<see cref="Reset"/>), so stepping
/// allocates nothing.
/// </summary>
public sealed class NetworkState
{
    /// <summary>Allocates the buffers for <paramref name="network"/>.</summary>
    public NetworkState(SnnNetwork network)
    {
        Network = network;
        Input = new float[network.Input.Size];
        InputEvents = new int[network.Input.Size];
        Layers = new LayerState[network.Hidden.Count];
        for (int l = 0; l < Layers.Length; l++)
        {
            NetworkLayer layer = network.Hidden[l];
            Layers[l] = new LayerState(layer.Output.Size, layer is SpikingLayer,
                layer is SpikingLayer { Synapse: ConvSynapse } ? layer.Output.Height * layer.Output.Width : 0);
        }

        FirstLayerBias = new float[network.Hidden[0].Output.Size];
        FirstLayerCache = new float[network.Hidden[0].Output.Size];
        ReadoutCurrent = new float[network.Classes];
        Readout = new float[network.Classes];
        ReadoutSum = new float[network.Classes];
        SpikesPerLayer = new long[Layers.Length];
        ((SpikingLayer)network.Hidden[0]).Synapse.Bias.CopyTo(FirstLayerBias, 0);
    }

    /// <summary>The network these buffers belong to.</summary>
    public SnnNetwork Network { get; }

    /// <summary>Encoded input of the current timestep (channel-last): spikes (0/1) or analog values.</summary>
    public float[] Input { get; }

    /// <summary>Ascending indices of the non-zero entries of <see cref="Input"/>.</summary>
    public int[] InputEvents { get; }

    /// <summary>Number of valid entries in <see cref="InputEvents"/>.</summary>
    public int InputEventCount { get; set; }

    /// <summary>True when <see cref="Input"/> holds spikes (0/1); false for analog (direct) input.</summary>
    public bool InputBinary { get; set; }

    /// <summary>
    /// True when the input is the same at every timestep (direct encoding). The event-driven
    /// kernel then computes the first layer's current once and reuses it.
    /// </summary>
    public bool InputStatic { get; set; }

    /// <summary>Per-neuron bias of the first spiking layer for this request: b plus any potential modulation.</summary>
    public float[] FirstLayerBias { get; }

    internal float[] FirstLayerCache { get; }

    internal bool FirstLayerCacheValid { get; set; }

    /// <summary>Hidden layer buffers, parallel to <see cref="SnnNetwork.Hidden"/>.</summary>
    public LayerState[] Layers { get; }

    internal float[] ReadoutCurrent { get; }

    /// <summary>Readout u_t.</summary>
    public float[] Readout { get; }

    /// <summary>Σ_{τ≤t} u_τ, for policies that read the running mean.</summary>
    public float[] ReadoutSum { get; }

    /// <summary>Timesteps completed.</summary>
    public int Timestep { get; internal set; }

    /// <summary>Spikes emitted so far, per hidden layer (0 for pooling layers).</summary>
    public long[] SpikesPerLayer { get; }

    /// <summary>Accumulate operations so far: one per synaptic event (binary input × fan-out).</summary>
    public long SynapticOps { get; internal set; }

    /// <summary>Multiply-accumulates so far: analog input × fan-out (direct encoding), counted once per distinct input.</summary>
    public long Macs { get; internal set; }

    /// <summary>Total spikes so far.</summary>
    public long TotalSpikes
    {
        get
        {
            long total = 0;
            foreach (long s in SpikesPerLayer)
            {
                total += s;
            }

            return total;
        }
    }

    /// <summary>
    /// Prepares the buffers for a new request (no allocation). The layers' arrays are not cleared:
    /// at <see cref="Timestep"/> 0 a kernel treats them as zero — the event-driven kernel's first
    /// update writes all of them, other kernels call <see cref="ClearLayers"/> first — which saves a
    /// pass over every neuron per request.
    /// </summary>
    public void Reset()
    {
        foreach (LayerState layer in Layers)
        {
            layer.Reset();
        }

        Array.Clear(Input);
        Array.Clear(Readout);
        Array.Clear(ReadoutSum);
        Array.Clear(SpikesPerLayer);
        InputEventCount = 0;
        InputBinary = false;
        InputStatic = false;
        FirstLayerCacheValid = false;
        Timestep = 0;
        SynapticOps = 0;
        Macs = 0;
        ResetBias();
    }

    /// <summary>
    /// Writes out the state the event-driven kernel left implicit after a first timestep (see
    /// <see cref="LayerState.Implicit"/>), so every layer's <see cref="LayerState.V"/>,
    /// <see cref="LayerState.A"/> and <see cref="LayerState.Out"/> can be read. Stepping on
    /// afterwards gives the same results as without it.
    /// </summary>
    public void Materialize()
    {
        for (int l = 0; l < Layers.Length; l++)
        {
            if (Layers[l].Implicit)
            {
                EventDrivenKernel.Materialize(Network, this, l);
            }
        }
    }

    /// <summary>Zeroes every layer's membranes, adaptation traces and outputs.</summary>
    public void ClearLayers()
    {
        foreach (LayerState layer in Layers)
        {
            layer.Clear();
        }
    }

    /// <summary>Set when <see cref="FirstLayerBias"/> differs from the synapse's bias (potential modulation), so the next reset restores it.</summary>
    internal bool FirstLayerBiasModified { get; set; }

    // Only a modulated bias needs restoring: a pass over the first layer saved on most requests.
    private void ResetBias()
    {
        if (FirstLayerBiasModified)
        {
            ((SpikingLayer)Network.Hidden[0]).Synapse.Bias.CopyTo(FirstLayerBias, 0);
            FirstLayerBiasModified = false;
        }
    }
}
