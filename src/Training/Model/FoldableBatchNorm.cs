using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SnnServe.Training.Model;

/// <summary>
/// Batch normalisation over channels with running statistics, written on the functional API (it
/// keeps no <c>num_batches_tracked</c> counter, whose implicit scalar TorchSharp 0.107 can finalise
/// too early). Training-only: the exporter folds it into the preceding convolution.
/// </summary>
public sealed class FoldableBatchNorm : nn.Module<Tensor, Tensor>
{
    public const double Epsilon = 1e-5;
    public const double Momentum = 0.1;

    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Tensor running_mean;
    private readonly Tensor running_var;

    public FoldableBatchNorm(string name, long channels) : base(name)
    {
        weight = nn.Parameter(ones(channels));
        bias = nn.Parameter(zeros(channels));
        running_mean = zeros(channels);
        running_var = ones(channels);
        register_buffer("running_mean", running_mean);
        register_buffer("running_var", running_var);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) =>
        nn.functional.batch_norm(x, running_mean, running_var, weight, bias, training, Momentum, Epsilon);

    /// <summary>Per-channel (scale, shift) such that BN(y) = scale·y + shift in inference mode.</summary>
    public (float[] Scale, float[] Shift) Folded()
    {
        using var noGrad = no_grad();
        Tensor scale = weight / (running_var + Epsilon).sqrt();
        Tensor shift = bias - running_mean * scale;
        return (scale.data<float>().ToArray(), shift.data<float>().ToArray());
    }
}
