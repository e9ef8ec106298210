namespace SnnServe.Runtime.Network;

/// <summary>Pooling over spike maps.</summary>
public enum PoolKind
{
    /// <summary>Max over binary spikes: an output fires when any input in its window fired.</summary>
    Max,

    /// <summary>Average: the fraction of the window that fired (a graded event).</summary>
    Average,
}
