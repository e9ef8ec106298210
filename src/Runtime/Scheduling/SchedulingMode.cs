namespace SnnServe.Runtime.Scheduling;

/// <summary>How requests share the CPU (see docs/operations.md and the mode table in docs/benchmarks.md).</summary>
public enum SchedulingMode
{
    /// <summary>Each request runs its own timestep loop on the caller's thread; no queue, no admission control.</summary>
    Direct,

    /// <summary>Queued and admitted like the others, but each worker runs one request at a time (one slot).</summary>
    PerRequest,

    /// <summary>
    /// Conventional dynamic batching: collect up to <see cref="SchedulerOptions.Slots"/> requests or wait up to
    /// <see cref="SchedulerOptions.StaticBatchWaitMicroseconds"/>, then step the whole batch until its last member exits.
    /// </summary>
    Static,

    /// <summary>
    /// Iteration-level scheduling: every timestep, admit queued requests into free slots, advance all
    /// active slots together, complete and free the ones that exit.
    /// </summary>
    Continuous,
}
