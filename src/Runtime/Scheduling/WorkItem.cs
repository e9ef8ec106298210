using SnnServe.Runtime.Engine;

namespace SnnServe.Runtime.Scheduling;

/// <summary>One request on its way through a <see cref="TimestepScheduler"/>: queued, then in a slot.</summary>
internal sealed class WorkItem(InferenceRequest request, int priority, long enqueued, CancellationToken cancellationToken)
{
    public InferenceRequest Request { get; } = request;
    public int Priority { get; } = priority;

    /// <summary>Timestamp (<see cref="TimeProvider.GetTimestamp"/>) of entering the queue.</summary>
    public long Enqueued { get; } = enqueued;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public TaskCompletionSource<InferenceResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when the request was admitted into a slot.</summary>
    public InferenceRun? Run
    {
        get => Volatile.Read(ref _run);
        set => Volatile.Write(ref _run, value);
    }

    private InferenceRun? _run;

    /// <summary>Completes the task early when the caller cancels while queued.</summary>
    public CancellationTokenRegistration Registration { get; set; }

    public bool Done => Completion.Task.IsCompleted;
}
