namespace SnnServe.Runtime.Exit;

/// <summary>Why a request stopped stepping.</summary>
public enum ExitReason
{
    /// <summary>The exit policy was satisfied (at or after the minimum timestep).</summary>
    Confident,

    /// <summary>The maximum number of timesteps was reached without the policy being satisfied.</summary>
    MaxTimesteps,

    /// <summary>The request's deadline arrived; the answer is the best one so far (anytime answer).</summary>
    Deadline,
}

/// <summary>Wire names of <see cref="ExitReason"/>.</summary>
public static class ExitReasonNames
{
    /// <summary>snake_case name used on every wire and in metrics: <c>confident</c>, <c>max_timesteps</c>, <c>deadline</c>.</summary>
    public static string ToWireName(this ExitReason reason) => reason switch
    {
        ExitReason.Confident => "confident",
        ExitReason.MaxTimesteps => "max_timesteps",
        ExitReason.Deadline => "deadline",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };
}
