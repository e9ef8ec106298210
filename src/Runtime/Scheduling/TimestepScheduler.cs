using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Exit;
using SnnServe.Runtime.Kernels;
using SnnServe.Runtime.Network;
using SnnServe.Runtime.Repository;
using SnnServe.Runtime.Telemetry;

namespace SnnServe.Runtime.Scheduling;

/// <summary>
/// Iteration-level scheduling of one model version, per SNN timestep. Each worker owns a fixed set
/// of slots (a request's pooled state: membranes, adaptation traces, readout, encoder counters) and
/// loops: admit queued requests into free slots, running their scouts in one batched ORT call;
/// drop slots whose caller cancelled; answer slots whose deadline passed with their best result so
/// far; advance every active slot one timestep with the kernel's batched step; evaluate each slot's
/// exit policy and complete the ones that exit, freeing their slots for the next iteration.
/// <see cref="SchedulingMode.Static"/> admits only into an empty worker and
/// <see cref="SchedulingMode.PerRequest"/> has one slot, for comparison.
/// The queue is bounded: a full queue rejects at once (ResourceExhausted with a retry hint), so load
/// is shed instead of growing latency. Workers start on demand and exit after an idle period.
/// </summary>
public sealed partial class TimestepScheduler : IDisposable
{
    private const int Priorities = 3;

    private readonly ModelRepository _repository;
    private readonly INetworkKernel _kernel;
    private readonly SnnServeMetrics _metrics;
    private readonly SchedulerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _serverMaxTimesteps;
    private readonly object _gate = new();
    private readonly Queue<WorkItem>[] _queues = [new(), new(), new()];
    private readonly long _queueTimeoutTicks;
    private int _queued;
    private int _workers;
    private int _idleWorkers;
    private int _active;
    private long _completed;
    private long _rejected;
    private long _steps;
    private long _slotSteps;
    private bool _stopped;
    private bool _held;

    public TimestepScheduler(string model, long version, ModelRepository repository, INetworkKernel kernel, SnnServeMetrics metrics,
        int serverMaxTimesteps, SchedulerOptions options, TimeProvider? time = null, ILogger? logger = null)
    {
        options.Validate();
        Model = model;
        Version = version;
        _repository = repository;
        _kernel = kernel;
        _metrics = metrics;
        _serverMaxTimesteps = serverMaxTimesteps;
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _queueTimeoutTicks = (long)(options.QueueTimeoutMilliseconds / 1000.0 * _time.TimestampFrequency);
    }

    public string Model { get; }
    public long Version { get; }

    /// <summary>Requests waiting for a slot.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Requests in slots.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Worker threads alive.</summary>
    public int Workers => Volatile.Read(ref _workers);

    /// <summary>Requests answered or failed after admission to the queue.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Requests refused because the queue was full or they waited too long.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Mean number of slots advanced per timestep iteration so far (batch occupancy).</summary>
    public double MeanOccupancy
    {
        get
        {
            long steps = Interlocked.Read(ref _steps);
            return steps == 0 ? 0 : (double)Interlocked.Read(ref _slotSteps) / steps;
        }
    }

    private SnnServeException AtCapacity() =>
        new(ErrorKind.ResourceExhausted, $"model '{Model}' version {Version} is at capacity ({_options.QueueCapacity} requests queued); retry later") { RetryAfter = RetryAfter };

