namespace SnnServe.Runtime.Exit;

/// <summary>Softmax and the statistics exit policies read from it.</summary>
public static class Probabilities
{
    /// <summary>Writes softmax(<paramref name="logits"/> · <paramref name="scale"/>) into <paramref name="probabilities"/> (max-subtracted).</summary>
    public static void Softmax(ReadOnlySpan<float> logits, float scale, Span<float> probabilities)
    {
        float max = float.NegativeInfinity;
        for (int k = 0; k < logits.Length; k++)
        {
            max = MathF.Max(max, logits[k] * scale);
        }

        float sum = 0f;
        for (int k = 0; k < logits.Length; k++)
        {
            float e = MathF.Exp(logits[k] * scale - max);
            probabilities[k] = e;
            sum += e;
        }

        float inverse = 1f / sum;
        for (int k = 0; k < logits.Length; k++)
        {
            probabilities[k] *= inverse;
        }
    }

    /// <summary>Index of the largest value (the first one on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int k = 1; k < values.Length; k++)
        {
            if (values[k] > values[best])
            {
                best = k;
            }
        }

        return best;
    }

    /// <summary>Largest minus second largest value.</summary>
    public static float Margin(ReadOnlySpan<float> values)
    {
        float first = float.NegativeInfinity, second = float.NegativeInfinity;
        foreach (float v in values)
        {
            if (v > first)
            {
                second = first;
                first = v;
            }
            else if (v > second)
            {
                second = v;
            }
        }

        return values.Length < 2 ? first : first - second;
    }

    /// <summary>Shannon entropy in nats (terms with p = 0 contribute 0).</summary>
    public static float Entropy(ReadOnlySpan<float> probabilities)
    {
        double h = 0;
        foreach (float p in probabilities)
        {
            if (p > 0f)
            {
                h -= p * Math.Log(p);
            }
        }

        return (float)h;
    }
}
