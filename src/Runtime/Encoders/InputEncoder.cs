using SnnServe.Runtime.Kernels;
using SnnServe.Runtime.Network;

namespace SnnServe.Runtime.Encoders;

/// <summary>
/// Turns a request's input (channel-first, as clients send it) into per-timestep first-layer
/// input in <see cref="NetworkState"/>. The intensity of element i is
/// <c>x_i = g · ((raw_i − mean) / std) · gain(m_i)</c>, with gain = 1 unless rate modulation is on.
/// Direct encoding writes x once (static input); rate encoding fires element i at timestep t when
/// <c>CounterRng.Uniform(seed, t, i) &lt; clamp(x_i, 0, 1)</c>, i being the channel-first index.
/// </summary>
public sealed class InputEncoder
{
    private readonly float[] _probability;
    private readonly int[] _candidates;
    private readonly int[] _chwOf; // channel-first index of each channel-last element
    private int[] _mapCell = [];   // attention cell of each pixel for the map size below
    private int _mapHeight, _mapWidth;
    private int _candidateCount;
    private EncoderKind _kind;
    private ulong _seed;

    /// <summary>Allocates buffers for inputs of <paramref name="shape"/>.</summary>
    public InputEncoder(Shape3 shape)
    {
        Shape = shape;
        _probability = new float[shape.Size];
        _candidates = new int[shape.Size];
        _chwOf = new int[shape.Size];
        for (int c = 0; c < shape.Channels; c++)
        {
            for (int y = 0; y < shape.Height; y++)
            {
                for (int x = 0; x < shape.Width; x++)
                {
                    _chwOf[shape.Hwc(c, y, x)] = shape.Chw(c, y, x);
                }
            }
        }
    }

    // Pixel (y, x) reads attention cell (y·h / H)·w + x·w / W: computed once per map size, not per request.
    private int[] MapCells(int mapHeight, int mapWidth)
    {
        if (mapHeight != _mapHeight || mapWidth != _mapWidth || _mapCell.Length == 0)
        {
            Shape3 s = Shape;
            var cells = new int[s.Height * s.Width];
            for (int y = 0; y < s.Height; y++)
            {
                for (int x = 0; x < s.Width; x++)
                {
                    cells[y * s.Width + x] = y * mapHeight / s.Height * mapWidth + x * mapWidth / s.Width;
                }
            }

            (_mapCell, _mapHeight, _mapWidth) = (cells, mapHeight, mapWidth);
        }

        return _mapCell;
    }

    public Shape3 Shape { get; }

    /// <summary>
    /// Prepares a request. <paramref name="attention"/> (h × w, row-major) may be empty; when
    /// <paramref name="mode"/> is <see cref="ModulationMode.Rate"/> it scales intensities, when it is
    /// <see cref="ModulationMode.Potential"/> it raises the first layer's bias in <paramref name="state"/>.
    /// </summary>
    public void Prepare(
        NetworkState state, ReadOnlySpan<float> inputChw, EncoderKind kind, float gain, float mean, float std,
        ReadOnlySpan<float> attention, int mapHeight, int mapWidth, ModulationMode mode, float strength, ulong seed)
    {
        _kind = kind;
        _seed = seed;
        Shape3 s = Shape;
        bool rateModulation = attention.Length > 0 && mode == ModulationMode.Rate;
        float inverseStd = 1f / std;
        int[] cells = rateModulation ? MapCells(mapHeight, mapWidth) : [];
        int channels = s.Channels;
        for (int i = 0; i < _probability.Length; i++)
        {
            float value = gain * ((inputChw[_chwOf[i]] - mean) * inverseStd);
            if (rateModulation)
            {
                float m = attention[cells[channels == 1 ? i : i / channels]];
                value *= 1f + strength * (2f * m - 1f);
            }

            _probability[i] = value;
        }

        if (attention.Length > 0 && mode == ModulationMode.Potential && strength != 0f)
        {
            ApplyPotentialBoost(state, attention, mapHeight, mapWidth, strength);
        }

        if (kind == EncoderKind.Direct)
        {
            _probability.CopyTo(state.Input, 0);
            state.InputEventCount = VectorMath.CollectNonZero(state.Input, state.InputEvents);
            state.InputBinary = false;
            state.InputStatic = true;
            return;
        }

        _candidateCount = 0;
        for (int i = 0; i < _probability.Length; i++)
        {
            float p = Math.Clamp(_probability[i], 0f, 1f);
            _probability[i] = p;
            if (p > 0f)
            {
                _candidates[_candidateCount++] = i;
            }
        }

        state.InputBinary = true;
        state.InputStatic = false;
    }

    /// <summary>Writes the input of the next timestep (t = state.Timestep + 1) into <paramref name="state"/>.</summary>
    public void Encode(NetworkState state)
    {
        if (_kind == EncoderKind.Direct)
        {
            return;
        }

        uint t = (uint)state.Timestep + 1;
        float[] input = state.Input;
        int[] events = state.InputEvents;
        for (int e = 0; e < state.InputEventCount; e++)
        {
            input[events[e]] = 0f;
        }

        int count = 0;
        for (int k = 0; k < _candidateCount; k++)
        {
            int i = _candidates[k];
            if (CounterRng.Uniform(_seed, t, (uint)_chwOf[i]) < _probability[i])
            {
                input[i] = 1f;
                events[count++] = i;
            }
        }

        state.InputEventCount = count;
    }

    private static void ApplyPotentialBoost(NetworkState state, ReadOnlySpan<float> attention, int mapHeight, int mapWidth, float strength)
    {
        Shape3 first = state.Network.Hidden[0].Output;
        float[] bias = state.FirstLayerBias;
        state.FirstLayerBiasModified = true;
        for (int y = 0; y < first.Height; y++)
        {
            for (int x = 0; x < first.Width; x++)
            {
                float m = attention[y * mapHeight / first.Height * mapWidth + x * mapWidth / first.Width];
                float add = strength * m;
                for (int c = 0; c < first.Channels; c++)
                {
                    bias[first.Hwc(c, y, x)] += add;
                }
            }
        }
    }
}
