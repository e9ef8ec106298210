namespace SnnServe.Benchmarks.Report;

/// <summary>
/// Ways to make a test digit harder, each with a level (0 = the original). Deterministic: the
/// random parts are seeded by the image index and the level.
/// </summary>
public static class Perturbations
{
    public sealed record Kind(string Name, string Unit, double[] Levels, Func<float[], int, double, float[]> Apply);

    public static readonly Kind[] All =
    [
        new("Gaussian noise", "σ", [0, 0.1, 0.2, 0.3, 0.4, 0.5], Noise),
        new("occlusion", "square side (px)", [0, 4, 8, 12, 16], Occlude),
        new("blur", "box radius (px)", [0, 1, 2, 3], Blur),
    ];

    /// <summary>
    /// The random seed of (image, level): the same in every process (HashCode.Combine is not — it is
    /// randomised per process, which made the difficulty section differ from run to run).
    /// </summary>
    public static int StableSeed(int seed, double level) => unchecked(seed * 1_000_003 + (int)Math.Round(level * 1000));

    /// <summary>x + N(0, σ²), clamped to [0, 1].</summary>
    public static float[] Noise(float[] image, int seed, double sigma)
    {
        var random = new Random(StableSeed(seed, sigma));
        var result = new float[image.Length];
        for (int i = 0; i < image.Length; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            double gaussian = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            result[i] = (float)Math.Clamp(image[i] + sigma * gaussian, 0, 1);
        }

        return result;
    }

    /// <summary>A black square of the given side at a random position over the digit's central 20×20 area.</summary>
    public static float[] Occlude(float[] image, int seed, double side)
    {
        float[] result = image.ToArray();
        int s = (int)side;
        if (s == 0)
        {
            return result;
        }

        var random = new Random(StableSeed(seed, side));
        int y0 = 4 + random.Next(Math.Max(1, 20 - s + 1)), x0 = 4 + random.Next(Math.Max(1, 20 - s + 1));
        for (int y = y0; y < Math.Min(28, y0 + s); y++)
        {
            for (int x = x0; x < Math.Min(28, x0 + s); x++)
            {
                result[y * 28 + x] = 0;
            }
        }

        return result;
    }

    /// <summary>Box blur of the given radius (mean over a (2r+1)² window, zero outside).</summary>
    public static float[] Blur(float[] image, int seed, double radius)
    {
        int r = (int)radius;
        if (r == 0)
        {
            return image.ToArray();
        }

        var result = new float[image.Length];
        float scale = 1f / ((2 * r + 1) * (2 * r + 1));
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                float sum = 0;
                for (int dy = -r; dy <= r; dy++)
                {
                    for (int dx = -r; dx <= r; dx++)
                    {
                        int yy = y + dy, xx = x + dx;
                        if (yy >= 0 && yy < 28 && xx >= 0 && xx < 28)
                        {
                            sum += image[yy * 28 + xx];
                        }
                    }
                }

                result[y * 28 + x] = sum * scale;
            }
        }

        return result;
    }
}
