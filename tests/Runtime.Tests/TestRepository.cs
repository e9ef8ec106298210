using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Repository;
using SnnServe.Runtime.Telemetry;
using SnnServe.TestSupport;

namespace SnnServe.Runtime.Tests;

/// <summary>A temporary model repository with synthetic models, a loaded <see cref="ModelRepository"/> and an engine.</summary>
internal sealed class TestRepository : IDisposable
{
    private readonly TempDirectory _directory = new("snnserve-repo");

    public TestRepository(params (string Name, long Version, SyntheticModelOptions Options)[] models)
    {
        foreach (var (name, version, options) in models)
        {
            Write(name, version, options);
        }

        Options = new ModelLoaderOptions { RepositoryPath = _directory.Path, PreferCuda = false };
        Loader = new ModelLoader(Options, NullLogger<ModelLoader>.Instance);
        Repository = new ModelRepository(Loader, NullLogger<ModelRepository>.Instance);
        Report = Repository.LoadAll();
        Meters = new TestMeterFactory();
        Metrics = new SnnServeMetrics(Meters);
    }

    public string Root => _directory.Path;
    public ModelLoaderOptions Options { get; }
    public ModelLoader Loader { get; }
    public ModelRepository Repository { get; }
    public ModelLoadReport Report { get; }
    public TestMeterFactory Meters { get; }
    public SnnServeMetrics Metrics { get; }

    public string Write(string name, long version, SyntheticModelOptions options)
    {
        string folder = Path.Combine(_directory.Path, name, version.ToString());
        SyntheticModel.Write(folder, options);
        return folder;
    }

    public SnnInferenceEngine Engine(TimeProvider? time = null, Kernels.INetworkKernel? kernel = null) =>
        new(Repository, Metrics, Options, time, kernel);

    public Scheduling.ScheduledInferenceEngine Scheduled(Scheduling.SchedulerOptions options, TimeProvider? time = null, Kernels.INetworkKernel? kernel = null) =>
        new(Repository, Metrics, Options, options, time, kernel);

    public void Dispose()
    {
        Repository.Dispose();
        Meters.Dispose();
        _directory.Dispose();
    }
}

/// <summary>An <see cref="System.Diagnostics.Metrics.IMeterFactory"/> whose meters are disposed with it.</summary>
internal sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
{
    private readonly List<System.Diagnostics.Metrics.Meter> _meters = [];

    public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options)
    {
        var meter = new System.Diagnostics.Metrics.Meter(options.Name, options.Version, options.Tags, scope: this);
        lock (_meters)
        {
            _meters.Add(meter);
        }

        return meter;
    }

    public void Dispose()
    {
        lock (_meters)
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
