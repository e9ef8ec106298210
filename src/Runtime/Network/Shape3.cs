namespace SnnServe.Runtime.Network;

/// <summary>
/// A feature-map shape (channels, height, width). Dense activations are <c>[N, 1, 1]</c>.
/// The runtime stores activations channel-last (HWC): index = (y·W + x)·C + c.
/// </summary>
public readonly record struct Shape3(int Channels, int Height, int Width)
{
    /// <summary>Number of elements.</summary>
    public int Size => Channels * Height * Width;

    /// <summary>Shape as manifest text, e.g. <c>[16, 14, 14]</c>.</summary>
    public override string ToString() => $"[{Channels}, {Height}, {Width}]";

    /// <summary>Channel-last index of (c, y, x).</summary>
    public int Hwc(int c, int y, int x) => (y * Width + x) * Channels + c;

    /// <summary>Channel-first (PyTorch) index of (c, y, x).</summary>
    public int Chw(int c, int y, int x) => (c * Height + y) * Width + x;
}
