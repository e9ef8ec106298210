namespace SnnServe.Runtime.Exit;

/// <summary>What a policy remembers between timesteps of one request (the argmax streak for stability).</summary>
public struct ExitProgress
{
    /// <summary>Argmax at the previous timestep, −1 before the first.</summary>
    public int LastLabel;

    /// <summary>Consecutive timesteps (including the current one) with the same argmax.</summary>
    public int Streak;

    /// <summary>A fresh progress record.</summary>
    public static ExitProgress Start => new() { LastLabel = -1 };

    internal void Observe(int label)
    {
        Streak = label == LastLabel ? Streak + 1 : 1;
        LastLabel = label;
    }
}
