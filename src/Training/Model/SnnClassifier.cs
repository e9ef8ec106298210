using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SnnServe.Training.Model;

/// <summary>
/// The convolutional ALIF network the runtime serves, in TorchSharp:
/// 1×28×28 (direct encoding) → conv 16 (3×3, pad 1) ALIF → max-pool 2 → conv 32 (3×3, pad 1) ALIF →
/// max-pool 2 → dense 128 ALIF → leaky readout 10. Neuron parameters are per neuron.
/// <c>Run</c> unrolls T timesteps (BPTT) and returns the readout at every timestep.
/// </summary>
public sealed class SnnClassifier : nn.Module
{
    public const int Classes = 10;

    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc1;
    private readonly Linear readout;
    private readonly AlifParameters n1;
    private readonly AlifParameters n2;
    private readonly AlifParameters n3;
    private readonly Parameter readout_alpha;
    private readonly SaliencyScout? scout;
    private readonly FoldableBatchNorm? bn1;
    private readonly FoldableBatchNorm? bn2;
    private readonly FoldableBatchNorm? bn3;

    public SnnClassifier(int timesteps, bool adaptive, double dropout = 0, string scoutMode = "none", float scoutStrength = 0.5f, string encoder = "direct",
        int channels1 = 16, int channels2 = 32, int hidden = 128, bool batchNorm = false) : base("snn")
    {
        BatchNorm = batchNorm;
        Channels1 = channels1;
        Channels2 = channels2;
        Hidden = hidden;
        Encoder = encoder is "direct" or "rate" ? encoder : throw new ArgumentException($"encoder must be direct or rate, got '{encoder}'");
        Dropout = dropout;
        ScoutMode = scoutMode;
        ScoutStrength = scoutStrength;
        if (scoutMode is not ("none" or "rate" or "potential"))
        {
            throw new ArgumentException($"scout mode must be none, rate or potential, got '{scoutMode}'");
        }

        scout = scoutMode == "none" ? null : new SaliencyScout();
        Timesteps = timesteps;
        Adaptive = adaptive;
        conv1 = nn.Conv2d(1, Channels1, 3, padding: 1);
        conv2 = nn.Conv2d(Channels1, Channels2, 3, padding: 1);
        fc1 = nn.Linear(Channels2 * 7 * 7, Hidden);
        readout = nn.Linear(Hidden, Classes);
        n1 = new AlifParameters("n1", [Channels1, 28, 28], adaptive);
        n2 = new AlifParameters("n2", [Channels2, 14, 14], adaptive);
        n3 = new AlifParameters("n3", [Hidden], adaptive);
        readout_alpha = nn.Parameter(full(Classes, 0.0)); // α_o = 0.5
        if (batchNorm)
        {
            bn1 = new FoldableBatchNorm("bn1", Channels1);
            bn2 = new FoldableBatchNorm("bn2", Channels2);
            bn3 = new FoldableBatchNorm("bn3", Hidden);
        }

        RegisterComponents();
    }

    public int Timesteps { get; }

    /// <summary>
    /// Batch normalisation after each synapse (conv1, conv2, fc1), training only: the export folds
    /// each into its synapse's weights and bias (per output channel / unit scale and shift).
    /// </summary>
    public bool BatchNorm { get; }

    public int Channels1 { get; }
    public int Channels2 { get; }
    public int Hidden { get; }

    /// <summary><c>none</c>, <c>rate</c> (input gain 1 + s·(2m − 1)) or <c>potential</c> (first-layer bias + s·m).</summary>
    public string ScoutMode { get; }

    public float ScoutStrength { get; }

    /// <summary><c>direct</c> (analog current every timestep) or <c>rate</c> (Bernoulli input spikes, p = clamp(x·gain, 0, 1)).</summary>
    public string Encoder { get; }

    /// <summary>The co-trained scout, or null.</summary>
    public SaliencyScout? Scout => scout;

    /// <summary>Dropout on the pooled spikes feeding the dense layer, in training only (the runtime has none).</summary>
    public double Dropout { get; }
    public bool Adaptive { get; }

    /// <summary>Neurons that spike (for firing rates).</summary>
    public long SpikingNeurons => Channels1 * 28 * 28 + Channels2 * 14 * 14 + Hidden;

    /// <summary>
    /// Runs <see cref="Timesteps"/> timesteps on a batch x [B, 1, 28, 28]. Returns the readout per
    /// timestep [T, B, 10] and the mean firing rate (spikes per neuron per timestep), differentiable.
    /// </summary>
    public (Tensor Logits, Tensor FiringRate) Run(Tensor x, List<Tensor[]>? trace = null) => Run(x, out _, trace);

