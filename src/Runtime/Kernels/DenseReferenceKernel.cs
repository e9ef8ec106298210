using SnnServe.Runtime.Network;

namespace SnnServe.Runtime.Kernels;

/// <summary>
/// The reference kernel: every timestep, every output of every layer sums over all of its
/// inputs (zeros included), and neurons are updated with scalar code. Slow on purpose and
/// obviously correct; it exists to check <see cref="EventDrivenKernel"/> and to be measured
/// against it. Sums run in ascending input index, as in the event-driven kernel, so the two
/// agree bit for bit.
/// </summary>
public sealed class DenseReferenceKernel : INetworkKernel
{
    /// <summary>The shared instance (the kernel is stateless).</summary>
    public static readonly DenseReferenceKernel Instance = new();

    public string Name => "dense";

    public void Step(SnnNetwork network, NetworkState state)
    {
        if (state.Timestep == 0)
        {
            state.ClearLayers();
        }

        ReadOnlySpan<float> values = state.Input;
        bool binary = state.InputBinary;
        bool firstLayerCounted = state.InputStatic && state.Timestep > 0;

        for (int l = 0; l < network.Hidden.Count; l++)
        {
            LayerState buffers = state.Layers[l];
            switch (network.Hidden[l])
            {
                case SpikingLayer spiking:
                {
                    Span<float> current = buffers.Current;
                    (l == 0 ? state.FirstLayerBias : spiking.Synapse.Bias).CopyTo(current);
                    spiking.Synapse.Gather(values, current);
                    if (!(l == 0 && firstLayerCounted))
                    {
                        EventDrivenKernel.Account(state, CountOps(spiking.Synapse, values), binary);
                    }

                    int count = AlifUpdate.Scalar(spiking.Neurons, buffers.V, buffers.A, buffers.Out, current);
                    state.SpikesPerLayer[l] += count;
                    binary = true;
                    break;
                }

                case PoolLayer pool:
                    Pool(pool, values, buffers.Out);
                    // Kept for LayerState.Reset, which clears a pool's outputs at its events only.
                    buffers.EventCount = VectorMath.CollectNonZero(buffers.Out, buffers.Events);
                    binary = pool.Kind == PoolKind.Max;
                    break;
            }

            values = buffers.Out;
        }

        ReadoutLayer readout = network.Readout;
        Span<float> readoutCurrent = state.ReadoutCurrent;
        readout.Synapse.Bias.CopyTo(readoutCurrent);
        readout.Synapse.Gather(values, readoutCurrent);
        EventDrivenKernel.Account(state, CountOps(readout.Synapse, values), binary);
        EventDrivenKernel.Integrate(readout.Alpha, state.Readout, state.ReadoutSum, readoutCurrent);
        state.Timestep++;
    }

    private static long CountOps(Synapse synapse, ReadOnlySpan<float> input)
    {
        long ops = 0;
        for (int j = 0; j < input.Length; j++)
        {
            if (input[j] != 0f)
            {
                ops += synapse.FanOut[j];
            }
        }

        return ops;
    }

    private static void Pool(PoolLayer pool, ReadOnlySpan<float> input, float[] outputs)
    {
        Shape3 inShape = pool.Input, outShape = pool.Output;
        int k = pool.Size;
        for (int oy = 0; oy < outShape.Height; oy++)
        {
            for (int ox = 0; ox < outShape.Width; ox++)
            {
                for (int c = 0; c < outShape.Channels; c++)
                {
                    float sum = 0f;
                    for (int dy = 0; dy < k; dy++)
                    {
                        for (int dx = 0; dx < k; dx++)
                        {
                            sum += input[inShape.Hwc(c, oy * k + dy, ox * k + dx)];
                        }
                    }

                    outputs[outShape.Hwc(c, oy, ox)] = pool.Kind == PoolKind.Max
                        ? (sum > 0f ? 1f : 0f)
                        : sum * pool.Scale;
                }
            }
        }
    }
}
