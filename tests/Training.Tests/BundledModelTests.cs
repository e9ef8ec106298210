using SnnServe.Runtime.Repository;
using SnnServe.Training.Data;

namespace SnnServe.Training.Tests;

/// <summary>
/// The models committed under models/ load in the runtime, carry provenance, and an evaluation
/// through the runtime reproduces the test accuracy and mean exit timestep their manifests state
/// (the CPU path is deterministic, so the numbers must match exactly as rounded in the manifest).
/// </summary>
public sealed class BundledModelTests
{
    private static readonly string Repository = MnistData.FindUp(AppContext.BaseDirectory, "models")
        ?? throw new DirectoryNotFoundException("models/ not found");

    private static IEnumerable<string> ModelNames() =>
        Directory.EnumerateDirectories(Repository).Select(d => Path.GetFileName(d)).Where(n => !n.StartsWith('.')).Order();

    public static TheoryData<string> BundledModels() => new(ModelNames());

    [Fact]
    public void DefaultModel_IsBundled() => Assert.Contains("mnist-alif", ModelNames());

    [Theory]
    [MemberData(nameof(BundledModels))]
    public void BundledModel_EvaluationReproducesManifestNumbers(string model)
    {
        string folder = Directory.EnumerateDirectories(Path.Combine(Repository, model)).OrderBy(v => long.Parse(Path.GetFileName(v))).Last();
        using var evaluation = new Evaluation(folder);
        ProvenanceSpec provenance = evaluation.Model.Manifest.Provenance!;
        Assert.NotNull(provenance.Dataset);
        Assert.NotNull(provenance.TestAccuracy);

        MnistData data = MnistData.LoadBundled();
        var (accuracy, meanTimesteps, _) = evaluation.Served(data, data.Indices(SplitPart.Test));

        Assert.Equal(provenance.TestAccuracy!.Value, Math.Round(accuracy, 5));
        Assert.Equal(provenance.TestMeanTimesteps!.Value, Math.Round(meanTimesteps, 4));
    }
}
