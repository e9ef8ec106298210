using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SnnServe.Runtime.Kernels;

/// <summary>
/// Element-wise SIMD primitives of the event-driven kernel (Vector256 with a scalar tail).
/// Every lane computes exactly what the scalar expression computes (a separate multiply and
/// add, never a fused multiply-add), so vector and scalar code agree bit for bit.
/// </summary>
[SkipLocalsInit]
public static class VectorMath
{
    /// <summary>destination[i] = destination[i] + row[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(Span<float> destination, ReadOnlySpan<float> row)
    {
        ref float d = ref MemoryMarshal.GetReference(destination);
        ref float r = ref MemoryMarshal.GetReference(row);
        int n = row.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref d, (nuint)i) + Vector256.LoadUnsafe(ref r, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) += Unsafe.Add(ref r, i);
        }
    }

    /// <summary>destination[i] = destination[i] + row[i]·scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(Span<float> destination, ReadOnlySpan<float> row, float scale)
    {
        ref float d = ref MemoryMarshal.GetReference(destination);
        ref float r = ref MemoryMarshal.GetReference(row);
        int n = row.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s = Vector256.Create(scale);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref d, (nuint)i) + Vector256.LoadUnsafe(ref r, (nuint)i) * s).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) += Unsafe.Add(ref r, i) * scale;
        }
    }

    /// <summary>Writes the ascending indices of the non-zero elements of <paramref name="values"/>; returns their count.</summary>
    public static int CollectNonZero(ReadOnlySpan<float> values, Span<int> indices)
    {
        ref float v = ref MemoryMarshal.GetReference(values);
        int n = values.Length, i = 0, count = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                uint mask = ~Vector256.Equals(Vector256.LoadUnsafe(ref v, (nuint)i), Vector256<float>.Zero).ExtractMostSignificantBits() & 0xFFu;
                while (mask != 0)
                {
                    indices[count++] = i + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                }
            }
        }

        for (; i < n; i++)
        {
            if (Unsafe.Add(ref v, i) != 0f)
            {
                indices[count++] = i;
            }
        }

        return count;
    }
}
