using Microsoft.Extensions.Logging.Abstractions;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Kernels;
using SnnServe.Runtime.Repository;
using SnnServe.Runtime.Scheduling;
using SnnServe.Runtime.Telemetry;
using SnnServe.TestSupport;

namespace SnnServe.Runtime.Tests;

/// <summary>
/// The ONNX step-graph backend against the event-driven CPU kernel. ORT sums convolutions and
/// matrix products in its own order, so values agree to float rounding, not bit for bit. Tolerances:
/// readouts within 1e-3 absolute (logits are O(1–10)) while no spike differs; over whole requests on
/// real digits, the same label for every image and per-request spike counts within 1%.
/// </summary>
public sealed class StepGraphParityTests
{
    private static readonly OnnxStepKernel Onnx = new(preferCuda: false, NullLogger.Instance);

    public static TheoryData<string[], string> Families => new()
    {
        { ["conv 8 3 1 1", "pool max 2", "flatten", "dense 24", "readout 10"], "rate" },
        { ["conv 6 3 2 1", "pool avg 2", "conv 8 3 1 1", "flatten", "dense 16", "readout 10"], "direct" },
        { ["flatten", "dense 32", "dense 16", "readout 10"], "rate" },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void SyntheticFamilies_SameSpikesAndReadoutsPerTimestep(string[] layers, string encoder)
    {
        var options = new SyntheticModelOptions { Layers = layers, Encoder = encoder, Gain = 1.5f, PerChannelParameters = true };
        using var repo = new TestRepository(("m", 1, options));
        LoadedModel model = repo.Repository.Resolve("m", 1);
        float[][] inputs = Enumerable.Range(0, 4).Select(i => SyntheticModel.RandomInput(options, 40 + i)).ToArray();
        NetworkState[] cpu = inputs.Select(_ => new NetworkState(model.Network)).ToArray();
        NetworkState[] onnx = inputs.Select(_ => new NetworkState(model.Network)).ToArray();
        var encoders = inputs.Select(_ => (Cpu: new Encoders.InputEncoder(model.Network.Input), Onnx: new Encoders.InputEncoder(model.Network.Input))).ToArray();
        Encoders.EncoderKind kind = encoder == "rate" ? Encoders.EncoderKind.Rate : Encoders.EncoderKind.Direct;
        for (int i = 0; i < inputs.Length; i++)
        {
            encoders[i].Cpu.Prepare(cpu[i], inputs[i], kind, 1.5f, 0, 1, default, 0, 0, Encoders.ModulationMode.Rate, 0, (ulong)i);
            encoders[i].Onnx.Prepare(onnx[i], inputs[i], kind, 1.5f, 0, 1, default, 0, 0, Encoders.ModulationMode.Rate, 0, (ulong)i);
        }

        long spikes = 0;
        for (int t = 0; t < 8; t++)
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                encoders[i].Cpu.Encode(cpu[i]);
                EventDrivenKernel.Instance.Step(model.Network, cpu[i]);
                encoders[i].Onnx.Encode(onnx[i]);
            }

            Onnx.StepBatch(model.Network, onnx);
            for (int i = 0; i < inputs.Length; i++)
            {
                Assert.Equal(cpu[i].SpikesPerLayer, onnx[i].SpikesPerLayer);
                Assert.Equal(cpu[i].SynapticOps, onnx[i].SynapticOps);
                Assert.Equal(cpu[i].Macs, onnx[i].Macs);
                Assert.Equal(cpu[i].Timestep, onnx[i].Timestep);
                for (int k = 0; k < cpu[i].Readout.Length; k++)
                {
                    Assert.Equal(cpu[i].Readout[k], onnx[i].Readout[k], 1e-3f);
                    Assert.Equal(cpu[i].ReadoutSum[k], onnx[i].ReadoutSum[k], 1e-3f);
                }

                spikes += cpu[i].TotalSpikes;
            }
        }

