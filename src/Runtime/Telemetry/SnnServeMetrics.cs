using System.Diagnostics;
using System.Diagnostics.Metrics;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Exit;

namespace SnnServe.Runtime.Telemetry;

/// <summary>
/// The runtime's instruments (ARCHITECTURE.md contract 4), created once from <see cref="IMeterFactory"/>
/// on the meter <c>SnnServe</c>. Tags: <c>model</c>, <c>version</c>, <c>protocol</c>; the request
/// counter adds <c>outcome</c> and <c>exit_reason</c>.
/// </summary>
public sealed class SnnServeMetrics
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "SnnServe";

    private readonly Histogram<double> _duration;
    private readonly Histogram<int> _timesteps;
    private readonly Histogram<long> _spikes;
    private readonly Histogram<long> _synapticOps;
    private readonly Histogram<double> _energy;
    private readonly Histogram<double> _queue;
    private readonly Histogram<double> _scout;
    private readonly Histogram<int> _batch;
    private readonly Counter<long> _requests;
    private readonly UpDownCounter<long> _active;
    private readonly List<Func<IEnumerable<Measurement<int>>>> _queueSources = [];

    public SnnServeMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(MeterName);
        _duration = meter.CreateHistogram<double>("snnserve.request.duration", "s", "Time from admission to answer.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
        _timesteps = meter.CreateHistogram<int>("snnserve.request.timesteps", "{timestep}", "Timesteps run before exit.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 48, 64] });
        _spikes = meter.CreateHistogram<long>("snnserve.request.spikes", "{spike}", "Spikes emitted by all layers.");
        _synapticOps = meter.CreateHistogram<long>("snnserve.request.synaptic_operations", "{operation}", "Synaptic accumulate operations.");
        _energy = meter.CreateHistogram<double>("snnserve.request.energy", "J", "Estimated energy (45 nm convention).");
        _queue = meter.CreateHistogram<double>("snnserve.queue.duration", "s", "Time spent waiting for admission.");
        _scout = meter.CreateHistogram<double>("snnserve.scout.duration", "s", "Time spent in the saliency scout.");
        _batch = meter.CreateHistogram<int>("snnserve.step.batch_size", "{request}", "Requests advanced together in one timestep.");
        _requests = meter.CreateCounter<long>("snnserve.requests", "{request}", "Requests completed, by outcome and exit reason.");
        _active = meter.CreateUpDownCounter<long>("snnserve.requests.active", "{request}", "Requests in flight.");
        meter.CreateObservableGauge("snnserve.queue.depth", ObserveQueues, "{request}", "Requests waiting for a slot, per model version.");
    }

    /// <summary>
    /// Adds a source of queue depths (one measurement per model version, tagged model and version)
    /// to the <c>snnserve.queue.depth</c> gauge; dispose the result to remove it.
    /// </summary>
    public IDisposable ObserveQueueDepth(Func<IEnumerable<(string Model, long Version, int Depth)>> source)
    {
        Func<IEnumerable<Measurement<int>>> measure = () => source().Select(q => new Measurement<int>(q.Depth,
            new KeyValuePair<string, object?>("model", q.Model), new KeyValuePair<string, object?>("version", VersionText(q.Version))));
        lock (_queueSources)
        {
            _queueSources.Add(measure);
        }

        return new Unregister(() =>
        {
            lock (_queueSources)
            {
                _queueSources.Remove(measure);
            }
        });
    }

    private IEnumerable<Measurement<int>> ObserveQueues()
    {
        Func<IEnumerable<Measurement<int>>>[] sources;
        lock (_queueSources)
        {
            sources = _queueSources.ToArray();
        }

        return sources.SelectMany(source => source()).ToArray();
    }

    private sealed class Unregister(Action action) : IDisposable
    {
        private Action? _action = action;

        public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
    }

    /// <summary>A request started running.</summary>
    public void RequestStarted(string model, long version, string protocol)
    {
        if (_active.Enabled)
        {
            _active.Add(1, Tags(model, version, protocol));
        }
    }

    /// <summary>A request that started ended (successfully or not).</summary>
    public void RequestEnded(string model, long version, string protocol)
    {
        if (_active.Enabled)
        {
            _active.Add(-1, Tags(model, version, protocol));
        }
    }

    /// <summary>Records a successful answer.</summary>
    public void RequestSucceeded(InferenceResult result, string protocol, double seconds)
    {
        TagList tags = Tags(result.Model, result.Version, protocol);
        if (_duration.Enabled)
        {
            _duration.Record(seconds, tags);
        }

        if (_timesteps.Enabled)
        {
            _timesteps.Record(result.ExitTimestep, tags);
        }

        if (_spikes.Enabled)
        {
            _spikes.Record(result.TotalSpikes, tags);
        }

        if (_synapticOps.Enabled)
        {
            _synapticOps.Record(result.SynapticOps, tags);
        }

        if (_energy.Enabled)
        {
            _energy.Record(result.EnergyJoules, tags);
        }

        if (result.Modulated && _scout.Enabled)
        {
            _scout.Record(result.Timings.ScoutSeconds, tags);
        }

        if (_requests.Enabled)
        {
            tags.Add("outcome", "ok");
            tags.Add("exit_reason", result.ExitReason.ToWireName());
            _requests.Add(1, tags);
        }
    }

    /// <summary>Records a failed request; <paramref name="outcome"/> is a snake_case error kind.</summary>
    public void RequestFailed(string model, long? version, string protocol, string outcome, double seconds)
    {
        var tags = new TagList { { "model", model }, { "version", version is { } v ? VersionText(v) : "" }, { "protocol", protocol } };
        if (_duration.Enabled)
        {
            _duration.Record(seconds, tags);
        }

        if (_requests.Enabled)
        {
            tags.Add("outcome", outcome);
            tags.Add("exit_reason", "");
            _requests.Add(1, tags);
        }
    }

    /// <summary>Records time spent queued before admission.</summary>
    public void Queued(string model, long version, string protocol, double seconds)
    {
        if (_queue.Enabled)
        {
            _queue.Record(seconds, Tags(model, version, protocol));
        }
    }

    /// <summary>Records how many requests one timestep advanced.</summary>
    public void Stepped(string model, long version, int batchSize)
    {
        if (_batch.Enabled)
        {
            _batch.Record(batchSize, new TagList { { "model", model }, { "version", VersionText(version) } });
        }
    }

    private static TagList Tags(string model, long version, string protocol) =>
        new() { { "model", model }, { "version", VersionText(version) }, { "protocol", protocol } };

    // Versions are small and few: cache their strings so recording allocates nothing.
    private static readonly string[] s_versionText = Enumerable.Range(0, 64).Select(v => v.ToString()).ToArray();

    private static string VersionText(long version) =>
        version >= 0 && version < s_versionText.Length ? s_versionText[version] : version.ToString();
}
