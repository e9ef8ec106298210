using Onnx;
using SnnServe.Runtime.Network;
using static SnnServe.Runtime.Kernels.OnnxGraph;

namespace SnnServe.Runtime.Kernels;

/// <summary>
/// Generates the ONNX graph of one timestep of a network, batched over request slots (batch
/// dimension "B"). Every tensor is a flat [B, N] vector in the runtime's channel-last order, so the
/// state of a <see cref="NetworkState"/> is copied in and out without reordering; convolutions and
/// pooling reshape to NCHW around the ONNX operator. Inputs: <c>x</c> (the encoded input of this
/// timestep), <c>bias0</c> (the first layer's per-request bias, incl. potential modulation),
/// <c>v{l}</c>, <c>a{l}</c>, <c>s{l}</c> per spiking layer (membrane, adaptation, last spikes),
/// <c>u</c>, <c>usum</c> (readout and its running sum). Outputs: the same state with a <c>.next</c>
/// suffix, and <c>ops</c> [B, L]: per synapse after the first, Σ over non-zero inputs of their
/// fan-out (the event-driven accounting of contract 2). ALIF per contract 2, in the same operation
/// order as <see cref="AlifUpdate"/>; opset 13.
/// </summary>
public static class StepGraphBuilder
{
    /// <summary>Builds the step graph of <paramref name="network"/>.</summary>
    public static ModelProto Build(SnnNetwork network)
    {
        var graph = new GraphProto { Name = "snnserve_step" };
        var builder = new Builder(graph);
        graph.Input.Add(Value("x", ["B", network.Input.Size]));
        graph.Input.Add(Value("bias0", ["B", network.Hidden[0].Output.Size]));
        var state = new Dictionary<string, string>();
        foreach (var (name, size) in StateTensors(network))
        {
            graph.Input.Add(Value(name, ["B", size]));
            state[name] = name;
        }

        var (next, ops) = builder.Step(network, "", "x", "bias0", state);
        foreach (var (name, size) in StateTensors(network))
        {
            graph.Node.Add(Node("Identity", [next[name]], [name + ".next"]));
            graph.Output.Add(Value(name + ".next", ["B", size]));
        }

        graph.Node.Add(Node("Concat", [.. ops], ["ops"], Int("axis", 1)));
        graph.Output.Add(Value("ops", ["B", ops.Count]));
        return ModelOf(graph, "SnnServe.Runtime");
    }

    /// <summary>
    /// The whole network unrolled over <paramref name="timesteps"/> steps as one dense graph, for a
    /// static (direct-encoded) input: inputs <c>x</c> and <c>bias0</c> as in <see cref="Build"/>, the state
    /// starting at zero; outputs <c>u</c> (the last readout) and <c>usum</c> (Σ of the readouts). This is
    /// what a generic inference server runs for an SNN: every timestep, every synapse, no early exit.
    /// </summary>
    public static ModelProto BuildUnrolled(SnnNetwork network, int timesteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timesteps, 1);
        var graph = new GraphProto { Name = "snnserve_unrolled" };
        var builder = new Builder(graph);
        graph.Input.Add(Value("x", ["B", network.Input.Size]));
        graph.Input.Add(Value("bias0", ["B", network.Hidden[0].Output.Size]));
        // Zero state [B, n]: 0·(x's first column) is [B, 1] zeros; broadcast against [n] zeros.
        graph.Node.Add(Node("Gather", ["x", builder.Int64s("first.column", 1, 0)], ["x.first"], Int("axis", 1)));
        graph.Node.Add(Node("Mul", ["x.first", builder.Const("zero", [0f])], ["zero.column"]));
        var state = new Dictionary<string, string>();
        foreach (var (name, size) in StateTensors(network))
        {
            graph.Node.Add(Node("Add", ["zero.column", builder.Const("zero." + size, new float[size])], [name + "@0"]));
            state[name] = name + "@0";
        }

        for (int t = 1; t <= timesteps; t++)
        {
            state = builder.Step(network, $"t{t}.", "x", "bias0", state).State;
        }