        Assert.True(spikes > 0, "the comparison needs spikes");
    }

    [Fact]
    public async Task BundledModel_TestDigits_SameLabelsAndCosts()
    {
        var limits = new ModelLoaderOptions { RepositoryPath = BundledData.Models, PreferCuda = false };
        using var repository = new ModelRepository(new ModelLoader(limits, NullLogger<ModelLoader>.Instance), NullLogger<ModelRepository>.Instance);
        repository.LoadModel("mnist-alif");
        using var meters = new TestMeterFactory();
        var metrics = new SnnServeMetrics(meters);
        var (images, _) = BundledData.TestSplit();
        using var cpu = new ScheduledInferenceEngine(repository, metrics, limits, new SchedulerOptions { Slots = 16 });
        using var onnx = new ScheduledInferenceEngine(repository, metrics, limits, new SchedulerOptions { Slots = 16, Backend = "onnx" }, kernel: Onnx);
        const int Count = 200;
        var fixedT = new InferenceOptions { Threshold = 1f, MaxTimesteps = 6 };
        InferenceRequest Request(int i, InferenceOptions? o = null) => new() { Model = "mnist-alif", Input = images.AsMemory(i * 784, 784), Options = o ?? new() };

        InferenceResult[] a = await Task.WhenAll(Enumerable.Range(0, Count).Select(i => cpu.InferAsync(Request(i)).AsTask()));
        InferenceResult[] b = await Task.WhenAll(Enumerable.Range(0, Count).Select(i => onnx.InferAsync(Request(i)).AsTask()));
        InferenceResult[] aT = await Task.WhenAll(Enumerable.Range(0, Count).Select(i => cpu.InferAsync(Request(i, fixedT)).AsTask()));
        InferenceResult[] bT = await Task.WhenAll(Enumerable.Range(0, Count).Select(i => onnx.InferAsync(Request(i, fixedT)).AsTask()));

        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(a[i].LabelIndex, b[i].LabelIndex);
            Assert.Equal(aT[i].LabelIndex, bT[i].LabelIndex);
            Assert.InRange(bT[i].TotalSpikes, aT[i].TotalSpikes * 0.99 - 2, aT[i].TotalSpikes * 1.01 + 2);
            Assert.Equal(aT[i].Probabilities[aT[i].LabelIndex], bT[i].Probabilities[bT[i].LabelIndex], 1e-2f);
        }

        Assert.True(a.Count(r => r.ExitTimestep == b[Array.IndexOf(a, r)].ExitTimestep) >= Count * 0.98, "exit timesteps agree for ≥ 98% of images");
        Assert.Equal("onnx-step-graph", onnx.Kernel.Name);
        Assert.Equal("CPUExecutionProvider", Onnx.ExecutionProvider);
    }

    [Fact]
    public void UnrolledGraph_BundledModel_SameReadoutAsTheKernelAfterTmax()
    {
        var limits = new ModelLoaderOptions { RepositoryPath = BundledData.Models, PreferCuda = false };
        using var repository = new ModelRepository(new ModelLoader(limits, NullLogger<ModelLoader>.Instance), NullLogger<ModelRepository>.Instance);
        repository.LoadModel("mnist-alif");
        LoadedModel model = repository.Resolve("mnist-alif", null);
        const int T = 6;
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(StepGraphBuilder.BuildUnrolled(model.Network, T)));
        var (images, _) = BundledData.TestSplit();
        for (int k = 0; k < 8; k++)
        {
            var state = new NetworkState(model.Network);
            var encoder = new Encoders.InputEncoder(model.Network.Input);
            float[] image = images.AsSpan(k * 784, 784).ToArray();
            encoder.Prepare(state, image, model.Encoder, 1f, 0, 1, default, 0, 0, model.Modulation, 0, 0);
            encoder.Encode(state);
            float[] x = state.Input.ToArray(), bias0 = state.FirstLayerBias.ToArray();
            for (int t = 0; t < T; t++)
            {
                if (t > 0)
                {
                    encoder.Encode(state);
                }

                EventDrivenKernel.Instance.Step(model.Network, state);
            }

            using var xValue = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(x, [1, x.Length]);
            using var biasValue = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(bias0, [1, bias0.Length]);
            using var outputs = session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), ["x", "bias0"], [xValue, biasValue], ["u.out", "usum.out"]);
            float[] u = outputs[0].GetTensorDataAsSpan<float>().ToArray();
            for (int c = 0; c < u.Length; c++)
            {
                Assert.Equal(state.Readout[c], u[c], 2e-3f);
            }
        }

        Assert.True(StepGraphBuilder.DenseMacsPerTimestep(model.Network) > 1_000_000);
    }
}
