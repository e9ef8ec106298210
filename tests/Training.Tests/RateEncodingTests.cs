using SnnServe.Runtime.Encoders;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Telemetry;
using SnnServe.TestSupport;
using SnnServe.Training.Data;

namespace SnnServe.Training.Tests;

/// <summary>The rate-encoded variant: trains (Bernoulli input spikes, straight-through gradient to the scout), exports, serves.</summary>
public sealed class RateEncodingTests
{
    [Fact]
    public void RateEncodedModel_TrainsExportsAndServesWithSeededSpikes()
    {
        using var folder = new TempDirectory("snnserve-rate");
        var trainer = new Trainer(new TrainSettings
        {
            Name = "rate", Output = folder.Path, Widths = [16, 32, 64], Epochs = 1, LimitBatches = 30, Batch = 32, Timesteps = 5, Encoder = "rate", LearningRate = 0.003,
        }, TextWriter.Null);
        var manifest = trainer.Run();
        Assert.Equal("rate", manifest.Encoder!.Kind);
        Assert.True(trainer.BatchLosses.TakeLast(6).Average() < trainer.BatchLosses.Take(6).Average() * 0.9,
            $"loss did not fall: first {trainer.BatchLosses.Take(6).Average():0.000}, last {trainer.BatchLosses.TakeLast(6).Average():0.000}");

        using var evaluation = new Evaluation(trainer.VersionFolder);
        Assert.Equal(EncoderKind.Rate, evaluation.Model.Encoder);
        MnistData data = MnistData.LoadBundled();
        using var meters = new StandaloneMeterFactory();
        var engine = new SnnInferenceEngine(RuntimeRepository.Open(folder.Path), new SnnServeMetrics(meters), new() { RepositoryPath = folder.Path });
        float[] image = data.Image(data.Indices(SplitPart.Test)[0]).ToArray();
        var options = new InferenceOptions { MinTimesteps = 5, MaxTimesteps = 5 };
        InferenceResult a = engine.Infer(new InferenceRequest { Model = "rate", Input = image, Options = options with { Seed = 1 } });
        InferenceResult b = engine.Infer(new InferenceRequest { Model = "rate", Input = image, Options = options with { Seed = 1 } });
        InferenceResult c = engine.Infer(new InferenceRequest { Model = "rate", Input = image, Options = options with { Seed = 2 } });
        Assert.Equal(a.SynapticOps, b.SynapticOps);
        Assert.Equal(a.Probabilities, b.Probabilities);
        Assert.NotEqual(a.SynapticOps, c.SynapticOps);
    }
}
