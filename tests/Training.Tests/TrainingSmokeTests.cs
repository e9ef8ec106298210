using SnnServe.Runtime.Encoders;
using SnnServe.Runtime.Kernels;
using SnnServe.Runtime.Repository;
using SnnServe.TestSupport;
using SnnServe.Training.Data;
using static TorchSharp.torch;

namespace SnnServe.Training.Tests;

/// <summary>
/// A tiny training run (a few batches), then export → load in the runtime → parity of the runtime's
/// timestep-by-timestep spikes and readouts with the TorchSharp forward pass on the same inputs.
/// The two sum convolutions in different orders (float32), so the documented tolerance is: every
/// layer's spike map equal in ≥ 99.9% of entries, readouts within 1e-3 (absolute, per timestep),
/// and the same argmax.
/// </summary>
public sealed class TrainingSmokeTests : IClassFixture<TrainingSmokeTests.SmokeRun>
{
    private readonly SmokeRun _run;

    public TrainingSmokeTests(SmokeRun run) => _run = run;

    public sealed class SmokeRun : IDisposable
    {
        public TempDirectory Folder { get; } = new("snnserve-train");
        public Trainer Trainer { get; }
        public ModelManifest Manifest { get; }
        public MnistData Data { get; } = MnistData.LoadBundled();

        public SmokeRun()
        {
            var settings = new TrainSettings
            {
                Name = "smoke", Output = Folder.Path, Widths = [16, 32, 128], Epochs = 2, Batch = 32, LimitTrain = 640, Timesteps = 4, Seed = 3, LearningRate = 0.003,
            };
            Trainer = new Trainer(settings, TextWriter.Null);
            Manifest = Trainer.Run();
        }

        public void Dispose() => Folder.Dispose();
    }

    [Fact]
    public void FewBatches_LossFalls()
    {
        List<double> losses = _run.Trainer.BatchLosses;
        Assert.Equal(40, losses.Count);
        Assert.True(losses.TakeLast(8).Average() < losses.Take(8).Average() * 0.8,
            $"loss did not fall: first {losses.Take(8).Average():0.000}, last {losses.TakeLast(8).Average():0.000}");
    }

    [Fact]
    public void Export_LoadsInRuntime_WithCalibrationAndProvenance()
    {
        Assert.NotNull(_run.Manifest.Provenance!.TestAccuracy);
        Assert.Equal(Evaluation.Thresholds.Length, _run.Manifest.Calibration!.Count);
        Assert.Contains(_run.Manifest.ExitPolicy!.Threshold, Evaluation.Thresholds);
        using var evaluation = new Evaluation(_run.Trainer.VersionFolder);
        Assert.Equal(4, evaluation.Model.DefaultPolicy.MaxTimesteps);
        Assert.Equal("alif", evaluation.Model.Manifest.Layers![0].Neuron!.Model);
    }

    [Fact]
    public void RuntimeForward_MatchesTorchSharp_EveryTimestep() => AssertParity(_run.Trainer, _run.Data, 24);

    [Fact]
    public void BatchNormFoldedAtExport_RuntimeMatchesTorchSharp()
    {
        using var folder = new TempDirectory("snnserve-train-bn");
        var settings = new TrainSettings
        {
            Name = "bn", Output = folder.Path, Widths = [8, 16, 32], Epochs = 1, Batch = 32, LimitTrain = 256, Timesteps = 3, Seed = 5, BatchNorm = true,
        };
        var trainer = new Trainer(settings, TextWriter.Null);
        ModelManifest manifest = trainer.Run();
        Assert.Contains("batch norm folded", manifest.Provenance!.Trainer);
        AssertParity(trainer, _run.Data, 12);
    }

