using SnnServe.Training.Data;
using static TorchSharp.torch;

namespace SnnServe.Training.Tests;

/// <summary>The trainer's augmentation: affine only by default, plus an elastic field with --elastic.</summary>
public sealed class AugmentationTests
{
    private static readonly MnistData Data = MnistData.LoadBundled();

    [Fact]
    public void Elastic_DeterministicPerSeed_InRange_DiffersFromAffine_KeepsTheInk()
    {
        using var scope = NewDisposeScope();
        int[] images = Data.Indices(SplitPart.Train).Take(8).ToArray();
        var (x, _) = Trainer.Batch(Data, images);

        float[] affine = Trainer.Augment(x, new Random(5)).data<float>().ToArray();
        float[] affineAgain = Trainer.Augment(x, new Random(5), elastic: 0).data<float>().ToArray();
        float[] elastic = Trainer.Augment(x, new Random(5), elastic: 34).data<float>().ToArray();
        float[] elasticAgain = Trainer.Augment(x, new Random(5), elastic: 34).data<float>().ToArray();

        Assert.Equal(affine, affineAgain);
        Assert.Equal(elastic, elasticAgain);
        Assert.All(elastic, v => Assert.InRange(v, 0f, 1f));
        // Same affine draws, then the displacement: pixels move by about a pixel (σ-smoothed field of
        // α = 34), so the images differ but the amount of ink per image stays close.
        int changed = affine.Zip(elastic).Count(p => Math.Abs(p.First - p.Second) > 0.05f);
        Assert.InRange(changed, affine.Length / 50, affine.Length / 2);
        for (int k = 0; k < images.Length; k++)
        {
            float before = affine.Skip(k * 784).Take(784).Sum(), after = elastic.Skip(k * 784).Take(784).Sum();
            Assert.InRange(after, before * 0.8f, before * 1.2f);
        }
    }

    [Fact]
    public void ElasticOption_Parsed()
    {
        Assert.Equal(0, TrainSettings.Parse([]).Elastic);
        Assert.Equal(34, TrainSettings.Parse(["--elastic", "34"]).Elastic);
    }
}
