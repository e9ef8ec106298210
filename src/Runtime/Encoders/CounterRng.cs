using System.Runtime.CompilerServices;

namespace SnnServe.Runtime.Encoders;

/// <summary>
/// Counter-based random numbers: the value for (seed, timestep, element) is a pure function of
/// those three, so a request's spikes do not depend on which thread, batch or slot ran it, nor
/// on how many other numbers were drawn before. The mixer is SplitMix64's finaliser applied to
/// the mixed seed xor the (timestep, element) counter.
/// </summary>
public static class CounterRng
{
    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Uniform(ulong seed, uint timestep, uint element)
    {
        ulong counter = ((ulong)timestep << 32) | element;
        ulong z = Mix(Mix(seed + 0x9E3779B97F4A7C15UL) ^ counter);
        return (z >> 40) * (1f / 16777216f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
