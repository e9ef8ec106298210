using SnnServe.Runtime.Kernels;

namespace SnnServe.Runtime.Network;

/// <summary>
/// 2-D convolution synapse (square kernel K, stride S, zero padding P) over channel-last maps.
/// Weights are stored <c>WT[((ky·K + kx)·Ci + ci)·Co + co]</c>: for an input spike at
/// (y, x, ci) and each kernel offset it reaches, the Co output channels at one output position
/// form one contiguous row, added with SIMD (output layout HWC makes the destination contiguous too).
/// </summary>
public sealed class ConvSynapse : Synapse
{
    /// <summary>Creates the synapse; <paramref name="weights"/> is in the layout described above.</summary>
    public ConvSynapse(Shape3 input, int outChannels, int kernel, int stride, int padding, float[] weights, float[] biasPerNeuron)
        : base(input, OutputShape(input, outChannels, kernel, stride, padding), biasPerNeuron)
    {
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        Weights = weights;
        for (int y = 0; y < input.Height; y++)
        {
            for (int x = 0; x < input.Width; x++)
            {
                int reach = Reach(y, Output.Height) * Reach(x, Output.Width) * outChannels;
                for (int c = 0; c < input.Channels; c++)
                {
                    FanOut[input.Hwc(c, y, x)] = reach;
                }
            }
        }
    }

    public int Kernel { get; }
    public int Stride { get; }
    public int Padding { get; }

    /// <summary>Weights in <c>[ky, kx, ci, co]</c> order.</summary>
    public float[] Weights { get; }

    public override long WeightCount => Weights.LongLength;

    /// <summary>Output shape of a convolution, or a non-positive size when the geometry is impossible.</summary>
    public static Shape3 OutputShape(Shape3 input, int outChannels, int kernel, int stride, int padding) =>
        new(outChannels,
            (input.Height + 2 * padding - kernel) / stride + 1,
            (input.Width + 2 * padding - kernel) / stride + 1);

    public override long Scatter(ReadOnlySpan<int> events, ReadOnlySpan<float> values, bool binary, Span<float> current)
    {
        int ci = Input.Channels, w = Input.Width, co = Output.Channels, ho = Output.Height, wo = Output.Width;
        int k = Kernel, s = Stride, p = Padding;
        ReadOnlySpan<float> weights = Weights;
        long ops = 0;
        for (int e = 0; e < events.Length; e++)
        {
            int index = events[e];
            int c = index % ci;
            int pixel = index / ci;
            int y = pixel / w, x = pixel % w;
            float value = values[index];
            ops += FanOut[index];
            for (int ky = 0; ky < k; ky++)
            {
                int oyScaled = y + p - ky;
                if (oyScaled < 0)
                {
                    break;
                }

                if (oyScaled % s != 0 || oyScaled / s >= ho)
                {
                    continue;
                }

                int oy = oyScaled / s;
                for (int kx = 0; kx < k; kx++)
                {
                    int oxScaled = x + p - kx;
                    if (oxScaled < 0)
                    {
                        break;
                    }

                    if (oxScaled % s != 0 || oxScaled / s >= wo)
                    {
                        continue;
                    }

                    int ox = oxScaled / s;
                    Span<float> destination = current.Slice((oy * wo + ox) * co, co);
                    ReadOnlySpan<float> row = weights.Slice(((ky * k + kx) * ci + c) * co, co);
                    if (binary)
                    {
                        VectorMath.Add(destination, row);
                    }
                    else
                    {
                        VectorMath.AddScaled(destination, row, value);
                    }
                }
            }
        }

        return ops;
    }

    public override void Gather(ReadOnlySpan<float> input, Span<float> current)
    {
        int ci = Input.Channels, h = Input.Height, w = Input.Width;
        int co = Output.Channels, ho = Output.Height, wo = Output.Width;
        int k = Kernel, s = Stride, p = Padding;
        for (int oy = 0; oy < ho; oy++)
        {
            for (int ox = 0; ox < wo; ox++)
            {
                for (int o = 0; o < co; o++)
                {
                    int outIndex = (oy * wo + ox) * co + o;
                    float acc = current[outIndex];
                    for (int ky = 0; ky < k; ky++)
                    {
                        int y = oy * s - p + ky;
                        if (y < 0 || y >= h)
                        {
                            continue;
                        }

                        for (int kx = 0; kx < k; kx++)
                        {
                            int x = ox * s - p + kx;
                            if (x < 0 || x >= w)
                            {
                                continue;
                            }

                            for (int c = 0; c < ci; c++)
                            {
                                acc += Weights[((ky * k + kx) * ci + c) * co + o] * input[(y * w + x) * ci + c];
                            }
                        }
                    }

                    current[outIndex] = acc;
                }
            }
        }
    }

    // How many output positions along one axis an input coordinate reaches.
    private int Reach(int coordinate, int outputSize)
    {
        int count = 0;
        for (int kk = 0; kk < Kernel; kk++)
        {
            int scaled = coordinate + Padding - kk;
            if (scaled >= 0 && scaled % Stride == 0 && scaled / Stride < outputSize)
            {
                count++;
            }
        }

        return count;
    }
}
