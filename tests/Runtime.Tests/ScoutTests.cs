using Microsoft.Extensions.Logging;
using SnnServe.Runtime.Network;
using SnnServe.Runtime.Scout;
using SnnServe.TestSupport;

namespace SnnServe.Runtime.Tests;

public sealed class ScoutTests
{
    [Fact]
    public void OnnxScout_MatchesHandComputation()
    {
        byte[] model = OnnxTestGraphs.BlockMeanSigmoid(2, 8, 12, 4, 3f, -0.5f);
        using OnnxScout scout = OnnxScout.Load(model, "scout.onnx", new Shape3(2, 8, 12), preferCuda: false, new ListLogger());
        var input = new float[2 * 8 * 12];
        var random = new Random(3);
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)random.NextDouble();
        }

        var map = new float[6];
        scout.Run(input, map);

        Assert.Equal((2, 3), (scout.MapHeight, scout.MapWidth));
        float[] expected = OnnxTestGraphs.BlockMeanSigmoidReference(input, 2, 8, 12, 4, 3f, -0.5f);
        for (int i = 0; i < map.Length; i++)
        {
            Assert.Equal(expected[i], map[i], 1e-6f);
        }
    }

    [Fact]
    public void PreferCuda_OnMachineWithoutCuda_FallsBackToCpuAndLogsOnce()
    {
        var logger = new ListLogger();
        byte[] model = OnnxTestGraphs.BlockMeanSigmoid(1, 8, 8, 4, 1f, 0f);
        using OnnxScout first = OnnxScout.Load(model, "scout.onnx", new Shape3(1, 8, 8), preferCuda: true, logger);
        using OnnxScout second = OnnxScout.Load(model, "scout.onnx", new Shape3(1, 8, 8), preferCuda: true, logger);

        if (first.ExecutionProvider == ExecutionProviders.Cuda)
        {
            return; // A CUDA machine: nothing to fall back from.
        }

        Assert.Equal(ExecutionProviders.Cpu, second.ExecutionProvider);
        Assert.True(logger.Messages.Count(m => m.Contains("falling back to CPU")) <= 1, "the fallback is logged at most once per process");
    }

    [Fact]
    public void AttentionMap_RateModulation_ScalesSpikeCountsByRegion()
    {
        // A uniform image with a scout whose map is bright on the left half and dark on the right.
        var options = new SyntheticModelOptions { Encoder = "rate", ScoutMode = "rate", ScoutStrength = 1f, Layers = ["flatten", "dense 16", "readout 2"] };
        using var repo = new TestRepository(("m", 1, options));
        var model = repo.Repository.Resolve("m");
        var input = Enumerable.Repeat(0.5f, 144).ToArray();
        float[] map = [1f, 1f, 0f, 1f, 1f, 0f, 1f, 1f, 0f];
        var (state, encoder) = KernelParityTests.Prepare(model, input, 1, map);
        int[] firedLeft = new int[1], firedRight = new int[1];
        for (int t = 0; t < 50; t++)
        {
            encoder.Encode(state);
            for (int e = 0; e < state.InputEventCount; e++)
            {
                int x = state.InputEvents[e] % 12;
                (x < 8 ? firedLeft : firedRight)[0]++;
            }

            Kernels.EventDrivenKernel.Instance.Step(model.Network, state);
        }

        Assert.Equal(0, firedRight[0]);
        // p = 0.5 · (1 + 1·(2·1 − 1)) = 1 on the bright two thirds: every pixel every timestep.
        Assert.Equal(96 * 50, firedLeft[0]);
    }
}

/// <summary>Collects formatted log messages.</summary>
internal sealed class ListLogger : ILogger
{
    public List<string> Messages { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Messages)
        {
            Messages.Add(formatter(state, exception));
        }
    }
}
