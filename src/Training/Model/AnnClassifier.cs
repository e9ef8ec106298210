using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SnnServe.Training.Model;

/// <summary>
/// The "traditional ANN" baseline: the same layout as the SNN with ReLU instead of spiking neurons
/// and no time dimension — conv C1 (3×3, pad 1) ReLU → max-pool 2 → conv C2 ReLU → max-pool 2 →
/// dense H ReLU → dense 10.
/// </summary>
public sealed class AnnClassifier : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc1;
    private readonly Linear fc2;

    public AnnClassifier(int channels1, int channels2, int hidden, double dropout) : base("ann")
    {
        Channels1 = channels1;
        Channels2 = channels2;
        Hidden = hidden;
        Dropout = dropout;
        conv1 = nn.Conv2d(1, channels1, 3, padding: 1);
        conv2 = nn.Conv2d(channels1, channels2, 3, padding: 1);
        fc1 = nn.Linear(channels2 * 7 * 7, hidden);
        fc2 = nn.Linear(hidden, 10);
        RegisterComponents();
    }

    public int Channels1 { get; }
    public int Channels2 { get; }
    public int Hidden { get; }
    public double Dropout { get; }

    /// <summary>Multiply-accumulates of one inference: every weight used once per output position.</summary>
    public long Macs => 28L * 28 * Channels1 * 9 + 14L * 14 * Channels2 * Channels1 * 9 + Channels2 * 49L * Hidden + Hidden * 10L;

    public override Tensor forward(Tensor x)
    {
        Tensor h = nn.functional.max_pool2d(nn.functional.relu(conv1.forward(x)), 2);
        h = nn.functional.max_pool2d(nn.functional.relu(conv2.forward(h)), 2).flatten(1);
        if (training && Dropout > 0)
        {
            h = nn.functional.dropout(h, Dropout, training: true);
        }

        return fc2.forward(nn.functional.relu(fc1.forward(h)));
    }

    /// <summary>(name, weight, bias) of each layer in order: conv1, conv2, fc1, fc2.</summary>
    public IEnumerable<(string Name, Tensor Weight, Tensor Bias)> Layers()
    {
        yield return ("conv1", conv1.weight!, conv1.bias!);
        yield return ("conv2", conv2.weight!, conv2.bias!);
        yield return ("fc1", fc1.weight!, fc1.bias!);
        yield return ("fc2", fc2.weight!, fc2.bias!);
    }
}
