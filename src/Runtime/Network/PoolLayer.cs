namespace SnnServe.Runtime.Network;

/// <summary>
/// Non-overlapping K×K pooling (stride K, no padding; rows/columns past the last full window are
/// dropped, as PyTorch does) over the binary spike map of the previous spiking layer.
/// </summary>
public sealed class PoolLayer : NetworkLayer
{
    public PoolLayer(string name, Shape3 input, PoolKind kind, int size)
        : base(name, input, new Shape3(input.Channels, input.Height / size, input.Width / size))
    {
        Kind = kind;
        Size = size;
        Scale = 1f / (size * size);
        Target = new int[input.Size];
        for (int index = 0; index < input.Size; index++)
        {
            int channel = index % input.Channels, pixel = index / input.Channels;
            int oy = pixel / input.Width / size, ox = pixel % input.Width / size;
            Target[index] = oy < Output.Height && ox < Output.Width ? (oy * Output.Width + ox) * input.Channels + channel : -1;
        }
    }

    /// <summary>The output (channel-last) each input feeds, or −1 for inputs cropped by the floor division.</summary>
    public int[] Target { get; }

    public PoolKind Kind { get; }
    public int Size { get; }

    /// <summary>1 / K² for average pooling.</summary>
    public float Scale { get; }

    public override bool Spiking => false;
}
