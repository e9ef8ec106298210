namespace SnnServe.Runtime.Encoders;

/// <summary>How the scout's attention map m ∈ [0, 1] acts on the network.</summary>
public enum ModulationMode
{
    /// <summary>Input intensity is multiplied by gain(m) = 1 + s·(2m − 1): salient pixels brighter, background dimmer.</summary>
    Rate,

    /// <summary>First-layer neurons get an extra bias s·m at their position: a raised resting potential where salient.</summary>
    Potential,
}
