using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Exit;
using SnnServe.Runtime.Repository;
using SnnServe.TestSupport;

namespace SnnServe.Runtime.Tests;

/// <summary>The <c>onnx</c> platform: single-pass ONNX classifiers (the ANN baselines) in the same repository.</summary>
public sealed class SinglePassModelTests
{
    private static void WriteAnn(string folder, byte[]? onnx = null, Action<ModelManifest>? change = null)
    {
        Directory.CreateDirectory(folder);
        byte[] model = onnx ?? OnnxTestGraphs.LinearClassifier(1, 4, 4, 3);
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), model);
        var manifest = new ModelManifest
        {
            FormatVersion = 1, Platform = "onnx", ModelFile = "model.onnx", Macs = 48,
            Labels = ["a", "b", "c"], Input = new InputSpec { Shape = [1, 4, 4] },
            Files = new() { ["model.onnx"] = SyntheticModel.Sha256(model) },
        };
        change?.Invoke(manifest);
        SyntheticModel.WriteManifest(folder, manifest);
    }

    [Fact]
    public async Task OnnxClassifier_ServedBesideSnn_ResultIsSoftmaxOfHandComputedLogits()
    {
        using var repo = new TestRepository(("snn", 1, new SyntheticModelOptions()));
        WriteAnn(Path.Combine(repo.Root, "ann", "1"));
        Assert.Empty(repo.Repository.LoadAll().Failures);
        LoadedModel ann = repo.Repository.Resolve("ann");
        Assert.True(ann.SinglePass);
        Assert.Equal("onnx", ann.Platform);

        float[] input = Enumerable.Range(0, 16).Select(i => i / 16f).ToArray();
        InferenceResult r = repo.Engine().Infer(new InferenceRequest { Model = "ann", Input = input });

        double[] logits = Enumerable.Range(0, 3).Select(k => 0.1 * k + Enumerable.Range(0, 16).Sum(i => (double)OnnxTestGraphs.LinearWeight(k, i) * input[i])).ToArray();
        double[] expected = logits.Select(Math.Exp).Select(e => e / logits.Sum(Math.Exp)).ToArray();
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(expected[k], r.Probabilities[k], 1e-5);
        }

        Assert.Equal((1, ExitReason.MaxTimesteps, 0L, 0L, 48L), (r.ExitTimestep, r.ExitReason, r.TotalSpikes, r.SynapticOps, r.Macs));
        Assert.Equal(48 * 4.6e-12, r.EnergyJoules, 1e-20);
        var updates = new List<TimestepUpdate>();
        await foreach (var u in repo.Engine().StreamAsync(new InferenceRequest { Model = "ann", Input = input }))
        {
            updates.Add(u);
        }

        Assert.True(Assert.Single(updates).IsFinal);
        Assert.Equal(ErrorKind.InvalidArgument, Assert.Throws<SnnServeException>(() => repo.Engine().Infer(new InferenceRequest { Model = "ann", Input = new float[5] })).Kind);
    }

    [Theory]
    [InlineData("labels", "model.onnx: outputs.logits: produced 3 logits, the manifest has 4 labels")]
    [InlineData("input", "model.onnx: (model): probe inference on a [1, 5, 5] input failed")]
    [InlineData("no-file", "model.json: model_file: missing")]
    [InlineData("platform", "model.json: platform: must be 'snn' or 'onnx'")]
    public void BadOnnxPlatformModel_RejectedWithFileAndField(string corruption, string expected)
    {
        using var directory = new TempDirectory();
        string folder = Path.Combine(directory.Path, "ann", "1");
        WriteAnn(folder, change: m =>
        {
            switch (corruption)
            {
                case "labels": m.Labels = ["a", "b", "c", "d"]; break;
                case "input": m.Input!.Shape = [1, 5, 5]; break;
                case "no-file": m.ModelFile = null; break;
                case "platform": m.Platform = "tensorflow"; break;
            }
        });
        var loader = new ModelLoader(new ModelLoaderOptions { PreferCuda = false }, Microsoft.Extensions.Logging.Abstractions.NullLogger<ModelLoader>.Instance);
        Assert.Contains(expected, Assert.Throws<ModelLoadException>(() => loader.Load("ann", 1, folder)).Message);
    }
}
