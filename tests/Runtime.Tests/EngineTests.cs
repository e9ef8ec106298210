using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Exit;
using SnnServe.Runtime.Kernels;
using SnnServe.TestSupport;

namespace SnnServe.Runtime.Tests;

public sealed class EngineTests
{
    private static readonly SyntheticModelOptions Rate = new() { Encoder = "rate", Gain = 1.5f, Threshold = 0.99f, MaxTimesteps = 16 };

    private static InferenceRequest Request(float[] input, InferenceOptions? options = null, string model = "m") =>
        new() { Model = model, Input = input, Options = options ?? new() };

    [Fact]
    public void SameInputSameSeed_IdenticalBits_DifferentSeed_DifferentSpikes()
    {
        using var repo = new TestRepository(("m", 1, Rate));
        SnnInferenceEngine engine = repo.Engine();
        float[] input = SyntheticModel.RandomInput(Rate, 3);
        var fixedT = new InferenceOptions { Seed = 42, Threshold = 1f, MaxTimesteps = 12 };

        InferenceResult a = engine.Infer(Request(input, fixedT));
        InferenceResult b = engine.Infer(Request(input, fixedT));
        InferenceResult c = engine.Infer(Request(input, fixedT with { Seed = 43 }));

        Assert.Equal(Bits(a.Probabilities), Bits(b.Probabilities));
        Assert.Equal(a.SpikesPerLayer, b.SpikesPerLayer);
        Assert.Equal(a.SynapticOps, b.SynapticOps);
        Assert.Equal(12, a.ExitTimestep);
        Assert.NotEqual(a.SpikesPerLayer.Select(l => l.Spikes), c.SpikesPerLayer.Select(l => l.Spikes));
    }

