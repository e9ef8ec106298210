using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SnnServe.Runtime.Kernels;

/// <summary>
/// Element-wise SIMD primitives of the event-driven kernel (Vector512 where the CPU accelerates it,
/// then Vector256, then a scalar tail).
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
        if (destination.Length < row.Length)
        {
            throw new ArgumentException("destination is shorter than the row", nameof(destination));
        }

        Add(ref MemoryMarshal.GetReference(destination), ref MemoryMarshal.GetReference(row), row.Length);
    }

    /// <summary>destination[i] = destination[i] + row[i]·scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(Span<float> destination, ReadOnlySpan<float> row, float scale)
    {
        if (destination.Length < row.Length)
        {
            throw new ArgumentException("destination is shorter than the row", nameof(destination));
        }

        AddScaled(ref MemoryMarshal.GetReference(destination), ref MemoryMarshal.GetReference(row), row.Length, scale);
    }

    /// <summary>d[i] = d[i] + row[i] for i &lt; n (no bounds checks: callers guarantee the ranges).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref float d, ref float row, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                (Vector512.LoadUnsafe(ref d, (nuint)i) + Vector512.LoadUnsafe(ref row, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref d, (nuint)i) + Vector256.LoadUnsafe(ref row, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) += Unsafe.Add(ref row, i);
        }
    }

    /// <summary>d[i] = d[i] + row[i]·scale for i &lt; n (no bounds checks: callers guarantee the ranges).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(ref float d, ref float row, int n, float scale)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> s = Vector512.Create(scale);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                (Vector512.LoadUnsafe(ref d, (nuint)i) + Vector512.LoadUnsafe(ref row, (nuint)i) * s).StoreUnsafe(ref d, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s = Vector256.Create(scale);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref d, (nuint)i) + Vector256.LoadUnsafe(ref row, (nuint)i) * s).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) += Unsafe.Add(ref row, i) * scale;
        }
    }

    /// <summary>d[i] = source[i] for i &lt; n (no bounds checks: callers guarantee the ranges).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(ref float d, ref float source, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                Vector512.LoadUnsafe(ref source, (nuint)i).StoreUnsafe(ref d, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256.LoadUnsafe(ref source, (nuint)i).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) = Unsafe.Add(ref source, i);
        }
    }

    /// <summary>
    /// Appends <paramref name="offset"/> + b for every set bit b of <paramref name="mask"/>, ascending,
    /// to <paramref name="indices"/> from <paramref name="count"/>; returns the new count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AppendSetBits(ulong mask, int offset, Span<int> indices, int count)
    {
        while (mask != 0)
        {
            indices[count++] = offset + BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
        }

        return count;
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
                count = AppendSetBits(mask, i, indices, count);
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