    /// <summary>As <see cref="Run(Tensor, List{Tensor[]}?)"/>, also returning the scout's attention map (or null).</summary>
    public (Tensor Logits, Tensor FiringRate) Run(Tensor x, out Tensor? attention, List<Tensor[]>? trace = null)
    {
        long batch = x.shape[0];
        attention = scout?.forward(x);
        Tensor intensity = x;
        Tensor? boost = null;
        if (attention is not null)
        {
            // Nearest upsampling 7×7 → 28×28, as the runtime reads the map at (⌊y·h/H⌋, ⌊x·w/W⌋).
            Tensor map = attention.repeat_interleave(4, 2).repeat_interleave(4, 3);
            if (ScoutMode == "rate")
            {
                intensity = x * map.mul(2.0).sub(1.0).mul(ScoutStrength).add(1.0);
            }
            else
            {
                boost = map.mul(ScoutStrength);
            }
        }

        // Direct encoding: the first layer's current is the same at every timestep.
        Tensor? staticCurrent = Encoder == "direct" ? FirstCurrent(intensity, boost) : null;
        Tensor? probability = Encoder == "rate" ? intensity.clamp(0.0, 1.0) : null;
        var s1 = NeuronState.Zeros([batch, Channels1, 28, 28]);
        var s2 = NeuronState.Zeros([batch, Channels2, 14, 14]);
        var s3 = NeuronState.Zeros([batch, Hidden]);
        Tensor u = zeros(batch, Classes);
        var p1 = Params(n1);
        var p2 = Params(n2);
        var p3 = Params(n3);
        Tensor alphaOut = readout_alpha.sigmoid();
        var logits = new List<Tensor>();
        Tensor spikes = zeros(1);
        for (int t = 0; t < Timesteps; t++)
        {
            Tensor current1 = staticCurrent ?? FirstCurrent(InputSpikes(probability!), boost);
            Tensor a = s1.Step(current1, p1.Alpha, p1.Rho, p1.OneMinusRho, p1.Beta, p1.Theta0);
            Tensor b = s2.Step(Normalise(bn2, conv2.forward(nn.functional.max_pool2d(a, 2))), p2.Alpha, p2.Rho, p2.OneMinusRho, p2.Beta, p2.Theta0);
            Tensor pooled = nn.functional.max_pool2d(b, 2).flatten(1);
            if (training && Dropout > 0)
            {
                pooled = nn.functional.dropout(pooled, Dropout, training: true);
            }

            Tensor c = s3.Step(Normalise(bn3, fc1.forward(pooled)), p3.Alpha, p3.Rho, p3.OneMinusRho, p3.Beta, p3.Theta0);
            u = alphaOut * u + readout.forward(c);
            logits.Add(u);
            spikes = spikes + a.sum() + b.sum() + c.sum();
            trace?.Add([a, b, c, u]);
        }

        return (stack(logits), spikes / (SpikingNeurons * Timesteps * batch));
    }

    private Tensor FirstCurrent(Tensor input, Tensor? boost)
    {
        Tensor current = Normalise(bn1, conv1.forward(input));
        return boost is null ? current : current + boost;
    }

    private static Tensor Normalise(FoldableBatchNorm? bn, Tensor x) => bn is null ? x : bn.forward(x);

    // W' = scale·W (per output channel), b' = scale·b + shift: the synapse followed by BN in inference mode.
    private static (Tensor Weight, Tensor Bias) Fold(Tensor weight, Tensor bias, FoldableBatchNorm? bn)
    {
        if (bn is null)
        {
            return (weight, bias);
        }

        var (scaleValues, shiftValues) = bn.Folded();
        using var noGrad = no_grad();
        Tensor scale = tensor(scaleValues), shift = tensor(shiftValues);
        long[] shape = weight.dim() == 4 ? [-1, 1, 1, 1] : [-1, 1];
        return (weight.detach() * scale.view(shape), bias.detach() * scale + shift);
    }

    // Bernoulli spikes with a straight-through gradient to the probabilities (so the scout learns through rate encoding).
    private static Tensor InputSpikes(Tensor probability)
    {
        Tensor spikes = bernoulli(probability.detach());
        return probability + (spikes - probability).detach();
    }

    /// <summary>Every tensor the runtime needs, under the names <see cref="Export.ModelExporter"/> writes into model.json.</summary>
    public IEnumerable<(string Name, Tensor Value)> ExportTensors()
    {
        var (w1, b1) = Fold(conv1.weight!, conv1.bias!, bn1);
        yield return ("conv1.weight", w1);
        yield return ("conv1.bias", b1);
        foreach (var t in NeuronTensors("conv1", n1)) yield return t;
        var (w2, b2) = Fold(conv2.weight!, conv2.bias!, bn2);
        yield return ("conv2.weight", w2);
        yield return ("conv2.bias", b2);
        foreach (var t in NeuronTensors("conv2", n2)) yield return t;
        var (w3, b3) = Fold(fc1.weight!, fc1.bias!, bn3);
        yield return ("fc1.weight", w3);
        yield return ("fc1.bias", b3);
        foreach (var t in NeuronTensors("fc1", n3)) yield return t;
        yield return ("readout.weight", readout.weight!);
        yield return ("readout.bias", readout.bias!);
        yield return ("readout.alpha", readout_alpha.sigmoid());
    }

    private IEnumerable<(string, Tensor)> NeuronTensors(string layer, AlifParameters p)
    {
        yield return ($"{layer}.alpha", p.Alpha());
        yield return ($"{layer}.theta0", p.Theta0());
        if (Adaptive)
        {
            yield return ($"{layer}.rho", p.Rho());
            yield return ($"{layer}.beta", p.Beta());
        }
    }

    private static (Tensor Alpha, Tensor Rho, Tensor OneMinusRho, Tensor Beta, Tensor Theta0) Params(AlifParameters p)
    {
        Tensor rho = p.Rho();
        return (p.Alpha(), rho, rho.neg().add(1.0), p.Beta(), p.Theta0());
    }
}
