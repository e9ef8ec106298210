using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Network;

namespace SnnServe.Runtime.Repository;

/// <summary>
/// Compiles the manifest's layer list and the safetensors tensors into an <see cref="SnnNetwork"/>,
/// converting from the manifest's PyTorch conventions (conv weight [Co, Ci, K, K], dense weight
/// [out, in] over a channel-first flattening, per-neuron tensors channel-first) to the runtime's
/// channel-last, input-major layouts. Every mismatch is a <see cref="ModelLoadException"/> naming
/// <c>model.json</c> and the layer field.
/// </summary>
internal sealed class NetworkBuilder(IReadOnlyDictionary<string, TensorData> tensors, string weightsFile)
{
    private const string Manifest = "model.json";
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <summary>Tensor names the layers referenced (to report unused tensors if wanted).</summary>
    public IReadOnlySet<string> UsedTensors => _used;

    public SnnNetwork Build(Shape3 input, IReadOnlyList<LayerSpec> layers)
    {
        if (layers.Count < 2)
        {
            throw new ModelLoadException(Manifest, "layers", "need at least one spiking layer and a readout");
        }

        var hidden = new List<NetworkLayer>();
        Shape3 shape = input;
        ReadoutLayer? readout = null;
        for (int l = 0; l < layers.Count; l++)
        {
            LayerSpec spec = layers[l];
            string path = $"layers[{l}]";
            string name = string.IsNullOrWhiteSpace(spec.Name) ? $"layer{l}" : spec.Name;
            if (readout is not null)
            {
                throw new ModelLoadException(Manifest, path, "the readout must be the last layer");
            }

            switch (spec.Type)
            {
                case "conv":
                    hidden.Add(BuildConv(spec, name, path, shape));
                    break;
                case "dense":
                    hidden.Add(BuildDense(spec, name, path, shape));
                    break;
                case "pool":
                    if (hidden.Count == 0 || hidden[^1] is not SpikingLayer)
                    {
                        throw new ModelLoadException(Manifest, path, "a pool layer must follow a spiking (conv or dense) layer");
                    }

                    hidden.Add(BuildPool(spec, name, path, shape));
                    break;
                case "flatten":
                    continue;
                case "readout":
                    if (hidden.Count == 0)
                    {
                        throw new ModelLoadException(Manifest, path, "the readout needs at least one spiking layer before it");
                    }

                    readout = BuildReadout(spec, name, path, shape);
                    break;
                case null:
                    throw new ModelLoadException(Manifest, path + ".type", "missing");
                default:
                    throw new ModelLoadException(Manifest, path + ".type", $"unknown layer type '{spec.Type}' (known: conv, dense, pool, flatten, readout)");
            }

            if (hidden.Count > 0)
            {
                shape = hidden[^1].Output;
            }
        }

        if (readout is null)
        {
            throw new ModelLoadException(Manifest, "layers", "the last layer must be of type 'readout'");
        }

        if (hidden[0] is not SpikingLayer)
        {
            throw new ModelLoadException(Manifest, "layers[0]", "the first layer must be conv or dense");
        }

        return new SnnNetwork(input, hidden, readout);
    }

    private SpikingLayer BuildConv(LayerSpec spec, string name, string path, Shape3 input)
    {
        int co = Positive(spec.OutChannels, path + ".out_channels");
        int k = Positive(spec.Kernel, path + ".kernel");
        int stride = spec.Stride ?? 1;
        int padding = spec.Padding ?? 0;
        if (stride < 1)
        {
            throw new ModelLoadException(Manifest, path + ".stride", $"must be ≥ 1, got {stride}");
        }

        if (padding < 0 || padding >= k)
        {
            throw new ModelLoadException(Manifest, path + ".padding", $"must lie in [0, kernel), got {padding}");
        }

        Shape3 output = ConvSynapse.OutputShape(input, co, k, stride, padding);
        if (output.Height < 1 || output.Width < 1)
        {
            throw new ModelLoadException(Manifest, path, $"kernel {k} with padding {padding} does not fit the input {input}");
        }

        TensorData weight = Tensor(spec.Weight, path + ".weight", [co, input.Channels, k, k]);
        var weights = new float[weight.ElementCount];
        int ci = input.Channels;
        for (int o = 0; o < co; o++)
        {
            for (int c = 0; c < ci; c++)
            {
                for (int ky = 0; ky < k; ky++)
                {
                    for (int kx = 0; kx < k; kx++)
                    {
                        weights[((ky * k + kx) * ci + c) * co + o] = weight.Values[((o * ci + c) * k + ky) * k + kx];
                    }
                }
            }
        }

        float[] bias = PerNeuron(spec.Bias, path + ".bias", output, optionalDefault: 0f);
        var synapse = new ConvSynapse(input, co, k, stride, padding, weights, bias);
        return new SpikingLayer(name, synapse, Neurons(spec.Neuron, path + ".neuron", output));
    }

