using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Kernels;
using SnnServe.Runtime.Repository;
using SnnServe.Runtime.Telemetry;

namespace SnnServe.Runtime.Scheduling;

/// <summary>
/// The engine the service calls: SNN requests go through a <see cref="TimestepScheduler"/> per
/// model version (created on first use); single-pass (<c>onnx</c> platform) models, streaming
/// requests and <see cref="SchedulingMode.Direct"/> run on the caller's thread through
/// <see cref="SnnInferenceEngine"/>.
/// </summary>
public sealed class ScheduledInferenceEngine : IInferenceEngine, IDisposable
{
    private readonly ModelRepository _repository;
    private readonly SnnServeMetrics _metrics;
    private readonly ModelLoaderOptions _limits;
    private readonly SchedulerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(string Name, long Version), Lazy<TimestepScheduler>> _schedulers = new();

    public ScheduledInferenceEngine(ModelRepository repository, SnnServeMetrics metrics, ModelLoaderOptions limits, SchedulerOptions options,
        TimeProvider? time = null, INetworkKernel? kernel = null, ILogger? logger = null)
    {
        options.Validate();
        _repository = repository;
        _metrics = metrics;
        _limits = limits;
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        Kernel = kernel ?? EventDrivenKernel.Instance;
        Direct = new SnnInferenceEngine(repository, metrics, limits, _time, Kernel);
        _queueGauge = metrics.ObserveQueueDepth(() => Schedulers.Select(s => (s.Model, s.Version, s.Queued)));
    }

    private readonly IDisposable _queueGauge;

    /// <summary>The scheduling mode in use.</summary>
    public SchedulingMode Mode => _options.Mode;

    /// <summary>The kernel (execution backend) every timestep runs on.</summary>
    public INetworkKernel Kernel { get; }

    /// <summary>The caller-thread engine used for streaming, single-pass models and <see cref="SchedulingMode.Direct"/>.</summary>
    public SnnInferenceEngine Direct { get; }

    /// <summary>Schedulers created so far (one per model version that has served a request).</summary>
    public IReadOnlyCollection<TimestepScheduler> Schedulers => _schedulers.Values.Where(l => l.IsValueCreated).Select(l => l.Value).ToArray();

    public ValueTask<InferenceResult> InferAsync(InferenceRequest request, CancellationToken cancellationToken = default)
    {
        if (_options.Mode == SchedulingMode.Direct)
        {
            return Direct.InferAsync(request, cancellationToken);
        }

        LoadedModel model;
        try
        {
            model = _repository.Resolve(request.Model, request.Version);
        }
        catch (Exception ex)
        {
            _metrics.RequestFailed(request.Model, request.Version, request.Protocol, SnnInferenceEngine.Outcome(ex), 0);
            return ValueTask.FromException<InferenceResult>(ex);
        }

        if (model.SinglePass)
        {
            return Direct.InferAsync(request, cancellationToken);
        }

        TimestepScheduler scheduler = For(model.Name, model.Version);
        try
        {
            // Pin the version the scheduler serves, so a newer version loaded meanwhile does not mix in.
            InferenceRequest pinned = request.Version == model.Version ? request : request with { Version = model.Version };
            Task<InferenceResult> answer = scheduler.Enqueue(pinned, cancellationToken);
            if (answer.IsFaulted && answer.Exception.InnerException is SnnServeException refused)
            {
                // Refused at once (queue full, shutting down): counted here, as nothing else will.
                _metrics.RequestFailed(model.Name, model.Version, request.Protocol, SnnInferenceEngine.Outcome(refused), 0);
            }

            return new ValueTask<InferenceResult>(answer);
        }
        catch (SnnServeException ex)
        {
            _metrics.RequestFailed(model.Name, model.Version, request.Protocol, SnnInferenceEngine.Outcome(ex), 0);
            return ValueTask.FromException<InferenceResult>(ex);
        }
    }

    /// <summary>
    /// Streams on the caller's thread (a client watching every timestep is not batched), under the
    /// same admission bound as the scheduler: at most <see cref="SchedulerOptions.QueueCapacity"/> +
    /// workers × slots streams at once, beyond which a stream is refused with ResourceExhausted.
    /// </summary>
    public async IAsyncEnumerable<TimestepUpdate> StreamAsync(InferenceRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        int limit = _options.QueueCapacity + _options.Workers * _options.EffectiveSlots;
        if (_options.Mode != SchedulingMode.Direct && Interlocked.Increment(ref _streams) > limit)
        {
            Interlocked.Decrement(ref _streams);
            throw new SnnServeException(ErrorKind.ResourceExhausted, $"{limit} streams are running; retry later")
            {
                RetryAfter = TimeSpan.FromSeconds(_options.RetryAfterSeconds),
            };
        }

        try
        {
            await foreach (TimestepUpdate update in Direct.StreamAsync(request, cancellationToken))
            {
                yield return update;
            }
        }
        finally
        {
            if (_options.Mode != SchedulingMode.Direct)
            {
                Interlocked.Decrement(ref _streams);
            }
        }
    }

    /// <summary>Streams in progress.</summary>
    public int Streams => Volatile.Read(ref _streams);

    private int _streams;

    /// <summary>The scheduler of one model version, created on first use.</summary>
    public TimestepScheduler For(string name, long version) =>
        _schedulers.GetOrAdd((name, version), key => new Lazy<TimestepScheduler>(() =>
            new TimestepScheduler(key.Name, key.Version, _repository, Kernel, _metrics, _limits.MaxTimesteps, _options, _time, _logger))).Value;

    /// <summary>Stops admitting and lets every scheduler finish what it holds.</summary>
    public void Dispose()
    {
        _queueGauge.Dispose();
        foreach (TimestepScheduler scheduler in Schedulers)
        {
            scheduler.Dispose();
        }
    }
}
