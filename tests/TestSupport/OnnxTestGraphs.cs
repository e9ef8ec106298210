using Google.Protobuf;
using Onnx;
using static SnnServe.Runtime.Kernels.OnnxGraph;

namespace SnnServe.TestSupport;

/// <summary>
/// Small ONNX scouts built with OnnxSharp's protobuf classes, simple enough to compute by hand:
/// <c>map = sigmoid(a · blockmean(channelmean(x)) + b)</c> over non-overlapping k×k blocks.
/// </summary>
public static class OnnxTestGraphs
{
    /// <summary>Serialised model: input "image" [N, C, H, W] → output "attention" [N, 1, H/k, W/k].</summary>
    public static byte[] BlockMeanSigmoid(int channels, int height, int width, int block, float a, float b)
    {
        var graph = new GraphProto { Name = "block_mean_sigmoid_scout" };
        graph.Input.Add(Value("image", ["N", channels, height, width]));
        graph.Output.Add(Value("attention", ["N", 1, height / block, width / block]));
        graph.Initializer.Add(Scalar("a", a));
        graph.Initializer.Add(Scalar("b", b));
        graph.Node.Add(Node("ReduceMean", ["image"], ["gray"], Ints("axes", 1), Int("keepdims", 1)));
        graph.Node.Add(Node("AveragePool", ["gray"], ["pooled"], Ints("kernel_shape", block, block), Ints("strides", block, block)));
        graph.Node.Add(Node("Mul", ["pooled", "a"], ["scaled"]));
        graph.Node.Add(Node("Add", ["scaled", "b"], ["shifted"]));
        graph.Node.Add(Node("Sigmoid", ["shifted"], ["attention"]));
        var model = new ModelProto { IrVersion = 7, ProducerName = "snnserve-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model.ToByteArray();
    }

    /// <summary>What <see cref="BlockMeanSigmoid"/> computes, by hand, for one channel-first input.</summary>
    public static float[] BlockMeanSigmoidReference(float[] input, int channels, int height, int width, int block, float a, float b)
    {
        int mh = height / block, mw = width / block;
        var map = new float[mh * mw];
        for (int my = 0; my < mh; my++)
        {
            for (int mx = 0; mx < mw; mx++)
            {
                double sum = 0;
                for (int c = 0; c < channels; c++)
                {
                    for (int dy = 0; dy < block; dy++)
                    {
                        for (int dx = 0; dx < block; dx++)
                        {
                            sum += input[(c * height + my * block + dy) * width + mx * block + dx];
                        }
                    }
                }

                double mean = sum / (channels * block * block);
                map[my * mw + mx] = (float)(1 / (1 + Math.Exp(-(a * mean + b))));
            }
        }

        return map;
    }

    /// <summary>
    /// A linear classifier: "image" [N, C, H, W] → Flatten → Gemm(W [K, C·H·W], b) → "logits" [N, K],
    /// with W[k, i] = (k + 1)·0.01·(i % 7 − 3) and b[k] = 0.1·k (easy to compute by hand).
    /// </summary>
    public static byte[] LinearClassifier(int channels, int height, int width, int classes)
    {
        int inputs = channels * height * width;
        var graph = new GraphProto { Name = "linear_classifier" };
        graph.Input.Add(Value("image", ["N", channels, height, width]));
        graph.Output.Add(Value("logits", ["N", classes]));
        var w = new TensorProto { Name = "W", DataType = (int)TensorProto.Types.DataType.Float };
        w.Dims.AddRange([classes, inputs]);
        var b = new TensorProto { Name = "B", DataType = (int)TensorProto.Types.DataType.Float };
        b.Dims.Add(classes);
        for (int k = 0; k < classes; k++)
        {
            for (int i = 0; i < inputs; i++)
            {
                w.FloatData.Add(LinearWeight(k, i));
            }

            b.FloatData.Add(0.1f * k);
        }

        graph.Initializer.Add(w);
        graph.Initializer.Add(b);
        graph.Node.Add(Node("Flatten", ["image"], ["flat"], Int("axis", 1)));
        graph.Node.Add(Node("Gemm", ["flat", "W", "B"], ["logits"], Int("transB", 1)));
        var model = new ModelProto { IrVersion = 7, ProducerName = "snnserve-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model.ToByteArray();
    }

    /// <summary>Weight W[k, i] of <see cref="LinearClassifier"/>.</summary>
    public static float LinearWeight(int k, int i) => (k + 1) * 0.01f * (i % 7 - 3);

    private static TensorProto Scalar(string name, float value)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.FloatData.Add(value);
        return t;
    }
}
