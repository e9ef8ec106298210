using SnnServe.Runtime.Encoders;
using SnnServe.Runtime.Kernels;
using SnnServe.Runtime.Network;
using SnnServe.Runtime.Repository;
using SnnServe.TestSupport;

namespace SnnServe.Runtime.Tests;

/// <summary>
/// Property test: the event-driven kernel and the dense reference kernel, run on random models
/// and random inputs for every timestep, produce the same spikes, membranes, adaptation traces,
/// readouts and operation counts. Both sum in ascending input order, so the documented tolerance
/// is zero: values are compared with ==. Seed 13 uses sparse input (most conv positions unreached).
/// The event-driven kernel leaves a conv layer's first-timestep state implicit: one event-driven
/// state is materialised before each comparison, a second one never is (its events, readouts and
/// counts must match all the same).
/// </summary>
public sealed class KernelParityTests
{
    public static TheoryData<string, int> Configurations()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in Models.Keys)
        {
            foreach (int seed in new[] { 11, 12, 13 })
            {
                data.Add(name, seed);
            }
        }

        return data;
    }

    private static readonly Dictionary<string, SyntheticModelOptions> Models = new()
    {
        ["conv-maxpool-dense-alif-direct"] = new(),
        ["conv-avgpool-dense-lif-rate"] = new() { Neuron = "lif", Encoder = "rate", Layers = ["conv 6 3 1 1", "pool avg 2", "dense 20", "readout 10"] },
        ["two-convs-strided-rate"] = new() { Encoder = "rate", Gain = 1.5f, Layers = ["conv 8 5 1 2", "conv 12 3 2 1", "flatten", "dense 17", "readout 5"] },
        ["dense-only-rate"] = new() { Encoder = "rate", Layers = ["flatten", "dense 40", "dense 19", "readout 10"] },
        ["two-channel-per-channel-params"] = new() { Channels = 2, Height = 10, Width = 9, PerChannelParameters = true, Layers = ["conv 9 3 1 0", "pool max 2", "dense 16", "readout 4"] },
        ["potential-scout"] = new() { ScoutMode = "potential", Layers = ["conv 8 3 1 1", "pool max 2", "dense 24", "readout 10"] },
        // Conv biases above θ0: neurons fire where no input reaches (the kernel's quiet positions).
        ["quiet-firing-convs"] = new() { ConvBiasMin = -0.3f, ConvBiasMax = 1.2f, Layers = ["conv 8 3 1 1", "conv 10 3 2 1", "pool max 2", "dense 16", "readout 6"] },
        ["rate-scout-rate-encoder"] = new() { ScoutMode = "rate", Encoder = "rate", Layers = ["conv 8 3 1 1", "pool avg 3", "dense 24", "readout 10"] },
        // "Same" convolutions over 8 (a power of two) and 6 input channels, kernels 3 and 5: the row-mask reach path.
        ["stacked-same-convs"] = new() { ConvBiasMin = -0.3f, ConvBiasMax = 0.6f, Layers = ["conv 8 3 1 1", "conv 6 3 1 1", "conv 5 5 1 2", "pool max 2", "dense 16", "readout 4"] },
    };

    [Theory]
    [InlineData(1, 12, 12, 3, 1, 1, 0.3)]
    [InlineData(8, 14, 14, 3, 1, 1, 0.05)]
    [InlineData(6, 9, 13, 5, 1, 2, 0.2)]
    [InlineData(32, 14, 14, 3, 1, 1, 0.02)]
    [InlineData(2, 5, 64, 3, 1, 1, 0.1)]
    [InlineData(3, 10, 11, 3, 2, 1, 0.2)]
    public void MarkReached_RowMasksAndReachTable_Agree(int channels, int height, int width, int kernel, int stride, int padding, double density)
    {
        // The row-mask path (same convolutions) must mark exactly the positions, and copy exactly the
        // bias rows, that the per-event reach table does; other geometries use the table itself.
        var random = new Random(channels * 1000 + width);
        var input = new Shape3(channels, height, width);
        Shape3 output = ConvSynapse.OutputShape(input, 4, kernel, stride, padding);
        var weights = new float[kernel * kernel * channels * 4];
        float[] bias = Enumerable.Range(0, output.Size).Select(_ => (float)random.NextDouble()).ToArray();
        var conv = new ConvSynapse(input, 4, kernel, stride, padding, weights, bias);
        for (int trial = 0; trial < 20; trial++)
        {
            int[] events = Enumerable.Range(0, input.Size).Where(_ => random.NextDouble() < density).ToArray();
            var (byTable, currentByTable) = (new bool[output.Height * output.Width], new float[output.Size]);
            var (marked, current) = (new bool[output.Height * output.Width], new float[output.Size]);
            conv.MarkReachedByTable(events, byTable, bias, currentByTable);
            conv.MarkReached(events, marked, bias, current);
            Assert.Equal(byTable, marked);
            Assert.Equal(currentByTable, current);
        }

        if (stride == 1 && padding == kernel / 2)
        {
            int[] all = Enumerable.Range(0, input.Size).ToArray();
            var reached = new bool[output.Height * output.Width];
            conv.MarkReachedByRows(all, reached, bias, new float[output.Size]);
            Assert.All(reached, Assert.True);
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void RandomModelAndInput_EventDrivenMatchesDense_EveryTimestep(string model, int seed)
    {
        SyntheticModelOptions options = Models[model] with { Seed = seed };
        using var repo = new TestRepository(("m", 1, options));
        LoadedModel loaded = repo.Repository.Resolve("m");
        float[] input = SyntheticModel.RandomInput(options, seed * 7919, density: seed == 13 ? 0.04 : 0.5);

        var (eventState, eventEncoder) = Prepare(loaded, input, (ulong)seed);
        var (lazyState, lazyEncoder) = Prepare(loaded, input, (ulong)seed);
        var (denseState, denseEncoder) = Prepare(loaded, input, (ulong)seed);
        long spikes = 0;
        const int timesteps = 12;
        for (int t = 1; t <= timesteps; t++)
        {
            eventEncoder.Encode(eventState);
            denseEncoder.Encode(denseState);
            lazyEncoder.Encode(lazyState);
            EventDrivenKernel.Instance.Step(loaded.Network, eventState);
            EventDrivenKernel.Instance.Step(loaded.Network, lazyState);
            DenseReferenceKernel.Instance.Step(loaded.Network, denseState);
            eventState.Materialize();

            for (int l = 0; l < eventState.Layers.Length; l++)
            {
                LayerState lazy = lazyState.Layers[l];
                Assert.Equal(SpikeIndices(denseState.Layers[l].Out), lazy.Events.Take(lazy.EventCount).ToArray());
                AssertSame(denseState.Layers[l].Out, eventState.Layers[l].Out, $"t={t} layer {l} outputs");
                AssertSame(denseState.Layers[l].V, eventState.Layers[l].V, $"t={t} layer {l} membranes");
                AssertSame(denseState.Layers[l].A, eventState.Layers[l].A, $"t={t} layer {l} adaptation");
            }

            AssertSame(denseState.Readout, eventState.Readout, $"t={t} readout");
            AssertSame(denseState.Readout, lazyState.Readout, $"t={t} readout (never materialised)");
            Assert.Equal(denseState.SpikesPerLayer, lazyState.SpikesPerLayer);
            Assert.Equal(denseState.SynapticOps, lazyState.SynapticOps);
            Assert.Equal(denseState.SpikesPerLayer, eventState.SpikesPerLayer);
            Assert.Equal(denseState.SynapticOps, eventState.SynapticOps);
            Assert.Equal(denseState.Macs, eventState.Macs);
        }

        spikes = eventState.TotalSpikes;
        long possible = (long)loaded.Network.SpikingNeuronCount * timesteps;
        Assert.InRange(spikes, 1, possible - 1);
    }

    [Fact]
    public void EventList_MatchesSpikeMap()
    {
        using var repo = new TestRepository(("m", 1, new SyntheticModelOptions()));
        LoadedModel loaded = repo.Repository.Resolve("m");
        var (state, encoder) = Prepare(loaded, SyntheticModel.RandomInput(new(), 5), 5);
        for (int t = 0; t < 5; t++)
        {
            encoder.Encode(state);
            EventDrivenKernel.Instance.Step(loaded.Network, state);
            state.Materialize();
            foreach (LayerState layer in state.Layers)
            {
                Assert.False(layer.Implicit);
                int[] expected = SpikeIndices(layer.Out);
                Assert.Equal(expected, layer.Events.Take(layer.EventCount).ToArray());
            }
        }
    }

    [Theory]
    [InlineData("conv-maxpool-dense-alif-direct")]
    [InlineData("conv-avgpool-dense-lif-rate")]
    public void ReusedState_AfterOtherKernelOrEarlierRequest_SameAsFresh(string model)
    {
        // Pooled contexts carry one request's buffers into the next (Reset clears only what it must),
        // and a context may have been stepped by another kernel before.
        SyntheticModelOptions options = Models[model];
        using var repo = new TestRepository(("m", 1, options));
        LoadedModel loaded = repo.Repository.Resolve("m");
        float[] first = SyntheticModel.RandomInput(options, 101, density: 0.6), second = SyntheticModel.RandomInput(options, 202, density: 0.3);
        var (reused, encoder) = Prepare(loaded, first, 3);
        for (int t = 0; t < 5; t++)
        {
            encoder.Encode(reused);
            DenseReferenceKernel.Instance.Step(loaded.Network, reused);
        }

        foreach (INetworkKernel previous in new INetworkKernel[] { EventDrivenKernel.Instance, DenseReferenceKernel.Instance, EventDrivenKernel.Instance })
        {
            reused.Reset();
            PrepareInto(loaded, reused, encoder, first, 3);
            for (int t = 0; t < 3; t++)
            {
                encoder.Encode(reused);
                previous.Step(loaded.Network, reused);
            }

            reused.Reset();
            PrepareInto(loaded, reused, encoder, second, 4);
            var (fresh, freshEncoder) = Prepare(loaded, second, 4);
            for (int t = 1; t <= 6; t++)
            {
                encoder.Encode(reused);
                freshEncoder.Encode(fresh);
                EventDrivenKernel.Instance.Step(loaded.Network, reused);
                EventDrivenKernel.Instance.Step(loaded.Network, fresh);
                AssertSame(fresh.Readout, reused.Readout, $"after {previous.Name}: t={t} readout");
                for (int l = 0; l < fresh.Layers.Length; l++)
                {
                    Assert.Equal(fresh.Layers[l].Events.Take(fresh.Layers[l].EventCount), reused.Layers[l].Events.Take(reused.Layers[l].EventCount));
                    if (loaded.Network.Hidden[l] is PoolLayer)
                    {
                        // Max pooling clears only last timestep's outputs: Reset must leave none behind.
                        AssertSame(fresh.Layers[l].Out, reused.Layers[l].Out, $"after {previous.Name}: t={t} pool {l} outputs");
                    }
                }
            }
        }
    }

    private static int[] SpikeIndices(float[] outputs) => Enumerable.Range(0, outputs.Length).Where(i => outputs[i] != 0f).ToArray();

    internal static (NetworkState State, InputEncoder Encoder) Prepare(LoadedModel model, float[] input, ulong seed, float[]? attention = null)
    {
        var state = new NetworkState(model.Network);
        var encoder = new InputEncoder(model.Network.Input);
        PrepareInto(model, state, encoder, input, seed, attention);
        return (state, encoder);
    }

    private static void PrepareInto(LoadedModel model, NetworkState state, InputEncoder encoder, float[] input, ulong seed, float[]? attention = null)
    {
        int mh = model.Scout?.MapHeight ?? 0, mw = model.Scout?.MapWidth ?? 0;
        float[] map = attention ?? [];
        if (model.Scout is not null && attention is null)
        {
            map = new float[mh * mw];
            model.Scout.Run(input, map);
        }

        encoder.Prepare(state, input, model.Encoder, model.EncoderSettings.Gain, model.Input.Mean, model.Input.Std,
            map, mh, mw, model.Modulation, model.Manifest.Scout?.Strength ?? 0f, seed);
    }

    private static void AssertSame(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i])
            {
                Assert.Fail($"{what}: element {i} differs: dense {expected[i]:R}, event-driven {actual[i]:R}");
            }
        }
    }
}
