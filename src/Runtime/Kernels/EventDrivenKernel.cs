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
                if (buffers.Implicit)
                {
                    Materialize(network, state, l);
                }

                if (state.Timestep == 0 && spiking.Quiet is { } quiet && !(l == 0 && state.FirstLayerBiasModified))
                {
                    FirstStepReached(spiking, quiet, state, l, events.Span, values, binary);
                    break;
                }

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

    // The first timestep of a conv layer from fresh state, restricted to the output positions the
    // input reaches: only their current rows are initialised (bias) and scattered into, only their
    // neurons are compared with θ0; every other position's current is the bias alone, so its spikes
    // are the precomputed quiet ones. Nothing but the events is written (LayerState.Implicit): most
    // requests exit after this timestep and never need v, a or s. Same floats as FirstStep.
    private static void FirstStepReached(SpikingLayer spiking, QuietPositions quiet, NetworkState state, int l,
        ReadOnlySpan<int> events, float[] values, bool binary)
    {
        var conv = (ConvSynapse)spiking.Synapse;
        LayerState buffers = state.Layers[l];
        bool[] reached = buffers.Reached;
        Array.Clear(reached);
        int channels = conv.Output.Channels;
        bool cached = l == 0 && state.InputStatic;
        float[] current = cached ? state.FirstLayerCache : buffers.Current;
        conv.MarkReached(events, reached, l == 0 ? state.FirstLayerBias : conv.Bias, current);
        Account(state, conv.Scatter(events, values, binary, current), binary);
        if (cached)
        {
            state.FirstLayerCacheValid = true; // at the reached positions; Materialize completes it
        }

        int count = 0;
        int[] output = buffers.Events;
        float[] theta0 = spiking.Neurons.Theta0;
        for (int p = 0; p < reached.Length; p++)
        {
            if (reached[p])
            {
                count = AlifUpdate.FirstSpikes(theta0, current, p * channels, channels, output, count);
            }
            else
            {
                for (int q = quiet.Start[p]; q < quiet.Start[p + 1]; q++)
                {
                    output[count++] = quiet.Events[q];
                }
            }
        }

        buffers.EventCount = count;
        buffers.Implicit = true;
        state.SpikesPerLayer[l] += count;
    }

    /// <summary>
    /// Writes out layer <paramref name="l"/>'s state after <see cref="FirstStepReached"/>: the
    /// unreached positions' current rows become the bias (so the current is whole again — for the
    /// first layer with static input, the cache every later timestep reads), v = 0 + I, a = 0,
    /// s = 1 at the events and 0 elsewhere.
    /// </summary>
    internal static void Materialize(SnnNetwork network, NetworkState state, int l)
    {
        LayerState buffers = state.Layers[l];
        var spiking = (SpikingLayer)network.Hidden[l];
        int channels = spiking.Synapse.Output.Channels;
        float[] current = l == 0 && state.InputStatic ? state.FirstLayerCache : buffers.Current;
        ReadOnlySpan<float> bias = l == 0 ? state.FirstLayerBias : spiking.Synapse.Bias;
        bool[] reached = buffers.Reached;
        for (int p = 0; p < reached.Length; p++)
        {
            if (!reached[p])
            {
                bias.Slice(p * channels, channels).CopyTo(current.AsSpan(p * channels, channels));
            }
        }

        float[] v = buffers.V;
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = 0f + current[i];
        }

        Array.Clear(buffers.A);
        Array.Clear(buffers.Out);
        for (int e = 0; e < buffers.EventCount; e++)
        {
            buffers.Out[buffers.Events[e]] = 1f;
        }

        buffers.Implicit = false;
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
        if (pool.Kind == PoolKind.Max)
        {
            MaxPool(pool, inputEvents, buffers);
            return;
        }

        float[] outputs = buffers.Out;
        Array.Clear(outputs);
        int[] target = pool.Target;
        for (int e = 0; e < inputEvents.Length; e++)
        {
            int o = target[inputEvents[e]];
            if (o >= 0)
            {
                outputs[o] += 1f;
            }
        }

        int count = VectorMath.CollectNonZero(outputs, buffers.Events);
        for (int e = 0; e < count; e++)
        {
            outputs[buffers.Events[e]] *= pool.Scale;
        }

        buffers.EventCount = count;
    }

    // Max pooling of spikes: an output is 1 when any input of its window fired. Last timestep's
    // outputs are cleared one by one (the map is zero elsewhere, see LayerState.Reset) and the new
    // ones are collected through a bit set, which yields them in ascending order without clearing
    // or scanning the whole map.
    private static void MaxPool(PoolLayer pool, ReadOnlySpan<int> inputEvents, LayerState buffers)
    {
        float[] outputs = buffers.Out;
        int[] events = buffers.Events;
        for (int e = 0; e < buffers.EventCount; e++)
        {
            outputs[events[e]] = 0f;
        }

        ulong[] bits = buffers.Bits;
        int[] target = pool.Target;
        for (int e = 0; e < inputEvents.Length; e++)
        {
            int o = target[inputEvents[e]];
            if (o >= 0)
            {
                bits[o >> 6] |= 1UL << o;
            }
        }

        int count = 0;
        for (int w = 0; w < bits.Length; w++)
        {
            ulong mask = bits[w];
            if (mask != 0)
            {
                bits[w] = 0;
                count = VectorMath.AppendSetBits(mask, w << 6, events, count);
            }
        }

        for (int e = 0; e < count; e++)
        {
            outputs[events[e]] = 1f;
        }

        buffers.EventCount = count;
    }
}
