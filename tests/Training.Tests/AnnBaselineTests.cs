using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Exit;
using SnnServe.TestSupport;
using SnnServe.Training.Data;
using static TorchSharp.torch;

namespace SnnServe.Training.Tests;

/// <summary>The ANN baseline: a few batches of training, ONNX export, and ONNX Runtime (through the runtime) vs TorchSharp.</summary>
public sealed class AnnBaselineTests
{
    [Fact]
    public void TrainExport_RuntimeAnswerMatchesTorchSharp()
    {
        using var folder = new TempDirectory("snnserve-ann");
        var trainer = new AnnTrainer(new TrainSettings { Name = "ann", Output = folder.Path, Widths = [8, 16, 32], Epochs = 1, LimitBatches = 10, Batch = 32 }, TextWriter.Null);
        var manifest = trainer.Run();
        Assert.Equal("onnx", manifest.Platform);
        Assert.Equal(trainer.Model!.Macs, manifest.Macs);
        Assert.NotNull(manifest.Provenance!.TestAccuracy);

        MnistData data = MnistData.LoadBundled();
        int[] images = data.Indices(SplitPart.Test).Take(12).ToArray();
        var (x, _) = Trainer.Batch(data, images);
        float[] logits;
        using (no_grad())
        {
            logits = trainer.Model.forward(x).softmax(1).contiguous().data<float>().ToArray();
        }

        using var evaluation = new Evaluation(trainer.VersionFolder);
        Assert.True(evaluation.Model.SinglePass);
        using var meters = new SnnServe.Runtime.Telemetry.StandaloneMeterFactory();
        using var repository = RuntimeRepository.Open(folder.Path);
        var engine = new SnnInferenceEngine(repository, new SnnServe.Runtime.Telemetry.SnnServeMetrics(meters), new() { RepositoryPath = folder.Path });
        for (int k = 0; k < images.Length; k++)
        {
            InferenceResult r = engine.Infer(new InferenceRequest { Model = "ann", Input = data.Image(images[k]).ToArray() });
            Assert.Equal(ExitReason.MaxTimesteps, r.ExitReason);
            for (int c = 0; c < 10; c++)
            {
                Assert.True(Math.Abs(logits[k * 10 + c] - r.Probabilities[c]) <= 1e-5f, $"image {k} class {c}: torch {logits[k * 10 + c]}, runtime {r.Probabilities[c]}");
            }
        }
    }
}
