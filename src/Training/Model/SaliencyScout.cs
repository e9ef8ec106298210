using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SnnServe.Training.Model;

/// <summary>
/// The saliency scout: a MobileNet-style tiny CNN (depthwise-separable convolutions, ~0.9 K
/// parameters, ~34 K MACs) mapping the image [B, 1, 28, 28] to an attention map [B, 1, 7, 7] in (0, 1):
/// avg-pool 2 → conv 3×3/2 (1→16) BN ReLU → depthwise 3×3 BN ReLU → pointwise 1×1 (16→16) BN ReLU →
/// depthwise 3×3 BN ReLU → pointwise 1×1 (16→1) → sigmoid.
/// </summary>
public sealed class SaliencyScout : nn.Module<Tensor, Tensor>
{
    public const int Width = 16;

    private readonly Conv2d stem;
    private readonly FoldableBatchNorm bn_stem;
    private readonly Conv2d dw1;
    private readonly FoldableBatchNorm bn_dw1;
    private readonly Conv2d pw1;
    private readonly FoldableBatchNorm bn_pw1;
    private readonly Conv2d dw2;
    private readonly FoldableBatchNorm bn_dw2;
    private readonly Conv2d head;

    public SaliencyScout() : base("scout")
    {
        stem = nn.Conv2d(1, Width, 3, stride: 2, padding: 1, bias: false);
        bn_stem = new FoldableBatchNorm("bn_stem", Width);
        dw1 = nn.Conv2d(Width, Width, 3, padding: 1, groups: Width, bias: false);
        bn_dw1 = new FoldableBatchNorm("bn_dw1", Width);
        pw1 = nn.Conv2d(Width, Width, 1, bias: false);
        bn_pw1 = new FoldableBatchNorm("bn_pw1", Width);
        dw2 = nn.Conv2d(Width, Width, 3, padding: 1, groups: Width, bias: false);
        bn_dw2 = new FoldableBatchNorm("bn_dw2", Width);
        head = nn.Conv2d(Width, 1, 1);
        RegisterComponents();
    }

    /// <summary>Multiply-accumulates of one inference (convolutions on 7×7 maps; pooling counted as none).</summary>
    public const long Macs = 49L * (9 * Width + 9 * Width + Width * Width + 9 * Width + Width);

    public override Tensor forward(Tensor x)
    {
        Tensor h = nn.functional.avg_pool2d(x, 2);
        h = nn.functional.relu(bn_stem.forward(stem.forward(h)));
        h = nn.functional.relu(bn_dw1.forward(dw1.forward(h)));
        h = nn.functional.relu(bn_pw1.forward(pw1.forward(h)));
        h = nn.functional.relu(bn_dw2.forward(dw2.forward(h)));
        return head.forward(h).sigmoid();
    }

    /// <summary>The convolutions with batch normalisation folded in: (name, weight, bias, stride, padding, groups).</summary>
    public IEnumerable<(string Name, Tensor Weight, float[] Bias, int Stride, int Padding, int Groups)> FoldedLayers()
    {
        yield return Fold("stem", stem, bn_stem, 2, 1, 1);
        yield return Fold("dw1", dw1, bn_dw1, 1, 1, Width);
        yield return Fold("pw1", pw1, bn_pw1, 1, 0, 1);
        yield return Fold("dw2", dw2, bn_dw2, 1, 1, Width);
        yield return ("head", head.weight!.detach().clone(), head.bias!.detach().data<float>().ToArray(), 1, 0, 1);
    }

    private static (string, Tensor, float[], int, int, int) Fold(string name, Conv2d conv, FoldableBatchNorm bn, int stride, int padding, int groups)
    {
        var (scale, shift) = bn.Folded();
        using var noGrad = no_grad();
        Tensor weight = conv.weight!.detach() * tensor(scale).reshape(-1, 1, 1, 1);
        return (name, weight, shift, stride, padding, groups);
    }
}
