using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Kernels;
using SnnServe.Runtime.Repository;
using SnnServe.Runtime.Telemetry;
using SnnServe.TestSupport;

namespace SnnServe.Benchmarks;

/// <summary>
/// Whole-network costs on an MNIST-sized synthetic model (1×28×28 → conv16 → pool → conv32 → pool →
/// dense128 → readout10, ALIF, rate-encoded): one timestep of every layer with each kernel, and one
/// whole inference (8 timesteps) through the engine. Allocation per timestep must be 0 B.
/// </summary>
[MemoryDiagnoser]
public class InferenceBenchmarks
{
    private static readonly SyntheticModelOptions Model = new()
    {
        Height = 28, Width = 28, Encoder = "rate", WeightScale = 1.5f, Threshold = 1f, MaxTimesteps = 8,
        Layers = ["conv 16 3 1 1", "pool max 2", "conv 32 3 1 1", "pool max 2", "flatten", "dense 128", "readout 10"],
    };

    private TempDirectory _directory = null!;
    private ModelRepository _repository = null!;
    private SnnInferenceEngine _engine = null!;
    private LoadedModel _model = null!;
    private NetworkState _state = null!;
    private InferenceRequest _request = null!;
    private ServiceProvider _services = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = new TempDirectory("snnserve-bench");
        SyntheticModel.Write(Path.Combine(_directory.Path, "mnist-like", "1"), Model);
        var options = new ModelLoaderOptions { RepositoryPath = _directory.Path, PreferCuda = false };
        _repository = new ModelRepository(new ModelLoader(options, NullLogger<ModelLoader>.Instance), NullLogger<ModelRepository>.Instance);
        _repository.LoadAll();
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _engine = new SnnInferenceEngine(_repository, new SnnServeMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), options);
        _model = _repository.Resolve("mnist-like");
        float[] input = SyntheticModel.RandomInput(Model, 7, density: 0.2);
        _request = new InferenceRequest { Model = "mnist-like", Input = input };
        _state = new NetworkState(_model.Network);
        var encoder = new Runtime.Encoders.InputEncoder(_model.Network.Input);
        encoder.Prepare(_state, input, _model.Encoder, 1f, 0f, 1f, default, 0, 0, _model.Modulation, 0f, 1);
        encoder.Encode(_state);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _repository.Dispose();
        _services.Dispose();
        _directory.Dispose();
    }

    [Benchmark(Description = "network timestep, dense kernel")]
    public void StepDense() => DenseReferenceKernel.Instance.Step(_model.Network, _state);

    [Benchmark(Description = "network timestep, event-driven kernel")]
    public void StepEventDriven() => EventDrivenKernel.Instance.Step(_model.Network, _state);

    [Benchmark(Description = "whole inference, 8 timesteps, event-driven")]
    public InferenceResult Infer() => _engine.Infer(_request);
}
