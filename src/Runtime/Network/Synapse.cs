namespace SnnServe.Runtime.Network;

/// <summary>
/// A weight connection from an input map to an output map, able to run in two ways with one
/// semantics: <see cref="Scatter"/> (event-driven: each non-zero input adds its contiguous
/// weight row to the outputs it reaches) and <see cref="Gather"/> (dense reference: each output
/// sums over all its inputs). Both add contributions to an output in ascending input index, so
/// they produce bit-identical currents.
/// </summary>
public abstract class Synapse
{
    protected Synapse(Shape3 input, Shape3 output, float[] bias)
    {
        Input = input;
        Output = output;
        Bias = bias;
        FanOut = new int[input.Size];
    }

    public Shape3 Input { get; }
    public Shape3 Output { get; }

    /// <summary>Bias per output neuron (channel-last order).</summary>
    public float[] Bias { get; }

    /// <summary>Number of outputs each input element reaches: the synaptic events one input spike causes.</summary>
    public int[] FanOut { get; }

    /// <summary>Number of weights.</summary>
    public abstract long WeightCount { get; }

    /// <summary>
    /// Adds the contribution of the active inputs listed (ascending) in
    /// <paramref name="events"/> to <paramref name="current"/>. When <paramref name="binary"/> the
    /// input values are 1 and the rows are added as is; otherwise each row is scaled by its value.
    /// Returns the number of synaptic operations performed.
    /// </summary>
    public abstract long Scatter(ReadOnlySpan<int> events, ReadOnlySpan<float> values, bool binary, Span<float> current);

    /// <summary>Adds W·input to <paramref name="current"/>, looping over every output and input (reference).</summary>
    public abstract void Gather(ReadOnlySpan<float> input, Span<float> current);
}
