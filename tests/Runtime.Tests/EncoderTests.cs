using SnnServe.Runtime.Encoders;

namespace SnnServe.Runtime.Tests;

public sealed class EncoderTests
{
    [Fact]
    public void CounterRng_PureFunctionOfSeedTimestepElement()
    {
        float first = CounterRng.Uniform(7, 3, 100);
        for (int i = 0; i < 1000; i++)
        {
            CounterRng.Uniform((ulong)i, (uint)i, (uint)i);
        }

        Assert.Equal(first, CounterRng.Uniform(7, 3, 100));
        Assert.NotEqual(first, CounterRng.Uniform(8, 3, 100));
        Assert.NotEqual(first, CounterRng.Uniform(7, 4, 100));
        Assert.NotEqual(first, CounterRng.Uniform(7, 3, 101));
    }

    [Fact]
    public void CounterRng_UniformInUnitInterval_MeanAndBucketsAsExpected()
    {
        const int n = 200_000;
        var buckets = new int[10];
        double sum = 0;
        for (uint i = 0; i < n; i++)
        {
            float u = CounterRng.Uniform(12345, i / 1000, i % 1000);
            Assert.InRange(u, 0f, 0.99999994f);
            sum += u;
            buckets[(int)(u * 10)]++;
        }

        Assert.Equal(0.5, sum / n, 0.005);
        Assert.All(buckets, b => Assert.InRange(b, n / 10 * 0.97, n / 10 * 1.03));
    }

    [Fact]
    public void CounterRng_NeighbouringSeedsUncorrelated()
    {
        int agree = 0;
        for (uint i = 0; i < 10_000; i++)
        {
            if (CounterRng.Uniform(1, 1, i) < 0.5f == CounterRng.Uniform(2, 1, i) < 0.5f)
            {
                agree++;
            }
        }

        Assert.InRange(agree, 4800, 5200);
    }
}
