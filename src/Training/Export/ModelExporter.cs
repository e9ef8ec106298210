using System.Security.Cryptography;
using System.Text.Json;
using SnnServe.Runtime.Repository;
using SnnServe.Training.Model;
using static TorchSharp.torch;

namespace SnnServe.Training.Export;

/// <summary>
/// Writes a trained <see cref="SnnClassifier"/> as a model version folder the runtime serves
/// unchanged: <c>weights.safetensors</c> (every tensor float32, neuron parameters already mapped
/// through their range functions) and <c>model.json</c> (written last, with the sha256 of every file).
/// </summary>
public static class ModelExporter
{
    /// <summary>Scout file name in the version folder.</summary>
    public const string ScoutFile = "scout.onnx";

    public static ModelManifest Export(SnnClassifier model, string versionFolder, TrainSettings settings, ExitPolicySpec policy,
        List<CalibrationPoint> calibration, ProvenanceSpec provenance)
    {
        Directory.CreateDirectory(versionFolder);
        var tensors = new List<TensorData>();
        using (no_grad())
        {
            foreach (var (name, value) in model.ExportTensors())
            {
                using Tensor cpu = value.detach().cpu().contiguous();
                tensors.Add(new TensorData(name, cpu.shape.Select(d => (int)d).ToArray(), cpu.data<float>().ToArray()));
            }
        }

        byte[] weights = SafetensorsWriter.Write(tensors, new Dictionary<string, string> { ["producer"] = "SnnServe.Training" });
        File.WriteAllBytes(Path.Combine(versionFolder, ModelLoader.WeightsFile), weights);
        ModelManifest manifest = Manifest(model, settings, policy, calibration, provenance);
        manifest.Files = new() { [ModelLoader.WeightsFile] = Convert.ToHexStringLower(SHA256.HashData(weights)) };
        if (model.Scout is not null)
        {
            model.Scout.eval();
            byte[] scout = ScoutOnnxExporter.Export(model.Scout);
            File.WriteAllBytes(Path.Combine(versionFolder, ScoutFile), scout);
            manifest.Files[ScoutFile] = Convert.ToHexStringLower(SHA256.HashData(scout));
            manifest.Scout = new ScoutSpec { File = ScoutFile, Mode = model.ScoutMode, Strength = model.ScoutStrength, Macs = SaliencyScout.Macs };
        }

        File.WriteAllText(Path.Combine(versionFolder, ModelLoader.ManifestFile), JsonSerializer.Serialize(manifest, ModelLoader.ManifestJson) + "\n");
        return manifest;
    }

    /// <summary>Rewrites <c>model.json</c> of an exported folder (after calibration), keeping the file hashes.</summary>
    public static void Rewrite(string versionFolder, ModelManifest manifest) =>
        File.WriteAllText(Path.Combine(versionFolder, ModelLoader.ManifestFile), JsonSerializer.Serialize(manifest, ModelLoader.ManifestJson) + "\n");

    private static ModelManifest Manifest(SnnClassifier model, TrainSettings settings, ExitPolicySpec policy,
        List<CalibrationPoint> calibration, ProvenanceSpec provenance)
    {
        NeuronSpec Neuron(string layer) => model.Adaptive
            ? new NeuronSpec { Model = "alif", Alpha = $"{layer}.alpha", Rho = $"{layer}.rho", Beta = $"{layer}.beta", Theta0 = $"{layer}.theta0" }
            : new NeuronSpec { Model = "lif", Alpha = $"{layer}.alpha", Theta0 = $"{layer}.theta0" };

        return new ModelManifest
        {
            FormatVersion = ModelManifest.CurrentFormatVersion,
            Name = settings.Name,
            Description = $"Convolutional {(model.Adaptive ? "ALIF" : "LIF")} SNN for MNIST digits, {model.Encoder} encoding, " +
                (model.Scout is null ? "no scout" : $"{model.ScoutMode}-modulating saliency scout") + ", " +
                (settings.Exit == "fixed" ? $"fixed T = {settings.Timesteps}" : "early exit") + "; trained with surrogate gradients and a temporal loss.",
            Labels = Enumerable.Range(0, 10).Select(d => d.ToString()).ToList(),
            Input = new InputSpec { Name = "image", Shape = [1, 28, 28], Dtype = "float32", Min = 0, Max = 1, Mean = 0, Std = 1 },
            Encoder = new EncoderSpec { Kind = model.Encoder, Gain = 1, DefaultSeed = 0 },
            Layers =
            [
                new LayerSpec { Name = "conv1", Type = "conv", OutChannels = model.Channels1, Kernel = 3, Stride = 1, Padding = 1, Weight = "conv1.weight", Bias = "conv1.bias", Neuron = Neuron("conv1") },
                new LayerSpec { Name = "pool1", Type = "pool", Pool = "max", Size = 2 },
                new LayerSpec { Name = "conv2", Type = "conv", OutChannels = model.Channels2, Kernel = 3, Stride = 1, Padding = 1, Weight = "conv2.weight", Bias = "conv2.bias", Neuron = Neuron("conv2") },
                new LayerSpec { Name = "pool2", Type = "pool", Pool = "max", Size = 2 },
                new LayerSpec { Name = "flatten", Type = "flatten" },
                new LayerSpec { Name = "fc1", Type = "dense", Units = model.Hidden, Weight = "fc1.weight", Bias = "fc1.bias", Neuron = Neuron("fc1") },
                new LayerSpec { Name = "readout", Type = "readout", Units = SnnClassifier.Classes, Weight = "readout.weight", Bias = "readout.bias", Alpha = "readout.alpha" },
            ],
            ExitPolicy = policy,
            Calibration = calibration,
            Provenance = provenance,
        };
    }
}
