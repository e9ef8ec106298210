using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using SnnServe.Runtime.Kernels;
using SnnServe.Runtime.Network;
using SnnServe.Runtime.Repository;
using static TorchSharp.torch;

namespace SnnServe.Benchmarks.Report;

/// <summary>An encoded request: the first layer's input (channel-last) and per-neuron bias, as the runtime prepared them.</summary>
public sealed record EncodedInput(float[] X, float[] Bias0);

/// <summary>A peer's answer to one input and how long it took.</summary>
public readonly record struct PeerAnswer(int Label, double Seconds);

/// <summary>
/// The SNN as a generic inference server would run it: the network unrolled over T_max timesteps
/// as one dense ONNX graph (<see cref="StepGraphBuilder.BuildUnrolled"/>) on ONNX Runtime (CPU),
/// every synapse at every timestep, no early exit.
/// </summary>
public sealed class UnrolledOnnxPeer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly int _classes;

    public UnrolledOnnxPeer(SnnNetwork network, int timesteps)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _session = new InferenceSession(StepGraphBuilder.BuildUnrolled(network, timesteps).ToByteArray(), options);
        _classes = network.Classes;
        MacsPerInference = StepGraphBuilder.DenseMacsPerTimestep(network) * timesteps;
    }

    /// <summary>Dense multiply-accumulates the graph executes per input.</summary>
    public long MacsPerInference { get; }

    public PeerAnswer Run(EncodedInput input)
    {
        long t0 = Stopwatch.GetTimestamp();
        using var x = OrtValue.CreateTensorValueFromMemory(input.X, [1, input.X.Length]);
        using var bias = OrtValue.CreateTensorValueFromMemory(input.Bias0, [1, input.Bias0.Length]);
        using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(new RunOptions(), ["x", "bias0"], [x, bias], ["u.out"]);
        ReadOnlySpan<float> u = outputs[0].GetTensorDataAsSpan<float>();
        int label = 0;
        for (int c = 1; c < _classes; c++)
        {
            if (u[c] > u[label])
            {
                label = c;
            }
        }

        return new PeerAnswer(label, Stopwatch.GetElapsedTime(t0).TotalSeconds);
    }

    public void Dispose() => _session.Dispose();
}

/// <summary>
/// The same SNN in TorchSharp eager mode (CPU, batch 1, no autograd): conv2d / pooling / linear and
/// the ALIF equations of contract 2 op by op, T_max timesteps, no early exit. Weights come from the
/// runtime's loaded network, so it is exactly the served model.
/// </summary>
public sealed class TorchEagerPeer : IDisposable
{
    private readonly List<Func<Tensor, Tensor, Dictionary<int, (Tensor V, Tensor A, Tensor S)>, Tensor>> _layers = [];
    private readonly List<IDisposable> _owned = [];
    private readonly SnnNetwork _network;
    private readonly int _timesteps;
    private readonly Tensor _readoutW;
    private readonly Tensor _readoutB;
    private readonly Tensor _readoutAlpha;