    /// <summary>
    /// While held, workers admit nothing (requests queue up; running ones continue); tests use it to
    /// queue a whole workload before the first admission.
    /// </summary>
    internal void Hold(bool held)
    {
        lock (_gate)
        {
            _held = held;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Queues a request and returns the task of its answer. When the queue is full the task is
    /// already faulted with ResourceExhausted (Unavailable after <see cref="Dispose"/>): nothing is
    /// thrown, so shedding load costs little CPU (an exception throw costs microseconds, at 5× overload
    /// a large share of a core). Throws InvalidArgument for a bad priority.
    /// </summary>
    public Task<InferenceResult> Enqueue(InferenceRequest request, CancellationToken cancellationToken = default)
    {
        int priority = request.Options.Priority ?? 1;
        if (priority is < 0 or >= Priorities)
        {
            throw new SnnServeException(ErrorKind.InvalidArgument, $"priority must be 0 (high), 1 (normal) or 2 (low), got {priority}");
        }

        if (Volatile.Read(ref _queued) >= _options.QueueCapacity && !Volatile.Read(ref _stopped))
        {
            // Full: answer before allocating anything (checked again under the lock below when not).
            Interlocked.Increment(ref _rejected);
            return Task.FromException<InferenceResult>(AtCapacity());
        }

        var item = new WorkItem(request, priority, _time.GetTimestamp(), cancellationToken);
        if (cancellationToken.CanBeCanceled)
        {
            // Cancelled while queued: answer now; the worker skips the item when it reaches it.
            item.Registration = cancellationToken.UnsafeRegister(static state =>
            {
                var queued = (WorkItem)state!;
                if (queued.Run is null)
                {
                    queued.Completion.TrySetCanceled(queued.CancellationToken);
                }
            }, item);
        }

        SnnServeException? refused = null;
        lock (_gate)
        {
            if (_stopped)
            {
                refused = new SnnServeException(ErrorKind.Unavailable, "the server is shutting down") { RetryAfter = RetryAfter };
            }
            else if (_queued >= _options.QueueCapacity)
            {
                Interlocked.Increment(ref _rejected);
                refused = AtCapacity();
            }
            else
            {
                _queues[priority].Enqueue(item);
                _queued++;
                if (_idleWorkers > 0)
                {
                    Monitor.Pulse(_gate);
                }
                else if (_workers < _options.Workers)
                {
                    StartWorker();
                }
            }
        }

        if (refused is not null)
        {
            item.Registration.Dispose();
            return Task.FromException<InferenceResult>(refused);
        }

        return item.Completion.Task;
    }

    /// <summary>Stops admitting; queued and active requests still complete. Waits up to 30 s for the workers.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            Monitor.PulseAll(_gate);
        }

        var clock = Stopwatch.StartNew();
        while (Workers > 0 && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(5);
        }
    }

    private TimeSpan RetryAfter => TimeSpan.FromSeconds(_options.RetryAfterSeconds);

    private void StartWorker()
    {
        _workers++;
        var thread = new Thread(Work) { IsBackground = true, Name = $"snnserve-{Model}-{Version}" };
        thread.Start();
    }

    private void Work()
    {
        int capacity = _options.EffectiveSlots;
        var active = new List<WorkItem>(capacity);
        var admitted = new List<WorkItem>(capacity);
        var scratch = new WorkerScratch(capacity);
        try
        {
            while (true)
            {
                admitted.Clear();
                if (!TakeWork(active.Count, capacity, admitted))
                {
                    return;
                }

                if (admitted.Count > 0)
                {
                    Admit(admitted, active, scratch);
                }

                if (active.Count > 0)
                {
                    StepAll(active, scratch);
                }
            }
        }
        catch (Exception ex)
        {
            // Not expected (per-request failures are handled where they occur); never lose admitted requests.
            Log.WorkerFailed(_logger, ex, Model, Version);
            foreach (WorkItem item in active)
            {
                Fail(item, new SnnServeException(ErrorKind.Internal, "the scheduler failed; see the server log", ex));
            }

            lock (_gate)
            {
                _workers--;
                if (_queued > 0 && !_stopped)
                {
                    StartWorker();
                }
            }
        }
    }

    // Moves queued requests into `admitted` per the mode's admission rule; waits when there is
    // nothing to do. Returns false when the worker should exit.
    private bool TakeWork(int activeCount, int capacity, List<WorkItem> admitted)
    {
        lock (_gate)
        {
            while (true)
            {
                bool mayAdmit = !_held && (_options.Mode == SchedulingMode.Continuous || activeCount == 0);
                if (mayAdmit)
                {
                    Dequeue(admitted, capacity - activeCount);
                }

                if (activeCount > 0 || admitted.Count > 0)
                {
                    break;
                }

                if (_stopped && _queued == 0)
                {
                    _workers--;
                    return false;
                }

                _idleWorkers++;
                bool signalled = Monitor.Wait(_gate, TimeSpan.FromMilliseconds(_options.IdleWorkerMilliseconds));
                _idleWorkers--;
                if (!signalled && _queued == 0)
                {
                    _workers--;
                    return false;
                }
            }

            if (_options.Mode == SchedulingMode.Static && activeCount == 0 && admitted.Count < capacity && _options.StaticBatchWaitMicroseconds > 0)
            {
                // Fill the batch: up to `capacity` requests or until the wait window closes.
                long until = _time.GetTimestamp() + (long)(_options.StaticBatchWaitMicroseconds / 1e6 * _time.TimestampFrequency);
                while (admitted.Count < capacity)
                {
                    TimeSpan remaining = _time.GetElapsedTime(_time.GetTimestamp(), until);
                    if (remaining <= TimeSpan.Zero)
                    {
                        break;
                    }

                    _idleWorkers++;
                    Monitor.Wait(_gate, remaining);
                    _idleWorkers--;
                    Dequeue(admitted, capacity - admitted.Count);
                }
            }

            return true;
        }
    }

