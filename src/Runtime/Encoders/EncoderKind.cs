namespace SnnServe.Runtime.Encoders;

/// <summary>How the input image becomes the first layer's input.</summary>
public enum EncoderKind
{
    /// <summary>Analog: the (modulated) intensities are injected as current at every timestep.</summary>
    Direct,

    /// <summary>Bernoulli spikes with probability p = clamp(g·x·gain(m), 0, 1) per timestep.</summary>
    Rate,
}