    public TorchEagerPeer(SnnNetwork network, int timesteps)
    {
        Training.Native.LibTorchSharpCompat.EnsureLoadable();
        set_num_threads(1);
        _network = network;
        _timesteps = timesteps;
        for (int l = 0; l < network.Hidden.Count; l++)
        {
            int layer = l;
            switch (network.Hidden[l])
            {
                case SpikingLayer { Synapse: ConvSynapse conv } spiking:
                {
                    Shape3 o = conv.Output;
                    Tensor w = Own(tensor(conv.Weights, [conv.Kernel, conv.Kernel, conv.Input.Channels, o.Channels]).permute(3, 2, 0, 1).contiguous());
                    Tensor b = Own(Chw(spiking.Synapse.Bias, o));
                    var p = Params(spiking.Neurons, o);
                    int stride = conv.Stride, padding = conv.Padding;
                    // The first layer's bias is per request (it carries potential modulation).
                    _layers.Add((x, bias0, state) => Alif(layer, nn.functional.conv2d(x, w, null, [stride], [padding]) + (layer == 0 ? bias0 : b), p, state));
                    break;
                }

                case SpikingLayer { Synapse: DenseSynapse dense } spiking:
                {
                    Tensor w = Own(tensor(dense.WeightsInputMajor, [dense.Input.Size, dense.Output.Size]));
                    Tensor b = Own(tensor(spiking.Synapse.Bias));
                    var p = Params(spiking.Neurons, null);
                    _layers.Add((x, bias0, state) => Alif(layer, Flatten(x).matmul(w) + (layer == 0 ? bias0 : b), p, state));
                    break;
                }

                case PoolLayer pool:
                {
                    int k = pool.Size;
                    _layers.Add((x, _, _) => pool.Kind == PoolKind.Max ? nn.functional.max_pool2d(x, k) : nn.functional.avg_pool2d(x, k));
                    break;
                }
            }
        }

        _readoutW = Own(tensor(network.Readout.Synapse.WeightsInputMajor, [network.Readout.Synapse.Input.Size, network.Classes]));
        _readoutB = Own(tensor(network.Readout.Synapse.Bias));
        _readoutAlpha = Own(tensor(network.Readout.Alpha));
    }

    public PeerAnswer Run(EncodedInput input)
    {
        long t0 = Stopwatch.GetTimestamp();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor x = Chw(input.X, _network.Input).unsqueeze(0);
        Tensor bias0 = _network.Hidden[0] is SpikingLayer { Synapse: ConvSynapse } ? Chw(input.Bias0, _network.Hidden[0].Output).unsqueeze(0) : tensor(input.Bias0).unsqueeze(0);
        var state = new Dictionary<int, (Tensor, Tensor, Tensor)>();
        Tensor u = zeros(1, _network.Classes);
        for (int t = 0; t < _timesteps; t++)
        {
            Tensor h = x;
            foreach (var layer in _layers)
            {
                h = layer(h, bias0, state);
            }

            u = _readoutAlpha * u + Flatten(h).matmul(_readoutW) + _readoutB;
        }

        int label = (int)u.argmax(1).item<long>();
        return new PeerAnswer(label, Stopwatch.GetElapsedTime(t0).TotalSeconds);
    }

    public void Dispose()
    {
        foreach (IDisposable d in _owned)
        {
            d.Dispose();
        }
    }

    private Tensor Own(Tensor t)
    {
        _owned.Add(t);
        return t;
    }

    private static Tensor Chw(float[] hwc, Shape3 s) => tensor(hwc, [s.Height, s.Width, s.Channels]).permute(2, 0, 1).contiguous();

    // Channel-last flattening, the order of the runtime's dense weights.
    private static Tensor Flatten(Tensor x) => x.dim() == 4 ? x.permute(0, 2, 3, 1).flatten(1) : x;

    private (Tensor Alpha, Tensor Rho, Tensor OneMinusRho, Tensor Beta, Tensor Theta0) Params(NeuronParameters p, Shape3? shape)
    {
        Tensor Make(float[] values) => Own(shape is { } s ? Chw(values, s) : tensor(values));
        return (Make(p.Alpha), Make(p.Rho), Make(p.OneMinusRho), Make(p.Beta), Make(p.Theta0));
    }

    // Contract 2, in the runtime's operation order; state per layer starts at zero.
    private static Tensor Alif(int layer, Tensor current, (Tensor Alpha, Tensor Rho, Tensor OneMinusRho, Tensor Beta, Tensor Theta0) p,
        Dictionary<int, (Tensor V, Tensor A, Tensor S)> state)
    {
        var (v, a, s) = state.TryGetValue(layer, out var previous) ? previous : (zeros_like(current), zeros_like(current), zeros_like(current));
        Tensor thetaPrevious = p.Theta0 + p.Beta * a;
        Tensor aNew = p.Rho * a + p.OneMinusRho * s;
        Tensor theta = p.Theta0 + p.Beta * aNew;
        Tensor vNew = p.Alpha * v + current - thetaPrevious * s;
        Tensor sNew = (vNew - theta).gt(0).to_type(ScalarType.Float32);
        state[layer] = (vNew, aNew, sNew);
        return sNew;
    }
}
