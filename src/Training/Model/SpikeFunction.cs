using TorchSharp;
using static TorchSharp.torch;

namespace SnnServe.Training.Model;

/// <summary>
/// The spike nonlinearity with a surrogate gradient. Forward: s = H(x) = 1 if x &gt; 0 else 0
/// (x = v − θ), exactly as the runtime. Backward: the derivative of the arctan surrogate
/// σ(x) = ½ + arctan(π·k·x/2)/π, that is ∂s/∂x ≈ (k/2) / (1 + (π·k·x/2)²), with slope k = 2.
/// </summary>
public sealed class SpikeFunction : autograd.SingleTensorFunction<SpikeFunction>
{
    /// <summary>Surrogate slope k.</summary>
    public const double Slope = 2.0;

    public override string Name => "ArctanSpike";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        ctx.save_for_backward([x]);
        return x.gt(0.0).to_type(ScalarType.Float32);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        Tensor x = ctx.get_saved_variables()[0];
        Tensor scaled = x.mul(Math.PI * Slope / 2.0);
        Tensor surrogate = scaled.square().add(1.0).reciprocal().mul(Slope / 2.0);
        return [gradOutput.mul(surrogate)];
    }
}
