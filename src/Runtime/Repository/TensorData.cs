namespace SnnServe.Runtime.Repository;

/// <summary>A float32 tensor read from a safetensors file: its shape and its values, row-major.</summary>
public sealed record TensorData(string Name, int[] Shape, float[] Values)
{
    /// <summary>Number of elements (product of the shape; 1 for a scalar).</summary>
    public int ElementCount => Values.Length;

    /// <summary>The shape as text, e.g. <c>[16, 1, 3, 3]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
