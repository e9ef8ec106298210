namespace SnnServe.Runtime.Scheduling;

/// <summary>Configuration of the timestep scheduler (section <c>SnnServe:Scheduler</c>).</summary>
public sealed class SchedulerOptions
{
    /// <summary>Scheduling mode. Defaults to <see cref="SchedulingMode.Continuous"/>.</summary>
    public SchedulingMode Mode { get; set; } = SchedulingMode.Continuous;

    /// <summary>Worker threads per loaded model version (they exist only while there is work). Defaults to the number of cores.</summary>
    public int Workers { get; set; } = Math.Clamp(Environment.ProcessorCount, 1, 64);

    /// <summary>Request slots per worker (the batch size of a timestep). Defaults to 8; 1 in <see cref="SchedulingMode.PerRequest"/>.</summary>
    public int Slots { get; set; } = 8;

    /// <summary>Requests that may wait for a slot per model version; beyond it requests are rejected at once. Defaults to 256.</summary>
    public int QueueCapacity { get; set; } = 256;

    /// <summary>Longest wait for a slot before a request is rejected, in milliseconds. Defaults to 5,000.</summary>
    public double QueueTimeoutMilliseconds { get; set; } = 5000;

    /// <summary>Static mode only: how long to wait for a batch to fill, in microseconds. Defaults to 1,000.</summary>
    public double StaticBatchWaitMicroseconds { get; set; } = 1000;

    /// <summary>The <c>Retry-After</c> a rejected request is given, in seconds. Defaults to 1.</summary>
    public double RetryAfterSeconds { get; set; } = 1;

    /// <summary>How long an idle worker thread lingers before exiting, in milliseconds. Defaults to 10,000.</summary>
    public double IdleWorkerMilliseconds { get; set; } = 10_000;

    /// <summary>Execution backend: <c>cpu</c> (the event-driven kernel) or <c>onnx</c> (the generated step graph on ONNX Runtime). Defaults to cpu.</summary>
    public string Backend { get; set; } = "cpu";

    /// <summary>Slots per worker after the mode's rule.</summary>
    public int EffectiveSlots => Mode == SchedulingMode.PerRequest ? 1 : Math.Max(1, Slots);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Workers < 1 || Workers > 256)
        {
            throw new ArgumentException($"SnnServe:Scheduler:Workers must be 1..256, got {Workers}");
        }

        if (Slots < 1 || Slots > 4096)
        {
            throw new ArgumentException($"SnnServe:Scheduler:Slots must be 1..4096, got {Slots}");
        }

        if (QueueCapacity < 0)
        {
            throw new ArgumentException($"SnnServe:Scheduler:QueueCapacity must be ≥ 0, got {QueueCapacity}");
        }

        if (QueueTimeoutMilliseconds <= 0 || StaticBatchWaitMicroseconds < 0 || RetryAfterSeconds < 0 || IdleWorkerMilliseconds <= 0)
        {
            throw new ArgumentException("SnnServe:Scheduler: timeouts must be positive");
        }

        if (Backend is not ("cpu" or "onnx"))
        {
            throw new ArgumentException($"SnnServe:Scheduler:Backend must be cpu or onnx, got '{Backend}'");
        }
    }
}