    private static void AssertParity(Trainer trainer, MnistData data, int count)
    {
        using var evaluation = new Evaluation(trainer.VersionFolder);
        LoadedModel loaded = evaluation.Model;
        int[] images = data.Indices(SplitPart.Test).Take(count).ToArray();
        var (x, _) = Trainer.Batch(data, images);
        var trace = new List<Tensor[]>();
        trainer.Model!.eval();
        using (no_grad())
        {
            trainer.Model.Run(x, trace);
        }

        long compared = 0, mismatched = 0;
        int[] spikingLayers = [0, 2, 4]; // conv1, conv2, fc1 in the runtime's hidden-layer list (pools between)
        for (int k = 0; k < images.Length; k++)
        {
            var state = new NetworkState(loaded.Network);
            var encoder = new InputEncoder(loaded.Network.Input);
            float[] image = data.Image(images[k]).ToArray();
            var map = new float[49];
            loaded.Scout!.Run(image, map);
            encoder.Prepare(state, image, loaded.Encoder, 1f, 0f, 1f, map, 7, 7, loaded.Modulation, loaded.Manifest.Scout!.Strength, 0);
            for (int t = 0; t < trace.Count; t++)
            {
                encoder.Encode(state);
                EventDrivenKernel.Instance.Step(loaded.Network, state);
                state.Materialize();
                for (int l = 0; l < 3; l++)
                {
                    float[] torchSpikes = trace[t][l][k].contiguous().data<float>().ToArray();
                    float[] runtimeSpikes = ToChannelFirst(state.Layers[spikingLayers[l]].Out, loaded.Network.Hidden[spikingLayers[l]].Output);
                    compared += torchSpikes.Length;
                    mismatched += torchSpikes.Zip(runtimeSpikes).Count(p => p.First != p.Second);
                }

                float[] torchReadout = trace[t][3][k].data<float>().ToArray();
                for (int c = 0; c < torchReadout.Length; c++)
                {
                    Assert.True(Math.Abs(torchReadout[c] - state.Readout[c]) <= 1e-3f,
                        $"image {k} t={t + 1} class {c}: torch {torchReadout[c]}, runtime {state.Readout[c]}");
                }

                Assert.Equal(Array.IndexOf(torchReadout, torchReadout.Max()), Array.IndexOf(state.Readout, state.Readout.Max()));
            }
        }

        Assert.True(mismatched <= compared / 1000, $"{mismatched} of {compared} spikes differ");
    }

    [Fact]
    public void ScoutOnnx_MatchesTorchSharpScout_WithBatchNormFolded()
    {
        using var evaluation = new Evaluation(_run.Trainer.VersionFolder);
        Model.SaliencyScout scout = _run.Trainer.Model!.Scout!;
        scout.eval();
        int[] images = _run.Data.Indices(SplitPart.Test).Take(16).ToArray();
        var (x, _) = Trainer.Batch(_run.Data, images);
        float[] expected;
        using (no_grad())
        {
            expected = scout.forward(x).contiguous().data<float>().ToArray();
        }

        Assert.Equal(16 * 49, expected.Length);
        var map = new float[49];
        for (int k = 0; k < images.Length; k++)
        {
            evaluation.Model.Scout!.Run(_run.Data.Image(images[k]).ToArray(), map);
            for (int i = 0; i < 49; i++)
            {
                Assert.True(Math.Abs(expected[k * 49 + i] - map[i]) <= 1e-5f, $"image {k} cell {i}: torch {expected[k * 49 + i]}, ORT {map[i]}");
            }
        }

        Assert.Equal("rate", evaluation.Model.Manifest.Scout!.Mode);
        Assert.Equal(Model.SaliencyScout.Macs, evaluation.Model.Manifest.Scout.Macs);
    }

    [Fact]
    public void SurrogateGradient_IsArctanDerivative()
    {
        using Tensor x = tensor(new float[] { -1f, 0f, 0.5f }).requires_grad_();
        Tensor s = Model.SpikeFunction.apply(x);
        Assert.Equal([0f, 0f, 1f], s.data<float>().ToArray());
        s.sum().backward();
        float[] grad = x.grad!.data<float>().ToArray();
        float[] expected = new[] { -1f, 0f, 0.5f }.Select(v => (float)(1.0 / (1 + Math.Pow(Math.PI * v, 2)))).ToArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i], grad[i], 1e-5f);
        }
    }

    private static float[] ToChannelFirst(float[] hwc, SnnServe.Runtime.Network.Shape3 shape)
    {
        var chw = new float[hwc.Length];
        for (int c = 0; c < shape.Channels; c++)
        {
            for (int y = 0; y < shape.Height; y++)
            {
                for (int xx = 0; xx < shape.Width; xx++)
                {
                    chw[shape.Chw(c, y, xx)] = hwc[shape.Hwc(c, y, xx)];
                }
            }
        }

        return chw;
    }
}
