using Google.Protobuf;
using Onnx;
using SnnServe.Training.Model;
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
        var model = new ModelProto { IrVersion = 7, ProducerName = "SnnServe.Training", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model.ToByteArray();
    }

    private static ValueInfoProto Value(string name, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object d in dims)
        {
            shape.Dim.Add(d is string p
                ? new TensorShapeProto.Types.Dimension { DimParam = p }
                : new TensorShapeProto.Types.Dimension { DimValue = (int)d });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static TensorProto Initializer(string name, long[] shape, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(shape);
        t.FloatData.AddRange(values);
        return t;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = outputs[0] };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
}
