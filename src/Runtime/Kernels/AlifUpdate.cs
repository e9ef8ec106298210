using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SnnServe.Runtime.Network;

namespace SnnServe.Runtime.Kernels;

/// <summary>
/// One timestep of a population of ALIF neurons (ARCHITECTURE.md contract 2), given the input
/// current I_t already summed into <c>current</c>:
/// <code>
///   a_t = ρ·a_{t−1} + (1−ρ)·s_{t−1}
///   θ_t = θ0 + β·a_t
///   v_t = α·v_{t−1} + I_t − θ_{t−1}·s_{t−1}      (reset by subtraction)
///   s_t = H(v_t − θ_t)                           (H(x) = 1 when x &gt; 0)
/// </code>
/// State arrays are per neuron, channel-last; <c>spikes</c> holds s_{t−1} on entry and s_t (0/1)
/// on exit. The operation order above is the order of the float32 operations, in the scalar
/// reference, in the SIMD version and in the trainer.
/// </summary>
[SkipLocalsInit]
public static class AlifUpdate
{
    /// <summary>Scalar reference update. Returns the number of spikes.</summary>
    public static int Scalar(NeuronParameters p, Span<float> v, Span<float> a, Span<float> spikes, ReadOnlySpan<float> current)
    {
        int count = 0;
        for (int i = 0; i < v.Length; i++)
        {
            float s = spikes[i];
            float thetaPrevious = p.Theta0[i] + p.Beta[i] * a[i];
            float aNew = p.Rho[i] * a[i] + p.OneMinusRho[i] * s;
            float theta = p.Theta0[i] + p.Beta[i] * aNew;
            float vNew = p.Alpha[i] * v[i] + current[i] - thetaPrevious * s;
            float sNew = vNew - theta > 0f ? 1f : 0f;
            a[i] = aNew;
            v[i] = vNew;
            spikes[i] = sNew;
            count += (int)sNew;
        }

        return count;
    }

