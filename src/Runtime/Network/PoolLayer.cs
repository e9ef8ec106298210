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
    }

    public PoolKind Kind { get; }
    public int Size { get; }

    /// <summary>1 / K² for average pooling.</summary>
    public float Scale { get; }

    public override bool Spiking => false;
}
