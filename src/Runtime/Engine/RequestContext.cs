using SnnServe.Runtime.Encoders;
using SnnServe.Runtime.Kernels;
using SnnServe.Runtime.Network;

namespace SnnServe.Runtime.Engine;

/// <summary>All per-request buffers for one model, pooled by <see cref="Repository.LoadedModel"/>.</summary>
internal sealed class RequestContext
{
    public RequestContext(SnnNetwork network, int mapSize)
    {
        State = new NetworkState(network);
        Encoder = new InputEncoder(network.Input);
        NormalisedInput = new float[network.Input.Size];
        Attention = new float[mapSize];
        Probabilities = new float[network.Classes];
    }

    public NetworkState State { get; }
    public InputEncoder Encoder { get; }

    /// <summary>(x − mean) / std, channel-first: what the scout sees.</summary>
    public float[] NormalisedInput { get; }

    public float[] Attention { get; }
    public float[] Probabilities { get; }
}
