using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SnnServe.Training.Model;

/// <summary>
/// Learnable per-neuron ALIF parameters, kept in range by construction:
/// α = sigmoid(α̃), ρ = sigmoid(ρ̃), β = softplus(β̃), θ0 = softplus(θ̃) (all positive, α and ρ in (0, 1)).
/// For plain LIF, β = 0 and ρ is unused.
/// </summary>
public sealed class AlifParameters : nn.Module
{
    private readonly Parameter _alpha;
    private readonly Parameter _rho;
    private readonly Parameter _beta;
    private readonly Parameter _theta;

    public AlifParameters(string name, long[] shape, bool adaptive) : base(name)
    {
        Adaptive = adaptive;
        _alpha = nn.Parameter(full(shape, 2.2));      // α ≈ 0.90
        _rho = nn.Parameter(full(shape, 2.2));        // ρ ≈ 0.90
        _beta = nn.Parameter(full(shape, -1.5));      // β ≈ 0.20
        _theta = nn.Parameter(full(shape, 0.5413));   // θ0 ≈ 1.00
        if (!adaptive)
        {
            _rho.requires_grad = false;
            _beta.requires_grad = false;
        }

        RegisterComponents();
    }

    public bool Adaptive { get; }

    public Tensor Alpha() => _alpha.sigmoid();
    public Tensor Rho() => _rho.sigmoid();
    public Tensor Beta() => Adaptive ? nn.functional.softplus(_beta) : zeros_like(_beta);
    public Tensor Theta0() => nn.functional.softplus(_theta);
}
