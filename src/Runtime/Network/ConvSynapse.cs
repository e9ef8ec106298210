using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
        BuildReachTable();
        for (int index = 0; index < input.Size; index++)
        {
            int pixel = index / input.Channels;
            FanOut[index] = (_reachStart[pixel + 1] - _reachStart[pixel]) * outChannels;
        }
    }

    // For input pixel q = y·W + x, entries ReachStart[q] .. ReachStart[q + 1] list the output
    // positions it reaches (ReachPosition, = oy·Wo + ox) and the kernel tap (ky·K + kx) joining them,
    // in ascending (ky, kx) order: the scatter then needs no division per event.
    private int[] _reachStart = [];
    private int[] _reachPosition = [];
    private int[] _reachTap = [];

    private void BuildReachTable()
    {
        int h = Input.Height, w = Input.Width, ho = Output.Height, wo = Output.Width;
        int k = Kernel, s = Stride, p = Padding;
        var start = new int[h * w + 1];
        var positions = new List<int>();
        var taps = new List<int>();
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                start[y * w + x] = positions.Count;
                for (int ky = 0; ky < k; ky++)
                {
                    int oyScaled = y + p - ky;
                    if (oyScaled < 0 || oyScaled % s != 0 || oyScaled / s >= ho)
                    {
                        continue;
                    }

                    for (int kx = 0; kx < k; kx++)
                    {
                        int oxScaled = x + p - kx;
                        if (oxScaled < 0 || oxScaled % s != 0 || oxScaled / s >= wo)
                        {
                            continue;
                        }

                        positions.Add(oyScaled / s * wo + oxScaled / s);
                        taps.Add(ky * k + kx);
                    }
                }
            }
        }

        start[h * w] = positions.Count;
        _reachStart = start;
        _reachPosition = positions.ToArray();
        _reachTap = taps.ToArray();
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
        int ci = Input.Channels, co = Output.Channels;
        if (current.Length != Output.Size || values.Length != Input.Size)
        {
            throw new ArgumentException($"conv scatter needs {Input.Size} input values and {Output.Size} currents");
        }

        ref float weights = ref MemoryMarshal.GetArrayDataReference(Weights);
        ref float destination = ref MemoryMarshal.GetReference(current);
        int[] reachStart = _reachStart, reachPosition = _reachPosition, reachTap = _reachTap;
        long ops = 0;
        for (int e = 0; e < events.Length; e++)
        {
            int index = events[e];
            int pixel = ci == 1 ? index : index / ci;
            int c = index - pixel * ci;
            float value = values[index];
            ops += FanOut[index];
            for (int r = reachStart[pixel], end = reachStart[pixel + 1]; r < end; r++)
            {
                ref float d = ref Unsafe.Add(ref destination, reachPosition[r] * co);
                ref float row = ref Unsafe.Add(ref weights, (reachTap[r] * ci + c) * co);
                if (binary)
                {
                    VectorMath.Add(ref d, ref row, co);
                }
                else
                {
                    VectorMath.AddScaled(ref d, ref row, co, value);
                }
            }
        }

        return ops;
    }

    /// <summary>
    /// Marks in <paramref name="reached"/> (one flag per output position oy·Wo + ox) every position
    /// an input event reaches — exactly the positions <see cref="Scatter"/> adds to — and, as each
    /// is first marked, copies its Co bias values into <paramref name="current"/>.
    /// </summary>
    public void MarkReached(ReadOnlySpan<int> events, Span<bool> reached, ReadOnlySpan<float> bias, Span<float> current)
    {
        int ci = Input.Channels, co = Output.Channels, lastPixel = -1;
        if (bias.Length != Output.Size || current.Length != Output.Size || reached.Length != Output.Height * Output.Width)
        {
            throw new ArgumentException("reach buffers do not match the synapse's output");
        }

        ref float b = ref MemoryMarshal.GetReference(bias);
        ref float c = ref MemoryMarshal.GetReference(current);
        for (int e = 0; e < events.Length; e++)
        {
            int pixel = ci == 1 ? events[e] : events[e] / ci;
            if (pixel == lastPixel)
            {
                continue; // another channel of the same pixel reaches the same positions
            }

            lastPixel = pixel;
            for (int r = _reachStart[pixel], end = _reachStart[pixel + 1]; r < end; r++)
            {
                int position = _reachPosition[r];
                if (!reached[position])
                {
                    reached[position] = true;
                    VectorMath.Copy(ref Unsafe.Add(ref c, position * co), ref Unsafe.Add(ref b, position * co), co);
                }
            }
        }
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
}
