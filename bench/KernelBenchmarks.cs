using BenchmarkDotNet.Attributes;
using SnnServe.Runtime.Kernels;
using SnnServe.Runtime.Network;

namespace SnnServe.Benchmarks;

/// <summary>
/// One timestep of one layer at a controlled input spike density: event-driven (scatter the
/// active inputs' weight rows, SIMD neuron update) against dense (gather over every input,
/// scalar neuron update), and against a SIMD dense kernel (every input's row added, zeros
/// included). Layers are the sizes of the MNIST model's second conv and hidden
/// dense layer: conv 16→32 channels, 3×3, 14×14; dense 1568→128.
/// </summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private Synapse _synapse = null!;
    private NeuronParameters _neurons = null!;
    private float[] _input = null!;
    private int[] _events = null!;
    private int[] _allInputs = null!;
    private float[] _current = null!, _v = null!, _a = null!, _s = null!;
    private int[] _outEvents = null!;

    [Params("conv", "dense")]
    public string Layer { get; set; } = "conv";

    [Params(0.01, 0.05, 0.20)]
    public double Density { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        float[] Rand(int n, float lo, float hi) => Enumerable.Range(0, n).Select(_ => lo + (float)random.NextDouble() * (hi - lo)).ToArray();
        if (Layer == "conv")
        {
            var input = new Shape3(16, 14, 14);
            _synapse = new ConvSynapse(input, 32, 3, 1, 1, Rand(3 * 3 * 16 * 32, -0.2f, 0.2f), new float[32 * 14 * 14]);
        }
        else
        {
            _synapse = new DenseSynapse(1568, 128, Rand(1568 * 128, -0.05f, 0.05f), new float[128]);
        }

        int n = _synapse.Output.Size;
        _neurons = new NeuronParameters(Rand(n, 0.5f, 0.95f), Rand(n, 0.5f, 0.95f), Rand(n, 0f, 1f), Rand(n, 0.5f, 1f), adaptive: true);
        _input = new float[_synapse.Input.Size];
        var active = new List<int>();
        for (int i = 0; i < _input.Length; i++)
        {
            if (random.NextDouble() < Density)
            {
                _input[i] = 1f;
                active.Add(i);
            }
        }

        _events = active.ToArray();
        _allInputs = Enumerable.Range(0, _input.Length).ToArray();
        _current = new float[n];
        _v = new float[n];
        _a = new float[n];
        _s = new float[n];
        _outEvents = new int[n];
    }

    [Benchmark(Baseline = true, Description = "dense reference")]
    public int Dense()
    {
        _synapse.Bias.CopyTo(_current, 0);
        _synapse.Gather(_input, _current);
        return AlifUpdate.Scalar(_neurons, _v, _a, _s, _current);
    }

    // A fair dense baseline: the same SIMD row additions, for every input whatever its value.
    [Benchmark(Description = "dense SIMD")]
    public int DenseSimd()
    {
        _synapse.Bias.CopyTo(_current, 0);
        _synapse.Scatter(_allInputs, _input, binary: false, _current);
        return AlifUpdate.Vectorized(_neurons, _v, _a, _s, _current, _outEvents);
    }

    [Benchmark(Description = "event-driven")]
    public int EventDriven()
    {
        _synapse.Bias.CopyTo(_current, 0);
        _synapse.Scatter(_events, _input, binary: true, _current);
        return AlifUpdate.Vectorized(_neurons, _v, _a, _s, _current, _outEvents);
    }
}
