using System.Runtime.CompilerServices;
using SnnServe.Runtime.Network;

namespace SnnServe.Runtime.Kernels;

/// <summary>
/// The production kernel. Synaptic work per timestep is proportional to (active inputs ×
/// fan-out): each layer walks only the ascending event list of the layer below and adds one
/// contiguous weight row per reached output position (see <see cref="ConvSynapse"/> and
/// <see cref="DenseSynapse"/> for the layouts). Neuron updates are SIMD over the population and
/// emit the next event list as a by-product. With direct (static) input the first layer's
/// current is computed once per request. Allocates nothing.
/// </summary>
[SkipLocalsInit]
public sealed class EventDrivenKernel : INetworkKernel
{
    /// <summary>The shared instance (the kernel is stateless).</summary>
    public static readonly EventDrivenKernel Instance = new();

    public string Name => "event-driven";

    public void Step(SnnNetwork network, NetworkState state)
    {
        for (int l = 0; l < network.Hidden.Count; l++)
        {
            StepLayer(network, state, l);
        }

        StepReadout(network, state);
    }

    /// <summary>
    /// Advances several requests of one network by one timestep, layer by layer across the batch,
    /// so each layer's weights are reused from cache by every request before the next layer runs.
    /// Every state sees exactly the float operations of <see cref="Step"/> (results are bit-identical).
    /// </summary>
    public void StepBatch(SnnNetwork network, ReadOnlySpan<NetworkState> states)
    {
        for (int l = 0; l < network.Hidden.Count; l++)
        {
            foreach (NetworkState state in states)
            {
                StepLayer(network, state, l);
            }
        }

        foreach (NetworkState state in states)
        {
            StepReadout(network, state);
        }
    }

    // Layer l's input: the request's encoded input for l = 0, else layer l−1's output.
    private static (ReadOnlyMemory<int> Events, float[] Values, bool Binary) LayerInput(SnnNetwork network, NetworkState state, int l)
    {
        if (l == 0)
        {
            return (state.InputEvents.AsMemory(0, state.InputEventCount), state.Input, state.InputBinary);
        }

        LayerState below = state.Layers[l - 1];
        bool binary = network.Hidden[l - 1] is not PoolLayer { Kind: PoolKind.Average };
        return (below.Events.AsMemory(0, below.EventCount), below.Out, binary);
    }

    private static void StepLayer(SnnNetwork network, NetworkState state, int l)
    {
        var (events, values, binary) = LayerInput(network, state, l);
        LayerState buffers = state.Layers[l];
        switch (network.Hidden[l])
        {
            case SpikingLayer spiking:
            {
                Span<float> current;
                if (l == 0 && state.InputStatic)
                {
                    // Static input: the first layer's current is computed once, in the cache, and read from there.
                    current = state.FirstLayerCache;
                    if (!state.FirstLayerCacheValid)
                    {
                        state.FirstLayerBias.CopyTo(current);
                        Account(state, spiking.Synapse.Scatter(events.Span, values, binary, current), binary);
                        state.FirstLayerCacheValid = true;
                    }
                }
                else
                {
                    current = buffers.Current;
                    (l == 0 ? state.FirstLayerBias : spiking.Synapse.Bias).CopyTo(current);
                    Account(state, spiking.Synapse.Scatter(events.Span, values, binary, current), binary);
                }

                int count = state.Timestep == 0
                    ? AlifUpdate.FirstStep(spiking.Neurons, buffers.V, buffers.A, buffers.Out, current, buffers.Events)
                    : AlifUpdate.Vectorized(spiking.Neurons, buffers.V, buffers.A, buffers.Out, current, buffers.Events);
                buffers.EventCount = count;
                state.SpikesPerLayer[l] += count;
                break;
            }

            case PoolLayer pool:
                Pool(pool, events.Span, buffers);
                break;
        }
    }

    private static void StepReadout(SnnNetwork network, NetworkState state)
    {
        var (events, values, binary) = LayerInput(network, state, network.Hidden.Count);
        ReadoutLayer readout = network.Readout;
        Span<float> readoutCurrent = state.ReadoutCurrent;
        readout.Synapse.Bias.CopyTo(readoutCurrent);
        Account(state, readout.Synapse.Scatter(events.Span, values, binary, readoutCurrent), binary);
        Integrate(readout.Alpha, state.Readout, state.ReadoutSum, readoutCurrent);
        state.Timestep++;
    }

    internal static void Account(NetworkState state, long ops, bool binary)
    {
        if (binary)
        {
            state.SynapticOps += ops;
        }
        else
        {
            state.Macs += ops;
        }
    }

    // u_t = α_o·u_{t−1} + I_t, and the running sum for the mean-readout policies.
    internal static void Integrate(float[] alpha, float[] u, float[] sum, ReadOnlySpan<float> current)
    {
        for (int k = 0; k < u.Length; k++)
        {
            u[k] = alpha[k] * u[k] + current[k];
            sum[k] += u[k];
        }
    }

    private static void Pool(PoolLayer pool, ReadOnlySpan<int> inputEvents, LayerState buffers)
    {
        Shape3 input = pool.Input, output = pool.Output;
        float[] outputs = buffers.Out;
        Array.Clear(outputs);
        int k = pool.Size, c = input.Channels;
        for (int e = 0; e < inputEvents.Length; e++)
        {
            int index = inputEvents[e];
            int channel = index % c, pixel = index / c;
            int oy = pixel / input.Width / k, ox = pixel % input.Width / k;
            if (oy >= output.Height || ox >= output.Width)
            {
                continue;
            }

            int o = (oy * output.Width + ox) * c + channel;
            if (pool.Kind == PoolKind.Max)
            {
                outputs[o] = 1f;
            }
            else
            {
                outputs[o] += 1f;
            }
        }

        int count = VectorMath.CollectNonZero(outputs, buffers.Events);
        if (pool.Kind == PoolKind.Average)
        {
            for (int e = 0; e < count; e++)
            {
                outputs[buffers.Events[e]] *= pool.Scale;
            }
        }

        buffers.EventCount = count;
    }
}