    // Caller holds _gate. Highest priority first; drops items already cancelled; rejects items
    // that waited longer than the queue timeout.
    private void Dequeue(List<WorkItem> admitted, int free)
    {
        long now = _time.GetTimestamp();
        for (int p = 0; p < Priorities && free > 0; p++)
        {
            Queue<WorkItem> queue = _queues[p];
            while (free > 0 && queue.TryDequeue(out WorkItem? item))
            {
                _queued--;
                if (item.Done)
                {
                    item.Registration.Dispose();
                    Interlocked.Increment(ref _completed);
                    continue;
                }

                if (now - item.Enqueued > _queueTimeoutTicks)
                {
                    Interlocked.Increment(ref _rejected);
                    Interlocked.Increment(ref _completed);
                    item.Registration.Dispose();
                    item.Completion.TrySetException(new SnnServeException(ErrorKind.ResourceExhausted,
                        $"waited {_options.QueueTimeoutMilliseconds:0} ms for a slot; the server is overloaded, retry later") { RetryAfter = RetryAfter });
                    continue;
                }

                admitted.Add(item);
                free--;
            }
        }
    }

    private void Admit(List<WorkItem> admitted, List<WorkItem> active, WorkerScratch scratch)
    {
        int scouted = 0;
        foreach (WorkItem item in admitted)
        {
            InferenceRequest request = item.Request;
            _metrics.Queued(Model, Version, request.Protocol, _time.GetElapsedTime(item.Enqueued).TotalSeconds);
            InferenceRun run;
            try
            {
                item.CancellationToken.ThrowIfCancellationRequested();
                run = InferenceRun.Start(_repository, _kernel, _time, _serverMaxTimesteps, request, prepare: false);
            }
            catch (Exception ex)
            {
                _metrics.RequestFailed(request.Model, request.Version, request.Protocol, SnnInferenceEngine.Outcome(ex), _time.GetElapsedTime(item.Enqueued).TotalSeconds);
                Complete(item, ex);
                continue;
            }

            item.Run = run;
            _metrics.RequestStarted(run.Model.Name, run.Model.Version, request.Protocol);
            Interlocked.Increment(ref _active);
            if (item.Done)
            {
                // Cancelled between the check and the registration seeing Run.
                Fail(item, new OperationCanceledException(item.CancellationToken));
                continue;
            }

            run.Normalise();
            active.Add(item);
            if (run.Modulated)
            {
                scratch.Scouted[scouted++] = item;
            }
            else
            {
                run.PrepareEncoder(0);
            }
        }

        if (scouted > 0)
        {
            RunScouts(scratch, scouted, active);
        }
    }

    // One ORT call for all newly admitted requests of the same model instance (normally all).
    private void RunScouts(WorkerScratch scratch, int count, List<WorkItem> active)
    {
        int start = 0;
        while (start < count)
        {
            LoadedModel model = scratch.Scouted[start]!.Run!.Model;
            int size = model.InputShape.Size, n = 0;
            float[] inputs = scratch.ScoutInputs(count * size);
            for (int i = start; i < count && scratch.Scouted[i]!.Run!.Model == model; i++, n++)
            {
                InferenceRun run = scratch.Scouted[i]!.Run!;
                Array.Copy(run.NormalisedInput, 0, inputs, n * size, size);
                scratch.Maps[n] = run.Attention;
            }

            long t0 = _time.GetTimestamp();
            try
            {
                model.Scout!.RunBatch(inputs, n, scratch.Maps.AsSpan(0, n));
                double seconds = _time.GetElapsedTime(t0).TotalSeconds;
                for (int i = start; i < start + n; i++)
                {
                    scratch.Scouted[i]!.Run!.PrepareEncoder(seconds);
                }
            }
            catch (Exception ex)
            {
                for (int i = start; i < start + n; i++)
                {
                    WorkItem item = scratch.Scouted[i]!;
                    active.Remove(item);
                    Fail(item, ex);
                }
            }

            start += n;
        }

        Array.Clear(scratch.Scouted);
        Array.Clear(scratch.Maps);
    }