    /// <summary>
    /// SIMD update that also writes the ascending indices of the neurons that fired into
    /// <paramref name="events"/>. Returns the number of spikes.
    /// </summary>
    public static int Vectorized(NeuronParameters p, Span<float> v, Span<float> a, Span<float> spikes, ReadOnlySpan<float> current, Span<int> events)
    {
        int n = v.Length, i = 0, count = 0;
        ref float rv = ref MemoryMarshal.GetReference(v);
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rs = ref MemoryMarshal.GetReference(spikes);
        ref float ri = ref MemoryMarshal.GetReference(current);
        ref float alpha = ref MemoryMarshal.GetArrayDataReference(p.Alpha);
        ref float rho = ref MemoryMarshal.GetArrayDataReference(p.Rho);
        ref float omr = ref MemoryMarshal.GetArrayDataReference(p.OneMinusRho);
        ref float beta = ref MemoryMarshal.GetArrayDataReference(p.Beta);
        ref float theta0 = ref MemoryMarshal.GetArrayDataReference(p.Theta0);
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> one = Vector256.Create(1f);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                nuint o = (nuint)i;
                Vector256<float> s = Vector256.LoadUnsafe(ref rs, o);
                Vector256<float> aOld = Vector256.LoadUnsafe(ref ra, o);
                Vector256<float> th0 = Vector256.LoadUnsafe(ref theta0, o);
                Vector256<float> b = Vector256.LoadUnsafe(ref beta, o);
                Vector256<float> thetaPrevious = th0 + b * aOld;
                Vector256<float> aNew = Vector256.LoadUnsafe(ref rho, o) * aOld + Vector256.LoadUnsafe(ref omr, o) * s;
                Vector256<float> theta = th0 + b * aNew;
                Vector256<float> vNew = Vector256.LoadUnsafe(ref alpha, o) * Vector256.LoadUnsafe(ref rv, o) + Vector256.LoadUnsafe(ref ri, o) - thetaPrevious * s;
                Vector256<float> fired = Vector256.GreaterThan(vNew - theta, Vector256<float>.Zero);
                aNew.StoreUnsafe(ref ra, o);
                vNew.StoreUnsafe(ref rv, o);
                (fired & one).StoreUnsafe(ref rs, o);
                count = VectorMath.AppendSetBits(fired.ExtractMostSignificantBits(), i, events, count);
            }
        }

        for (; i < n; i++)
        {
            float s = Unsafe.Add(ref rs, i);
            float aOld = Unsafe.Add(ref ra, i);
            float thetaPrevious = Unsafe.Add(ref theta0, i) + Unsafe.Add(ref beta, i) * aOld;
            float aNew = Unsafe.Add(ref rho, i) * aOld + Unsafe.Add(ref omr, i) * s;
            float theta = Unsafe.Add(ref theta0, i) + Unsafe.Add(ref beta, i) * aNew;
            float vNew = Unsafe.Add(ref alpha, i) * Unsafe.Add(ref rv, i) + Unsafe.Add(ref ri, i) - thetaPrevious * s;
            Unsafe.Add(ref ra, i) = aNew;
            Unsafe.Add(ref rv, i) = vNew;
            if (vNew - theta > 0f)
            {
                Unsafe.Add(ref rs, i) = 1f;
                events[count++] = i;
            }
            else
            {
                Unsafe.Add(ref rs, i) = 0f;
            }
        }

        return count;
    }

    /// <summary>
    /// The first timestep of a fresh state (v = a = s = 0): the update reduces to a = 0, θ = θ0,
    /// v = 0 + I, s = H(v − θ0), so only I and θ0 are read — the same float results as
    /// <see cref="Vectorized"/> on zero state (0·x and x + 0·y are exact) with a third of its memory
    /// traffic, and without the state having been cleared first: v, a and s are all written.
    /// </summary>
    public static int FirstStep(NeuronParameters p, Span<float> v, Span<float> a, Span<float> spikes, ReadOnlySpan<float> current, Span<int> events)
    {
        int n = v.Length, i = 0, count = 0;
        a.Clear();
        ref float rv = ref MemoryMarshal.GetReference(v);
        ref float rs = ref MemoryMarshal.GetReference(spikes);
        ref float ri = ref MemoryMarshal.GetReference(current);
        ref float theta0 = ref MemoryMarshal.GetArrayDataReference(p.Theta0);
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> one = Vector256.Create(1f);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                nuint o = (nuint)i;
                Vector256<float> vNew = Vector256<float>.Zero + Vector256.LoadUnsafe(ref ri, o);
                Vector256<float> theta = Vector256.LoadUnsafe(ref theta0, o) + Vector256<float>.Zero;
                Vector256<float> fired = Vector256.GreaterThan(vNew - theta, Vector256<float>.Zero);
                vNew.StoreUnsafe(ref rv, o);
                (fired & one).StoreUnsafe(ref rs, o);
                count = VectorMath.AppendSetBits(fired.ExtractMostSignificantBits(), i, events, count);
            }
        }

        for (; i < n; i++)
        {
            float vNew = 0f + Unsafe.Add(ref ri, i);
            Unsafe.Add(ref rv, i) = vNew;
            if (vNew - (Unsafe.Add(ref theta0, i) + 0f) > 0f)
            {
                Unsafe.Add(ref rs, i) = 1f;
                events[count++] = i;
            }
            else
            {
                Unsafe.Add(ref rs, i) = 0f;
            }
        }

        return count;
    }

    /// <summary>
    /// The spikes of <see cref="FirstStep"/> for neurons [<paramref name="offset"/>, offset + length)
    /// alone, appended to <paramref name="events"/> from <paramref name="count"/>; writes no state
    /// (v = I, a = 0 and s are implied until <see cref="EventDrivenKernel.Materialize"/>). Returns the new count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int FirstSpikes(float[] theta0Values, ReadOnlySpan<float> current, int offset, int length, Span<int> events, int count)
    {
        int i = offset, end = offset + length;
        ref float ri = ref MemoryMarshal.GetReference(current);
        ref float theta0 = ref MemoryMarshal.GetArrayDataReference(theta0Values);
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= end - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                nuint o = (nuint)i;
                Vector512<float> vNew = Vector512<float>.Zero + Vector512.LoadUnsafe(ref ri, o);
                Vector512<float> theta = Vector512.LoadUnsafe(ref theta0, o) + Vector512<float>.Zero;
                count = VectorMath.AppendSetBits(Vector512.GreaterThan(vNew - theta, Vector512<float>.Zero).ExtractMostSignificantBits(), i, events, count);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= end - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                nuint o = (nuint)i;
                Vector256<float> vNew = Vector256<float>.Zero + Vector256.LoadUnsafe(ref ri, o);
                Vector256<float> theta = Vector256.LoadUnsafe(ref theta0, o) + Vector256<float>.Zero;
                count = VectorMath.AppendSetBits(Vector256.GreaterThan(vNew - theta, Vector256<float>.Zero).ExtractMostSignificantBits(), i, events, count);
            }
        }

        for (; i < end; i++)
        {
            if (0f + Unsafe.Add(ref ri, i) - (Unsafe.Add(ref theta0, i) + 0f) > 0f)
            {
                events[count++] = i;
            }
        }

        return count;
    }
}