    private SpikingLayer BuildDense(LayerSpec spec, string name, string path, Shape3 input)
    {
        int units = Positive(spec.Units, path + ".units");
        float[] weights = DenseWeights(spec.Weight, path + ".weight", input, units);
        var output = new Shape3(units, 1, 1);
        float[] bias = PerNeuron(spec.Bias, path + ".bias", output, optionalDefault: 0f);
        var synapse = new DenseSynapse(input.Size, units, weights, bias);
        return new SpikingLayer(name, synapse, Neurons(spec.Neuron, path + ".neuron", output));
    }

    private ReadoutLayer BuildReadout(LayerSpec spec, string name, string path, Shape3 input)
    {
        int units = Positive(spec.Units, path + ".units");
        float[] weights = DenseWeights(spec.Weight, path + ".weight", input, units);
        var output = new Shape3(units, 1, 1);
        float[] bias = PerNeuron(spec.Bias, path + ".bias", output, optionalDefault: 0f);
        float[] alpha = PerNeuron(spec.Alpha, path + ".alpha", output, optionalDefault: null);
        Range(alpha, path + ".alpha", spec.Alpha!, 0f, 1f);
        return new ReadoutLayer(name, new DenseSynapse(input.Size, units, weights, bias), alpha);
    }

    private static PoolLayer BuildPool(LayerSpec spec, string name, string path, Shape3 input)
    {
        int size = Positive(spec.Size, path + ".size");
        PoolKind kind = spec.Pool switch
        {
            "max" => PoolKind.Max,
            "avg" => PoolKind.Average,
            _ => throw new ModelLoadException(Manifest, path + ".pool", $"must be 'max' or 'avg', got '{spec.Pool}'"),
        };
        if (input.Height < size || input.Width < size)
        {
            throw new ModelLoadException(Manifest, path + ".size", $"{size} is larger than the input {input}");
        }

        return new PoolLayer(name, input, kind, size);
    }

    // Dense weight [units, in] with `in` flattened channel-first → input-major with channel-last inputs.
    private float[] DenseWeights(string? tensorName, string field, Shape3 input, int units)
    {
        TensorData weight = Tensor(tensorName, field, [units, input.Size]);
        var result = new float[weight.ElementCount];
        int inputs = input.Size;
        for (int c = 0; c < input.Channels; c++)
        {
            for (int y = 0; y < input.Height; y++)
            {
                for (int x = 0; x < input.Width; x++)
                {
                    int chw = input.Chw(c, y, x), hwc = input.Hwc(c, y, x);
                    for (int i = 0; i < units; i++)
                    {
                        result[hwc * units + i] = weight.Values[i * inputs + chw];
                    }
                }
            }
        }

        return result;
    }

