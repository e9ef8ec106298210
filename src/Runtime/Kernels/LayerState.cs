namespace SnnServe.Runtime.Kernels;

/// <summary>Per-request buffers of one hidden layer (all channel-last, sized once).</summary>
public sealed class LayerState
{
    internal LayerState(int outputs, bool spiking, int positions = 0)
    {
        Reached = new bool[positions];
        Out = new float[outputs];
        Events = new int[outputs];
        if (spiking)
        {
            V = new float[outputs];
            A = new float[outputs];
            Current = new float[outputs];
        }
        else
        {
            V = A = Current = [];
            Bits = new ulong[(outputs + 63) / 64];
        }
    }

    /// <summary>Membrane potentials v.</summary>
    public float[] V { get; }

    /// <summary>Adaptation traces a.</summary>
    public float[] A { get; }

    /// <summary>Input current I of the current timestep.</summary>
    public float[] Current { get; }

    /// <summary>Outputs of the current timestep: spikes s (0/1) or pooled values.</summary>
    public float[] Out { get; }

    /// <summary>Ascending indices of the non-zero outputs (event-driven kernel only).</summary>
    public int[] Events { get; }

    /// <summary>Number of valid entries in <see cref="Events"/>.</summary>
    public int EventCount { get; internal set; }

    /// <summary>
    /// True after the event-driven kernel's first timestep of a conv layer, which writes only
    /// <see cref="Events"/>: v = I, a = 0 and s (from the events) are implied, and
    /// <see cref="NetworkState.Materialize"/> (or the next timestep) writes them out.
    /// </summary>
    public bool Implicit { get; internal set; }

    // Pool layers: one bit per output, all zero between timesteps (EventDrivenKernel.MaxPool).
    internal ulong[] Bits { get; } = [];

    // Conv layers: which output positions (oy·Wo + ox) the first timestep's input reached.
    internal bool[] Reached { get; }

    // Forget the last request cheaply: the arrays are left as they are and count as zero until the
    // first timestep writes them (see NetworkState.Reset).
    internal void Reset()
    {
        if (V.Length == 0)
        {
            // A pool layer's outputs are zero but at its events (EventDrivenKernel.MaxPool keeps it so).
            for (int e = 0; e < EventCount; e++)
            {
                Out[Events[e]] = 0f;
            }
        }

        EventCount = 0;
        Implicit = false;
    }

    internal void Clear()
    {
        Array.Clear(V);
        Array.Clear(A);
        Array.Clear(Out);
        EventCount = 0;
        Implicit = false;
    }
}
