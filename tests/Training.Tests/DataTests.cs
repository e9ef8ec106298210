using SnnServe.Training.Data;

namespace SnnServe.Training.Tests;

public sealed class DataTests
{
    private static readonly MnistData Data = MnistData.LoadBundled();

    [Fact]
    public void BundledData_TenThousandImages_FixedSplitSizes()
    {
        Assert.Equal(10_000, Data.Count);
        Assert.Equal(1_996, Data.Indices(SplitPart.Test).Length);
        int validation = Data.Indices(SplitPart.Validation).Length;
        Assert.InRange(validation, 780, 820);
        Assert.Equal(10_000 - 1_996 - validation, Data.Indices(SplitPart.Train).Length);
        Assert.Equal([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978], Enumerable.Range(0, 10).Select(d => Data.Labels.Count(l => l == d)));
    }

    [Theory]
    [InlineData(0, SplitPart.Train)]
    [InlineData(4, SplitPart.Test)]
    [InlineData(9, SplitPart.Test)]
    [InlineData(11, SplitPart.Validation)]
    [InlineData(12, SplitPart.Train)]
    public void PartOf_FollowsTheDocumentedRule(int indexInDigit, SplitPart expected) =>
        Assert.Equal(expected, MnistData.PartOf(indexInDigit));

    [Fact]
    public void Images_InUnitRange_NotBlank()
    {
        Assert.All(Data.Images, v => Assert.InRange(v, 0f, 1f));
        for (int i = 0; i < Data.Count; i += 997)
        {
            Assert.True(Data.Image(i).ToArray().Count(p => p > 0.5f) > 30, $"image {i} looks blank");
        }
    }

    [Fact]
    public void Idx_RoundTrips()
    {
        string file = Path.Combine(Path.GetTempPath(), $"idx-{Guid.NewGuid():N}.gz");
        try
        {
            byte[] bytes = [1, 2, 3, 250, 0, 7];
            IdxFile.Write(file, [2, 3], bytes);
            var (dims, data) = IdxFile.Read(file);
            Assert.Equal([2, 3], dims);
            Assert.Equal(bytes, data);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
