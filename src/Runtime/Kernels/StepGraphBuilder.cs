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
        string current = "x";
        Shape3 shape = network.Input;
        var ops = new List<string>();
        for (int l = 0; l < network.Hidden.Count; l++)
        {
            NetworkLayer layer = network.Hidden[l];
            switch (layer)
            {
                case SpikingLayer spiking:
                {
                    if (l > 0)
                    {
                        ops.Add(builder.Ops($"l{l}", current, spiking.Synapse.FanOut));
                    }

                    string synaptic = builder.Synapse($"l{l}", current, shape, spiking.Synapse);
                    string input = l == 0 ? builder.Add($"l{l}.i", synaptic, "bias0") : builder.Add($"l{l}.i", synaptic, builder.Const($"l{l}.b", spiking.Synapse.Bias));
                    current = builder.Alif(l, input, spiking.Neurons, graph);
                    break;
                }

                case PoolLayer pool:
                    current = builder.Pool($"l{l}", current, pool);
                    break;
            }

            shape = layer.Output;
        }

        ReadoutLayer readout = network.Readout;
        ops.Add(builder.Ops("readout", current, readout.Synapse.FanOut));
        string readoutInput = builder.Add("readout.i", builder.Synapse("readout", current, shape, readout.Synapse), builder.Const("readout.b", readout.Synapse.Bias));
        graph.Input.Add(Value("u", ["B", network.Classes]));
        graph.Input.Add(Value("usum", ["B", network.Classes]));
        graph.Node.Add(Node("Mul", ["u", builder.Const("readout.alpha", readout.Alpha)], ["readout.decayed"]));
        graph.Node.Add(Node("Add", ["readout.decayed", readoutInput], ["u.next"]));
        graph.Node.Add(Node("Add", ["usum", "u.next"], ["usum.next"]));
        graph.Output.Add(Value("u.next", ["B", network.Classes]));
        graph.Output.Add(Value("usum.next", ["B", network.Classes]));
        graph.Node.Add(Node("Concat", [.. ops], ["ops"], Int("axis", 1)));
        graph.Output.Add(Value("ops", ["B", ops.Count]));
        return ModelOf(graph, "SnnServe.Runtime");
    }

    private sealed class Builder(GraphProto graph)
    {
        private int _constants;

        public string Const(string name, float[] values)
        {
            graph.Initializer.Add(Initializer(name, [values.Length], values));
            return name;
        }

        private string Shape(string name, params long[] dims)
        {
            var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            t.Dims.Add(dims.Length);
            t.Int64Data.AddRange(dims);
            graph.Initializer.Add(t);
            return name;
        }

        public string Add(string name, string a, string b)
        {
            graph.Node.Add(Node("Add", [a, b], [name]));
            return name;
        }

        // [B, H·W·C] (HWC) → [B, C, H, W]
        private string ToNchw(string name, string input, Shape3 s)
        {
            graph.Node.Add(Node("Reshape", [input, Shape(name + ".shape", -1, s.Height, s.Width, s.Channels)], [name + ".nhwc"]));
            graph.Node.Add(Node("Transpose", [name + ".nhwc"], [name + ".nchw"], Ints("perm", 0, 3, 1, 2)));
            return name + ".nchw";
        }

        // [B, C, H, W] → [B, H·W·C] (HWC)
        private string FromNchw(string name, string input, Shape3 s)
        {
            graph.Node.Add(Node("Transpose", [input], [name + ".nhwc"], Ints("perm", 0, 2, 3, 1)));
            graph.Node.Add(Node("Reshape", [name + ".nhwc", Shape(name + ".flat", -1, s.Size)], [name]));
            return name;
        }

        public string Synapse(string name, string input, Shape3 inputShape, Synapse synapse)
        {
            switch (synapse)
            {
                case DenseSynapse dense:
                    graph.Initializer.Add(Initializer(name + ".w", [dense.Input.Size, dense.Output.Size], dense.WeightsInputMajor));
                    graph.Node.Add(Node("MatMul", [input, name + ".w"], [name + ".syn"]));
                    return name + ".syn";
                case ConvSynapse conv:
                {
                    int k = conv.Kernel, ci = conv.Input.Channels, co = conv.Output.Channels;
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

                    graph.Initializer.Add(Initializer(name + ".w", [co, ci, k, k], oihw));
                    string nchw = ToNchw(name + ".in", input, inputShape);
                    graph.Node.Add(Node("Conv", [nchw, name + ".w"], [name + ".conv"], Ints("kernel_shape", k, k),
                        Ints("strides", conv.Stride, conv.Stride), Ints("pads", conv.Padding, conv.Padding, conv.Padding, conv.Padding)));
                    return FromNchw(name + ".syn", name + ".conv", conv.Output);
                }

                default:
                    throw new NotSupportedException($"no step-graph lowering for {synapse.GetType().Name}");
            }
        }

        public string Pool(string name, string input, PoolLayer pool)
        {
            string nchw = ToNchw(name + ".in", input, pool.Input);
            string op = pool.Kind == PoolKind.Max ? "MaxPool" : "AveragePool";
            graph.Node.Add(Node(op, [nchw], [name + ".pool"], Ints("kernel_shape", pool.Size, pool.Size), Ints("strides", pool.Size, pool.Size)));
            return FromNchw(name + ".out", name + ".pool", pool.Output);
        }

        // Σ_j [x_j ≠ 0]·fan-out_j → [B, 1]
        public string Ops(string name, string input, int[] fanOut)
        {
            graph.Node.Add(Node("Greater", [input, Const(name + ".zero" + _constants++, [0f])], [name + ".active"]));
            graph.Node.Add(Node("Cast", [name + ".active"], [name + ".activef"], Int("to", (long)TensorProto.Types.DataType.Float)));
            graph.Initializer.Add(Initializer(name + ".fanout", [fanOut.Length, 1], Array.ConvertAll(fanOut, f => (float)f)));
            graph.Node.Add(Node("MatMul", [name + ".activef", name + ".fanout"], [name + ".ops"]));
            return name + ".ops";
        }

        // Contract 2, in AlifUpdate's operation order.
        public string Alif(int l, string current, NeuronParameters p, GraphProto g)
        {
            int n = p.Count;
            string v = $"v{l}", a = $"a{l}", s = $"s{l}", pre = $"l{l}.";
            g.Input.Add(Value(v, ["B", n]));
            g.Input.Add(Value(a, ["B", n]));
            g.Input.Add(Value(s, ["B", n]));
            string theta0 = Const(pre + "theta0", p.Theta0), beta = Const(pre + "beta", p.Beta), rho = Const(pre + "rho", p.Rho);
            string omr = Const(pre + "omr", p.OneMinusRho), alpha = Const(pre + "alpha", p.Alpha);
            g.Node.Add(Node("Mul", [beta, a], [pre + "ba"]));
            g.Node.Add(Node("Add", [theta0, pre + "ba"], [pre + "thetaPrev"]));
            g.Node.Add(Node("Mul", [rho, a], [pre + "ra"]));
            g.Node.Add(Node("Mul", [omr, s], [pre + "os"]));
            g.Node.Add(Node("Add", [pre + "ra", pre + "os"], [a + ".next"]));
            g.Node.Add(Node("Mul", [beta, a + ".next"], [pre + "bn"]));
            g.Node.Add(Node("Add", [theta0, pre + "bn"], [pre + "theta"]));
            g.Node.Add(Node("Mul", [alpha, v], [pre + "av"]));
            g.Node.Add(Node("Add", [pre + "av", current], [pre + "avi"]));
            g.Node.Add(Node("Mul", [pre + "thetaPrev", s], [pre + "reset"]));
            g.Node.Add(Node("Sub", [pre + "avi", pre + "reset"], [v + ".next"]));
            g.Node.Add(Node("Sub", [v + ".next", pre + "theta"], [pre + "margin"]));
            g.Node.Add(Node("Greater", [pre + "margin", Const(pre + "zero", [0f])], [pre + "fired"]));
            g.Node.Add(Node("Cast", [pre + "fired"], [s + ".next"], Int("to", (long)TensorProto.Types.DataType.Float)));
            g.Output.Add(Value(v + ".next", ["B", n]));
            g.Output.Add(Value(a + ".next", ["B", n]));
            g.Output.Add(Value(s + ".next", ["B", n]));
            return s + ".next";
        }
    }
}
