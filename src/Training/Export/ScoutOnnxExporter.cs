using Google.Protobuf;
using Onnx;
using SnnServe.Training.Model;
using static SnnServe.Runtime.Kernels.OnnxGraph;
using static TorchSharp.torch;

namespace SnnServe.Training.Export;

/// <summary>
/// Builds the scout's ONNX graph in C# (OnnxSharp's protobuf classes) from the trained weights,
/// batch normalisation folded into each convolution: input "image" [N, 1, 28, 28] → AveragePool 2 →
/// Conv/Relu ×4 → Conv → Sigmoid → output "attention" [N, 1, 7, 7]. Opset 13.
/// </summary>
public static class ScoutOnnxExporter
{
    public static byte[] Export(SaliencyScout scout)
    {
        var graph = new GraphProto { Name = "snnserve_saliency_scout" };
        graph.Input.Add(Value("image", ["N", 1, 28, 28]));
        graph.Output.Add(Value("attention", ["N", 1, 7, 7]));
        graph.Node.Add(Node("AveragePool", ["image"], ["pooled"], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)));
        string current = "pooled";
        foreach (var (name, weight, bias, stride, padding, groups) in scout.FoldedLayers())
        {
            using Tensor w = weight.contiguous();
            graph.Initializer.Add(Initializer(name + ".weight", w.shape, w.data<float>().ToArray()));
            graph.Initializer.Add(Initializer(name + ".bias", [bias.Length], bias));
            string output = name == "head" ? "logits" : name + ".conv";
            graph.Node.Add(Node("Conv", [current, name + ".weight", name + ".bias"], [output],
                Ints("kernel_shape", w.shape[2], w.shape[3]), Ints("strides", stride, stride),
                Ints("pads", padding, padding, padding, padding), Int("group", groups)));
            if (name != "head")
            {
                graph.Node.Add(Node("Relu", [output], [name + ".relu"]));
                current = name + ".relu";
            }
        }

        graph.Node.Add(Node("Sigmoid", ["logits"], ["attention"]));
        return ModelOf(graph).ToByteArray();
    }
}