    private NeuronParameters Neurons(NeuronSpec? spec, string path, Shape3 output)
    {
        if (spec is null)
        {
            throw new ModelLoadException(Manifest, path, "missing: conv and dense layers need a neuron model");
        }

        bool adaptive = spec.Model switch
        {
            "alif" => true,
            "lif" => false,
            _ => throw new ModelLoadException(Manifest, path + ".model", $"must be 'alif' or 'lif', got '{spec.Model}'"),
        };
        float[] alpha = PerNeuron(spec.Alpha, path + ".alpha", output, optionalDefault: null);
        Range(alpha, path + ".alpha", spec.Alpha!, 0f, 1f);
        float[] theta0 = PerNeuron(spec.Theta0, path + ".theta0", output, optionalDefault: null);
        for (int i = 0; i < theta0.Length; i++)
        {
            if (theta0[i] <= 0f)
            {
                throw new ModelLoadException(weightsFile, spec.Theta0!, $"baseline threshold must be > 0 (element {i} is {theta0[i]})");
            }
        }

        float[] rho, beta;
        if (adaptive)
        {
            rho = PerNeuron(spec.Rho, path + ".rho", output, optionalDefault: null);
            Range(rho, path + ".rho", spec.Rho!, 0f, 1f);
            beta = PerNeuron(spec.Beta, path + ".beta", output, optionalDefault: null);
            Range(beta, path + ".beta", spec.Beta!, 0f, float.MaxValue);
        }
        else
        {
            if (spec.Rho is not null || spec.Beta is not null)
            {
                throw new ModelLoadException(Manifest, path, "a 'lif' neuron has no rho/beta (use 'alif')");
            }

            rho = new float[output.Size];
            beta = new float[output.Size];
        }

        return new NeuronParameters(alpha, rho, beta, theta0, adaptive);
    }

    // A per-neuron tensor may be a scalar ([] or [1]), per channel ([C]) or per neuron ([C,H,W] or [C·H·W], channel-first).
    private float[] PerNeuron(string? tensorName, string field, Shape3 output, float? optionalDefault)
    {
        var result = new float[output.Size];
        if (tensorName is null)
        {
            if (optionalDefault is null)
            {
                throw new ModelLoadException(Manifest, field, "missing");
            }

            Array.Fill(result, optionalDefault.Value);
            return result;
        }

        TensorData t = Lookup(tensorName, field);
        int n = t.ElementCount;
        bool perNeuron = n == output.Size && (t.Shape.Length == 1 || t.Shape.SequenceEqual([output.Channels, output.Height, output.Width]));
        bool perChannel = !perNeuron && t.Shape.Length == 1 && n == output.Channels;
        bool scalar = n == 1 && t.Shape.Length <= 1;
        if (!perNeuron && !perChannel && !scalar)
        {
            throw new ModelLoadException(weightsFile, tensorName,
                $"shape {t.ShapeText} does not fit {field} of a layer with output {output}: expected [], [1], [{output.Channels}] or [{output.Channels}, {output.Height}, {output.Width}]");
        }

        for (int c = 0; c < output.Channels; c++)
        {
            for (int y = 0; y < output.Height; y++)
            {
                for (int x = 0; x < output.Width; x++)
                {
                    result[output.Hwc(c, y, x)] = scalar ? t.Values[0] : perChannel ? t.Values[c] : t.Values[output.Chw(c, y, x)];
                }
            }
        }

        return result;
    }

    private TensorData Tensor(string? tensorName, string field, int[] expected)
    {
        if (tensorName is null)
        {
            throw new ModelLoadException(Manifest, field, "missing");
        }

        TensorData t = Lookup(tensorName, field);
        if (!t.Shape.SequenceEqual(expected))
        {
            throw new ModelLoadException(weightsFile, tensorName, $"shape {t.ShapeText} does not match {field}: expected [{string.Join(", ", expected)}]");
        }

        return t;
    }

    private TensorData Lookup(string tensorName, string field)
    {
        if (!tensors.TryGetValue(tensorName, out TensorData? t))
        {
            throw new ModelLoadException(Manifest, field, $"tensor '{tensorName}' not found in {weightsFile}");
        }

        _used.Add(tensorName);
        return t;
    }

    private void Range(float[] values, string field, string tensorName, float min, float max)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < min || values[i] > max)
            {
                throw new ModelLoadException(weightsFile, tensorName, $"{field} must lie in [{min}, {max}] (element {i} is {values[i]})");
            }
        }
    }

    private static int Positive(int? value, string field) => value switch
    {
        null => throw new ModelLoadException(Manifest, field, "missing"),
        < 1 => throw new ModelLoadException(Manifest, field, $"must be ≥ 1, got {value}"),
        _ => value.Value,
    };
}