    private void StepAll(List<WorkItem> active, WorkerScratch scratch)
    {
        for (int i = active.Count - 1; i >= 0; i--)
        {
            WorkItem item = active[i];
            InferenceRun run = item.Run!;
            if (item.CancellationToken.IsCancellationRequested)
            {
                RemoveAt(active, i);
                Fail(item, new OperationCanceledException(item.CancellationToken));
            }
            else if (run.DeadlinePassed)
            {
                RemoveAt(active, i);
                FinishOrFail(item, ExitReason.Deadline);
            }
        }

        if (active.Count == 0)
        {
            return;
        }

        long t0 = _time.GetTimestamp();
        SnnNetwork network = active[0].Run!.Model.Network;
        int batched = 0;
        foreach (WorkItem item in active)
        {
            item.Run!.Encode();
            if (item.Run.Model.Network == network)
            {
                scratch.States[batched++] = item.Run.State;
            }
            else
            {
                _kernel.Step(item.Run.Model.Network, item.Run.State); // a request of a replaced model instance
            }
        }

        _kernel.StepBatch(network, scratch.States.AsSpan(0, batched));
        Array.Clear(scratch.States, 0, batched);
        double seconds = _time.GetElapsedTime(t0).TotalSeconds;
        _metrics.Stepped(Model, Version, active.Count);
        Interlocked.Increment(ref _steps);
        Interlocked.Add(ref _slotSteps, active.Count);
        for (int i = active.Count - 1; i >= 0; i--)
        {
            WorkItem item = active[i];
            ExitDecision decision;
            try
            {
                decision = item.Run!.Evaluate(seconds);
            }
            catch (Exception ex)
            {
                RemoveAt(active, i);
                Fail(item, ex);
                continue;
            }

            if (decision.Exit)
            {
                RemoveAt(active, i);
                FinishOrFail(item, decision.Reason);
            }
        }
    }

    // Order in `active` does not matter: every slot's arithmetic is independent of the others.
    private static void RemoveAt(List<WorkItem> active, int i)
    {
        int last = active.Count - 1;
        active[i] = active[last];
        active.RemoveAt(last);
    }

    private void FinishOrFail(WorkItem item, ExitReason reason)
    {
        InferenceRun run = item.Run!;
        InferenceResult result;
        try
        {
            result = run.Finish(reason);
        }
        catch (Exception ex)
        {
            Fail(item, ex);
            return;
        }

        _metrics.RequestSucceeded(result, item.Request.Protocol, run.ElapsedSeconds);
        End(item);
        item.Registration.Dispose();
        Interlocked.Increment(ref _completed);
        item.Completion.TrySetResult(result);
    }

    private void Fail(WorkItem item, Exception ex)
    {
        InferenceRun run = item.Run!;
        run.Fail(ex.Message);
        _metrics.RequestFailed(run.Model.Name, run.Model.Version, item.Request.Protocol, SnnInferenceEngine.Outcome(ex), run.ElapsedSeconds);
        End(item);
        Complete(item, ex);
    }

    private void End(WorkItem item)
    {
        InferenceRun run = item.Run!;
        _metrics.RequestEnded(run.Model.Name, run.Model.Version, item.Request.Protocol);
        run.Dispose();
        Interlocked.Decrement(ref _active);
    }

    private void Complete(WorkItem item, Exception ex)
    {
        item.Registration.Dispose();
        Interlocked.Increment(ref _completed);
        if (ex is OperationCanceledException)
        {
            item.Completion.TrySetCanceled(item.CancellationToken);
        }
        else
        {
            item.Completion.TrySetException(ex);
        }
    }

    /// <summary>A worker's reusable arrays, sized once for its slots.</summary>
    private sealed class WorkerScratch(int capacity)
    {
        private float[] _scoutInputs = [];

        public WorkItem?[] Scouted { get; } = new WorkItem?[capacity];
        public float[][] Maps { get; } = new float[capacity][];
        public NetworkState[] States { get; } = new NetworkState[capacity];

        public float[] ScoutInputs(int length)
        {
            if (_scoutInputs.Length < length)
            {
                _scoutInputs = new float[length];
            }

            return _scoutInputs;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Error, Message = "Scheduler worker of {Model} version {Version} failed")]
        public static partial void WorkerFailed(ILogger logger, Exception exception, string model, long version);
    }
}
