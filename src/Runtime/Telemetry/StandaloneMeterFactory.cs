using System.Diagnostics.Metrics;

namespace SnnServe.Runtime.Telemetry;

/// <summary>
/// An <see cref="IMeterFactory"/> for programs without a DI container (the trainer's evaluation,
/// benchmarks, tests): creates meters scoped to itself and disposes them with it.
/// </summary>
public sealed class StandaloneMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
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
            foreach (Meter meter in _meters)
            {
                meter.Dispose();
            }

            _meters.Clear();
        }
    }
}
