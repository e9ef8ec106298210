namespace SnnServe.Runtime.Engine;

/// <summary>
/// The energy convention of ARCHITECTURE.md: 45 nm figures from Horowitz (ISSCC 2014),
/// 4.6 pJ per 32-bit float multiply-accumulate and 0.9 pJ per float accumulate. An SNN pays a MAC
/// only where inputs are analog (scout, direct-encoded first layer) and one accumulate per
/// synaptic event (spike × fan-out).
/// </summary>
public static class EnergyModel
{
    /// <summary>Energy of one float32 MAC in picojoules.</summary>
    public const double PicojoulesPerMac = 4.6;

    /// <summary>Energy of one float32 accumulate in picojoules.</summary>
    public const double PicojoulesPerAccumulate = 0.9;

    /// <summary>Estimated energy in joules.</summary>
    public static double Joules(long macs, long accumulates) =>
        (macs * PicojoulesPerMac + accumulates * PicojoulesPerAccumulate) * 1e-12;
}
