namespace SnnServe.Runtime.Kernels;

/// <summary>Per-request buffers of one hidden layer (all channel-last, sized once).</summary>
public sealed class LayerState
{
    internal LayerState(int outputs, bool spiking)
    {
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

    // Forget the last request cheaply: the arrays are left as they are and count as zero until the
    // first timestep writes them (see NetworkState.Reset).
    internal void Reset() => EventCount = 0;

    internal void Clear()
    {
        Array.Clear(V);
        Array.Clear(A);
        Array.Clear(Out);
        EventCount = 0;
    }
}