        graph.Node.Add(Node("Identity", [state["u"]], ["u.out"]));
        graph.Node.Add(Node("Identity", [state["usum"]], ["usum.out"]));
        graph.Output.Add(Value("u.out", ["B", network.Classes]));
        graph.Output.Add(Value("usum.out", ["B", network.Classes]));
        return ModelOf(graph, "SnnServe.Runtime");
    }

    /// <summary>Dense multiply-accumulates of one timestep (every synapse, every position), the cost of the unrolled graph per timestep.</summary>
    public static long DenseMacsPerTimestep(SnnNetwork network)
    {
        long macs = 0;
        foreach (NetworkLayer layer in network.Hidden)
        {
            if (layer is SpikingLayer spiking)
            {
                macs += spiking.Synapse.FanOut.Sum(f => (long)f);
            }
        }

        return macs + network.Readout.Synapse.FanOut.Sum(f => (long)f);
    }

    // The state tensors of a timestep, in the order of the graph's inputs.
    private static IEnumerable<(string Name, int Size)> StateTensors(SnnNetwork network)
    {
        for (int l = 0; l < network.Hidden.Count; l++)
        {
            if (network.Hidden[l] is SpikingLayer spiking)
            {
                yield return ($"v{l}", spiking.Output.Size);
                yield return ($"a{l}", spiking.Output.Size);
                yield return ($"s{l}", spiking.Output.Size);
            }
        }

        yield return ("u", network.Classes);
        yield return ("usum", network.Classes);
    }

    private sealed class Builder(GraphProto graph)
    {
        private readonly HashSet<string> _initializers = [];

        // One timestep: node names get `prefix`, parameters (weights, neuron constants) are shared.
        public (Dictionary<string, string> State, List<string> Ops) Step(SnnNetwork network, string prefix, string x, string bias0, Dictionary<string, string> state)
        {
            var next = new Dictionary<string, string>();
            var ops = new List<string>();
            string current = x;
            Shape3 shape = network.Input;
            for (int l = 0; l < network.Hidden.Count; l++)
            {
                NetworkLayer layer = network.Hidden[l];
                string node = $"{prefix}l{l}";
                switch (layer)
                {
                    case SpikingLayer spiking:
                    {
                        if (l > 0)
                        {
                            ops.Add(Ops(node, $"l{l}", current, spiking.Synapse.FanOut));
                        }

                        string synaptic = Synapse(node, $"l{l}", current, shape, spiking.Synapse);
                        string input = Add(node + ".i", synaptic, l == 0 ? bias0 : Const($"l{l}.b", spiking.Synapse.Bias));
                        current = Alif(l, node, input, spiking.Neurons, state, next);
                        break;
                    }

                    case PoolLayer pool:
                        current = Pool(node, current, pool);
                        break;
                }

                shape = layer.Output;
            }

            ReadoutLayer readout = network.Readout;
            string r = prefix + "readout";
            ops.Add(Ops(r, "readout", current, readout.Synapse.FanOut));
            string readoutInput = Add(r + ".i", Synapse(r, "readout", current, shape, readout.Synapse), Const("readout.b", readout.Synapse.Bias));
            graph.Node.Add(Node("Mul", [state["u"], Const("readout.alpha", readout.Alpha)], [r + ".decayed"]));
            graph.Node.Add(Node("Add", [r + ".decayed", readoutInput], [r + ".u"]));
            graph.Node.Add(Node("Add", [state["usum"], r + ".u"], [r + ".usum"]));
            next["u"] = r + ".u";
            next["usum"] = r + ".usum";
            return (next, ops);
        }

        public string Const(string name, float[] values)
        {
            if (_initializers.Add(name))
            {
                graph.Initializer.Add(Initializer(name, [values.Length], values));
            }

            return name;
        }

        private void Weights(string name, long[] shape, Func<float[]> values)
        {
            if (_initializers.Add(name))
            {
                graph.Initializer.Add(Initializer(name, shape, values()));
            }
        }

        private string Shape(string name, params long[] dims) => Int64s(name, dims.Length, dims);

        public string Int64s(string name, long length, params long[] values)
        {
            if (_initializers.Add(name))
            {
                var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
                t.Dims.Add(length);
                t.Int64Data.AddRange(values);
                graph.Initializer.Add(t);
            }

            return name;
        }

        private string Add(string name, string a, string b)
        {
            graph.Node.Add(Node("Add", [a, b], [name]));
            return name;
        }

        // [B, H·W·C] (HWC) → [B, C, H, W]
        private string ToNchw(string name, string input, Shape3 s)
        {
            graph.Node.Add(Node("Reshape", [input, Shape($"shape.{s.Height}x{s.Width}x{s.Channels}", -1, s.Height, s.Width, s.Channels)], [name + ".nhwc"]));
            graph.Node.Add(Node("Transpose", [name + ".nhwc"], [name + ".nchw"], Ints("perm", 0, 3, 1, 2)));
            return name + ".nchw";
        }

        // [B, C, H, W] → [B, H·W·C] (HWC)
        private string FromNchw(string name, string input, Shape3 s)
        {
            graph.Node.Add(Node("Transpose", [input], [name + ".nhwc"], Ints("perm", 0, 2, 3, 1)));
            graph.Node.Add(Node("Reshape", [name + ".nhwc", Shape($"shape.flat{s.Size}", -1, s.Size)], [name]));
            return name;
        }

        private string Synapse(string node, string param, string input, Shape3 inputShape, Synapse synapse)
        {
            switch (synapse)
            {
                case DenseSynapse dense:
                    Weights(param + ".w", [dense.Input.Size, dense.Output.Size], () => dense.WeightsInputMajor);
                    graph.Node.Add(Node("MatMul", [input, param + ".w"], [node + ".syn"]));
                    return node + ".syn";
                case ConvSynapse conv:
                {
                    int k = conv.Kernel, ci = conv.Input.Channels, co = conv.Output.Channels;
                    Weights(param + ".w", [co, ci, k, k], () =>
                    {
                        var oihw = new float[co * ci * k * k];
                        for (int ky = 0; ky < k; ky++)
                        {
                            for (int kx = 0; kx < k; kx++)
                            {
                                for (int c = 0; c < ci; c++)
                                {
                                    for (int o = 0; o < co; o++)
                                    {
                                        oihw[((o * ci + c) * k + ky) * k + kx] = conv.Weights[((ky * k + kx) * ci + c) * co + o];
                                    }
                                }
                            }
                        }

                        return oihw;
                    });
                    string nchw = ToNchw(node + ".in", input, inputShape);
                    graph.Node.Add(Node("Conv", [nchw, param + ".w"], [node + ".conv"], Ints("kernel_shape", k, k),
                        Ints("strides", conv.Stride, conv.Stride), Ints("pads", conv.Padding, conv.Padding, conv.Padding, conv.Padding)));
                    return FromNchw(node + ".syn", node + ".conv", conv.Output);
                }

                default:
                    throw new NotSupportedException($"no step-graph lowering for {synapse.GetType().Name}");
            }
        }

        private string Pool(string node, string input, PoolLayer pool)
        {
            string nchw = ToNchw(node + ".in", input, pool.Input);
            string op = pool.Kind == PoolKind.Max ? "MaxPool" : "AveragePool";
            graph.Node.Add(Node(op, [nchw], [node + ".pool"], Ints("kernel_shape", pool.Size, pool.Size), Ints("strides", pool.Size, pool.Size)));
            return FromNchw(node + ".out", node + ".pool", pool.Output);
        }

        // Σ_j [x_j ≠ 0]·fan-out_j → [B, 1]
        private string Ops(string node, string param, string input, int[] fanOut)
        {
            graph.Node.Add(Node("Greater", [input, Const("zero", [0f])], [node + ".active"]));
            graph.Node.Add(Node("Cast", [node + ".active"], [node + ".activef"], Int("to", (long)TensorProto.Types.DataType.Float)));
            Weights(param + ".fanout", [fanOut.Length, 1], () => Array.ConvertAll(fanOut, f => (float)f));
            graph.Node.Add(Node("MatMul", [node + ".activef", param + ".fanout"], [node + ".ops"]));
            return node + ".ops";
        }

        // Contract 2, in AlifUpdate's operation order.
        private string Alif(int l, string node, string current, NeuronParameters p, Dictionary<string, string> state, Dictionary<string, string> next)
        {
            string v = state[$"v{l}"], a = state[$"a{l}"], s = state[$"s{l}"], pre = node + ".", par = $"l{l}.";
            string theta0 = Const(par + "theta0", p.Theta0), beta = Const(par + "beta", p.Beta), rho = Const(par + "rho", p.Rho);
            string omr = Const(par + "omr", p.OneMinusRho), alpha = Const(par + "alpha", p.Alpha);
            graph.Node.Add(Node("Mul", [beta, a], [pre + "ba"]));
            graph.Node.Add(Node("Add", [theta0, pre + "ba"], [pre + "thetaPrev"]));
            graph.Node.Add(Node("Mul", [rho, a], [pre + "ra"]));
            graph.Node.Add(Node("Mul", [omr, s], [pre + "os"]));
            graph.Node.Add(Node("Add", [pre + "ra", pre + "os"], [pre + "a"]));
            graph.Node.Add(Node("Mul", [beta, pre + "a"], [pre + "bn"]));
            graph.Node.Add(Node("Add", [theta0, pre + "bn"], [pre + "theta"]));
            graph.Node.Add(Node("Mul", [alpha, v], [pre + "av"]));
            graph.Node.Add(Node("Add", [pre + "av", current], [pre + "avi"]));
            graph.Node.Add(Node("Mul", [pre + "thetaPrev", s], [pre + "reset"]));
            graph.Node.Add(Node("Sub", [pre + "avi", pre + "reset"], [pre + "v"]));
            graph.Node.Add(Node("Sub", [pre + "v", pre + "theta"], [pre + "margin"]));
            graph.Node.Add(Node("Greater", [pre + "margin", Const("zero", [0f])], [pre + "fired"]));
            graph.Node.Add(Node("Cast", [pre + "fired"], [pre + "s"], Int("to", (long)TensorProto.Types.DataType.Float)));
            next[$"v{l}"] = pre + "v";
            next[$"a{l}"] = pre + "a";
            next[$"s{l}"] = pre + "s";
            return pre + "s";
        }
    }
}
