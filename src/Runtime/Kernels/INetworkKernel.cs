using SnnServe.Runtime.Network;

namespace SnnServe.Runtime.Kernels;

/// <summary>Advances one request's <see cref="NetworkState"/> by one timestep.</summary>
public interface INetworkKernel
{
    /// <summary>Short name for logs and benchmarks, e.g. <c>event-driven</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Runs timestep t = <c>state.Timestep + 1</c> on the input already encoded into
    /// <paramref name="state"/>, updating every layer, the readout and the counters.
    /// </summary>
    void Step(SnnNetwork network, NetworkState state);

    /// <summary>
    /// Advances every state in <paramref name="states"/> (all of <paramref name="network"/>) by one
    /// timestep. Each state's result must equal what <see cref="Step"/> gives it alone; batching
    /// kernels only reorder the work. The default steps them one after the other.
    /// </summary>
    void StepBatch(SnnNetwork network, ReadOnlySpan<NetworkState> states)
    {
        foreach (NetworkState state in states)
        {
            Step(network, state);
        }
    }
}