    [Fact]
    public async Task ConcurrentRequests_SameAnswerAsAlone()
    {
        using var repo = new TestRepository(("m", 1, Rate));
        SnnInferenceEngine engine = repo.Engine();
        float[][] inputs = Enumerable.Range(0, 8).Select(i => SyntheticModel.RandomInput(Rate, 100 + i)).ToArray();
        InferenceResult[] alone = inputs.Select(x => engine.Infer(Request(x, new() { Seed = 5 }))).ToArray();

        InferenceResult[] together = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            Task.Run(() => engine.Infer(Request(inputs[i % 8], new() { Seed = 5 })))));

        for (int i = 0; i < together.Length; i++)
        {
            Assert.Equal(Bits(alone[i % 8].Probabilities), Bits(together[i].Probabilities));
            Assert.Equal(alone[i % 8].TotalSpikes, together[i].TotalSpikes);
        }
    }

    [Fact]
    public void EventDrivenAndDenseEngines_SameAnswer()
    {
        using var repo = new TestRepository(("m", 1, Rate with { ScoutMode = "potential" }));
        float[] input = SyntheticModel.RandomInput(Rate, 8);
        InferenceResult fast = repo.Engine().Infer(Request(input));
        InferenceResult slow = repo.Engine(kernel: DenseReferenceKernel.Instance).Infer(Request(input));
        Assert.Equal(Bits(fast.Probabilities), Bits(slow.Probabilities));
        Assert.Equal(fast.ExitTimestep, slow.ExitTimestep);
        Assert.Equal(fast.SynapticOps, slow.SynapticOps);
    }

    [Fact]
    public void Result_CarriesAccountingConsistentWithEnergyConvention()
    {
        using var repo = new TestRepository(("m", 1, new SyntheticModelOptions { ScoutMode = "rate", Threshold = 1f, MaxTimesteps = 5 }));
        InferenceResult r = repo.Engine().Infer(Request(SyntheticModel.RandomInput(new(), 4)));

        Assert.Equal(ExitReason.MaxTimesteps, r.ExitReason);
        Assert.Equal(5, r.ExitTimestep);
        Assert.Equal(r.TotalSpikes, r.SpikesPerLayer.Sum(l => l.Spikes));
        Assert.True(r.Modulated);
        Assert.Equal("CPUExecutionProvider", r.ScoutProvider);
        Assert.True(r.Macs > 1234, "direct first layer pays MACs, plus the scout's declared 1234");
        Assert.Equal((r.Macs * 4.6 + r.SynapticOps * 0.9) * 1e-12, r.EnergyJoules, 1e-18);
        Assert.InRange(r.FiringRate, 1e-6, 1);
        Assert.Equal(1f, r.Probabilities.Sum(), 1e-5f);
        Assert.Equal(r.Probabilities.Max(), r.Confidence);
        Assert.True(r.Timings.TotalSeconds >= r.Timings.StepSeconds);
    }

    [Fact]
    public void DirectEncoding_FirstLayerMacsCountedOnce()
    {
        using var repo = new TestRepository(("m", 1, new SyntheticModelOptions { Threshold = 1f, MaxTimesteps = 2 }));
        float[] input = SyntheticModel.RandomInput(new(), 4);
        InferenceResult two = repo.Engine().Infer(Request(input));
        InferenceResult six = repo.Engine().Infer(Request(input, new() { MaxTimesteps = 6 }));
        Assert.Equal(two.Macs, six.Macs);
        Assert.True(six.SynapticOps > two.SynapticOps);
    }

    [Fact]
    public void ModulationOff_SkipsScout()
    {
        using var repo = new TestRepository(("m", 1, new SyntheticModelOptions { ScoutMode = "rate", Threshold = 1f, MaxTimesteps = 3 }));
        float[] input = SyntheticModel.RandomInput(new(), 4);
        InferenceResult on = repo.Engine().Infer(Request(input));
        InferenceResult off = repo.Engine().Infer(Request(input, new() { Modulation = false }));
        Assert.True(on.Modulated);
        Assert.False(off.Modulated);
        Assert.NotEqual(on.TotalSpikes, off.TotalSpikes);
    }

    public static TheoryData<string> BadInputs() => ["short", "long", "nan", "infinity", "above-range", "below-range"];

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInput_InvalidArgument_NextRequestFine(string kind)
    {
        using var repo = new TestRepository(("m", 1, new()));
        SnnInferenceEngine engine = repo.Engine();
        float[] good = SyntheticModel.RandomInput(new(), 1);
        float[] bad = kind switch
        {
            "short" => good[..100],
            "long" => [.. good, 0f],
            _ => (float[])good.Clone(),
        };
        if (kind == "nan") bad[7] = float.NaN;
        if (kind == "infinity") bad[7] = float.NegativeInfinity;
        if (kind == "above-range") bad[7] = 1.5f;
        if (kind == "below-range") bad[7] = -0.1f;

        var error = Assert.Throws<SnnServeException>(() => engine.Infer(Request(bad)));

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(kind is "short" or "long" ? "expects shape [1, 12, 12]" : "input[7]", error.Message);
        Assert.Equal(engine.Infer(Request(good)).Probabilities, engine.Infer(Request(good)).Probabilities);
    }

    public static TheoryData<InferenceOptions, string> BadOptions() => new()
    {
        { new() { Policy = "vibes" }, "unknown exit policy 'vibes'" },
        { new() { Threshold = 2f }, "must lie in [0, 1]" },
        { new() { Threshold = float.NaN }, "finite" },
        { new() { MaxTimesteps = 1000 }, "exceeds the server's limit of 64" },
        { new() { MinTimesteps = 5, MaxTimesteps = 3 }, "min_timesteps (5)" },
        { new() { Policy = "stability", StableSteps = 0 }, "stable_steps must be ≥ 1" },
        { new() { Source = "median" }, "unknown readout source 'median'" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOptions_InvalidArgument(InferenceOptions options, string expected)
    {
        using var repo = new TestRepository(("m", 1, new()));
        var error = Assert.Throws<SnnServeException>(() => repo.Engine().Infer(Request(SyntheticModel.RandomInput(new(), 1), options)));
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void DeadlineDuringRun_AnytimeAnswerFlaggedDeadline()
    {
        using var repo = new TestRepository(("m", 1, Rate with { Threshold = 1f, MaxTimesteps = 50 }));
        var time = new SteppingTimeProvider(TimeSpan.FromMilliseconds(1));
        DateTimeOffset deadline = time.GetUtcNow() + TimeSpan.FromMilliseconds(40);

        InferenceResult r = repo.Engine(time).Infer(Request(SyntheticModel.RandomInput(Rate, 2), new() { Deadline = deadline }));

        Assert.Equal(ExitReason.Deadline, r.ExitReason);
        Assert.InRange(r.ExitTimestep, 1, 49);
        Assert.Equal(1f, r.Probabilities.Sum(), 1e-5f);
    }

    [Fact]
    public void DeadlineAlreadyPassed_DeadlineExceeded()
    {
        using var repo = new TestRepository(("m", 1, new()));
        var time = new SteppingTimeProvider(TimeSpan.FromMilliseconds(1));
        var error = Assert.Throws<SnnServeException>(() => repo.Engine(time).Infer(
            Request(SyntheticModel.RandomInput(new(), 2), new() { Deadline = time.GetUtcNow() - TimeSpan.FromSeconds(1) })));
        Assert.Equal(ErrorKind.DeadlineExceeded, error.Kind);
    }

    [Fact]
    public void Cancelled_ThrowsAndReturnsBuffers()
    {
        using var repo = new TestRepository(("m", 1, new()));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => repo.Engine().Infer(Request(SyntheticModel.RandomInput(new(), 2)), cts.Token));
        Assert.True(repo.Repository.Resolve("m").TryAcquire(), "lease released after cancellation");
    }

    [Fact]
    public async Task Stream_OneUpdatePerTimestep_LastCarriesResultEqualToUnary()
    {
        using var repo = new TestRepository(("m", 1, Rate));
        SnnInferenceEngine engine = repo.Engine();
        float[] input = SyntheticModel.RandomInput(Rate, 9);
        InferenceResult unary = engine.Infer(Request(input));

        var updates = new List<TimestepUpdate>();
        await foreach (TimestepUpdate u in engine.StreamAsync(Request(input)))
        {
            updates.Add(u);
        }

        Assert.Equal(Enumerable.Range(1, unary.ExitTimestep), updates.Select(u => u.Timestep));
        Assert.All(updates[..^1], u => Assert.False(u.IsFinal));
        InferenceResult final = Assert.IsType<InferenceResult>(updates[^1].Result);
        Assert.Equal(Bits(unary.Probabilities), Bits(final.Probabilities));
        Assert.Equal(unary.TotalSpikes, updates[^1].SpikesSoFar);
        Assert.Equal(unary.TotalSpikes, updates.Sum(u => u.LayerSpikes.Sum()));
    }

    [Fact]
    public void PooledContext_AfterPotentialModulation_NextRequestSeesThePlainBias()
    {
        var options = Rate with { ScoutMode = "potential", ScoutStrength = 2f };
        float[] input = SyntheticModel.RandomInput(options, 21);
        using var fresh = new TestRepository(("m", 1, options));
        InferenceResult expected = fresh.Engine().Infer(Request(input, new() { Modulation = false }));

        using var reused = new TestRepository(("m", 1, options));
        SnnInferenceEngine engine = reused.Engine();
        InferenceResult modulated = engine.Infer(Request(input));
        InferenceResult plain = engine.Infer(Request(input, new() { Modulation = false }));

        Assert.NotEqual(Bits(expected.Probabilities), Bits(modulated.Probabilities));
        Assert.Equal(Bits(expected.Probabilities), Bits(plain.Probabilities));
        Assert.Equal(expected.SpikesPerLayer, plain.SpikesPerLayer);
    }

    [Fact]
    public void UnknownModel_NotFound()
    {
        using var repo = new TestRepository(("m", 1, new()));
        var error = Assert.Throws<SnnServeException>(() => repo.Engine().Infer(Request(new float[144], model: "ghost")));
        Assert.Equal(ErrorKind.NotFound, error.Kind);
    }

    internal static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}

/// <summary>A clock that moves forward by a fixed step every time it is read.</summary>
internal sealed class SteppingTimeProvider(TimeSpan step) : TimeProvider
{
    private long _ticks = DateTimeOffset.UnixEpoch.AddYears(56).Ticks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Add(ref _ticks, step.Ticks), TimeSpan.Zero);

    public override long GetTimestamp() => Interlocked.Add(ref _ticks, step.Ticks);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
}
