using SnnServe.Runtime.Kernels;

namespace SnnServe.Runtime.Network;

/// <summary>
/// Fully connected synapse. Weights are stored input-major, <c>WT[j·Out + i]</c> = W[i, j], so
/// that input j's spike adds one contiguous row of <c>Out</c> floats (SIMD) to the current.
/// </summary>
public sealed class DenseSynapse : Synapse
{
    /// <summary>Creates the synapse from input-major weights.</summary>
    public DenseSynapse(int inputs, int outputs, float[] weightsInputMajor, float[] bias)
        : base(new Shape3(inputs, 1, 1), new Shape3(outputs, 1, 1), bias)
    {
        WeightsInputMajor = weightsInputMajor;
        FanOut.AsSpan().Fill(outputs);
    }

    /// <summary>W transposed: row j holds the weights from input j to every output.</summary>
    public float[] WeightsInputMajor { get; }

    public override long WeightCount => WeightsInputMajor.LongLength;

    public override long Scatter(ReadOnlySpan<int> events, ReadOnlySpan<float> values, bool binary, Span<float> current)
    {
        int outputs = Output.Size;
        ReadOnlySpan<float> weights = WeightsInputMajor;
        for (int e = 0; e < events.Length; e++)
        {
            int j = events[e];
            ReadOnlySpan<float> row = weights.Slice(j * outputs, outputs);
            if (binary)
            {
                VectorMath.Add(current, row);
            }
            else
            {
                VectorMath.AddScaled(current, row, values[j]);
            }
        }

        return (long)events.Length * outputs;
    }

    public override void Gather(ReadOnlySpan<float> input, Span<float> current)
    {
        int outputs = Output.Size;
        float[] weights = WeightsInputMajor;
        for (int i = 0; i < outputs; i++)
        {
            float acc = current[i];
            for (int j = 0; j < input.Length; j++)
            {
                acc += weights[j * outputs + i] * input[j];
            }

            current[i] = acc;
        }
    }
}
