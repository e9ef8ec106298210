using System.Numerics;
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
        _rowMasks = stride == 1 && kernel % 2 == 1 && padding == kernel / 2 && input.Width <= 64 && input.Height <= 1024;
        _channelShift = int.IsPow2(input.Channels) ? int.Log2(input.Channels) : -1;
        _rowOf = new int[_rowMasks ? input.Height * input.Width : 0];
        for (int pixel = 0; pixel < _rowOf.Length; pixel++)
        {
            _rowOf[pixel] = pixel / input.Width;
        }

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
    private readonly bool _rowMasks;
    private readonly int _channelShift;
    private readonly int[] _rowOf;
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
        if (bias.Length != Output.Size || current.Length != Output.Size || reached.Length != Output.Height * Output.Width)
        {
            throw new ArgumentException("reach buffers do not match the synapse's output");
        }

        if (_rowMasks)
        {
            MarkReachedByRows(events, reached, bias, current);
        }
        else
        {
            MarkReachedByTable(events, reached, bias, current);
        }
    }

    // Any geometry: each event's pixel looks up the positions it reaches.
    internal void MarkReachedByTable(ReadOnlySpan<int> events, Span<bool> reached, ReadOnlySpan<float> bias, Span<float> current)
    {
        int ci = Input.Channels, co = Output.Channels, lastPixel = -1;
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

    // "Same" convolutions (stride 1, odd K, padding (K − 1)/2, width ≤ 64): one bit mask per input
    // row marks the pixels that have an event; output row oy is reached where the masks of input rows
    // oy − P … oy + P, OR-ed and then shifted by each kernel column offset, have a bit. A few dozen
    // word operations instead of K² flag tests per event; positions come out in ascending order.
    internal void MarkReachedByRows(ReadOnlySpan<int> events, Span<bool> reached, ReadOnlySpan<float> bias, Span<float> current)
    {
        int h = Input.Height, w = Input.Width, co = Output.Channels, ci = Input.Channels, p = Padding;
        Span<ulong> rows = stackalloc ulong[h];
        rows.Clear();
        int[] rowOf = _rowOf;
        for (int e = 0; e < events.Length; e++)
        {
            int pixel = _channelShift >= 0 ? events[e] >> _channelShift : events[e] / ci;
            int y = rowOf[pixel];
            rows[y] |= 1UL << (pixel - y * w);
        }

        ulong width = w == 64 ? ulong.MaxValue : (1UL << w) - 1;
        ref float b = ref MemoryMarshal.GetReference(bias);
        ref float c = ref MemoryMarshal.GetReference(current);
        for (int oy = 0; oy < h; oy++)
        {
            ulong inputs = 0;
            for (int y = Math.Max(0, oy - p), last = Math.Min(h - 1, oy + p); y <= last; y++)
            {
                inputs |= rows[y];
            }

            if (inputs == 0)
            {
                continue;
            }

            ulong mask = inputs;
            for (int shift = 1; shift <= p; shift++)
            {
                mask |= (inputs << shift) | (inputs >> shift);
            }

            mask &= width;
            while (mask != 0)
            {
                int position = oy * w + BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
                reached[position] = true;
                VectorMath.Copy(ref Unsafe.Add(ref c, position * co), ref Unsafe.Add(ref b, position * co), co);
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
