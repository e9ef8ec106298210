using Google.Protobuf;
using Onnx;
using SnnServe.Training.Model;
using static SnnServe.Runtime.Kernels.OnnxGraph;
using static TorchSharp.torch;

namespace SnnServe.Training.Export;

/// <summary>
/// The ANN baseline as an ONNX graph (OnnxSharp): "image" [N, 1, 28, 28] → Conv Relu MaxPool ×2 →
/// Flatten → Gemm Relu → Gemm → "logits" [N, 10].
/// </summary>
public static class AnnOnnxExporter
{
    public static byte[] Export(AnnClassifier ann)
    {
        var graph = new GraphProto { Name = "snnserve_ann_baseline" };
        graph.Input.Add(Value("image", ["N", 1, 28, 28]));
        graph.Output.Add(Value("logits", ["N", 10]));
        string current = "image";
        using var noGrad = no_grad();
        foreach (var (name, weight, bias) in ann.Layers())
        {
            using Tensor w = weight.detach().contiguous();
            using Tensor b = bias.detach().contiguous();
            graph.Initializer.Add(Initializer(name + ".weight", w.shape, w.data<float>().ToArray()));
            graph.Initializer.Add(Initializer(name + ".bias", b.shape, b.data<float>().ToArray()));
            if (name.StartsWith("conv", StringComparison.Ordinal))
            {
                graph.Node.Add(Node("Conv", [current, name + ".weight", name + ".bias"], [name + ".out"],
                    Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1)));
                graph.Node.Add(Node("Relu", [name + ".out"], [name + ".relu"]));
                graph.Node.Add(Node("MaxPool", [name + ".relu"], [name + ".pool"], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)));
                current = name + ".pool";
                if (name == "conv2")
                {
                    graph.Node.Add(Node("Flatten", [current], ["flat"], Int("axis", 1)));
                    current = "flat";
                }
            }
            else
            {
                string output = name == "fc2" ? "logits" : name + ".out";
                graph.Node.Add(Node("Gemm", [current, name + ".weight", name + ".bias"], [output], Int("transB", 1)));
                if (name != "fc2")
                {
                    graph.Node.Add(Node("Relu", [output], [name + ".relu"]));
                    current = name + ".relu";
                }
            }
        }

        return ModelOf(graph).ToByteArray();
    }
}
