using System.Text;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Repository;
using SnnServe.TestSupport;

namespace SnnServe.Runtime.Tests;

public sealed class ModelLoaderTests
{
    private static readonly SyntheticModelOptions WithScout = new() { ScoutMode = "rate" };

    [Fact]
    public void ValidModel_LoadsWithNetworkScoutAndPolicy()
    {
        using var repo = new TestRepository(("digits", 1, WithScout));
        Assert.Empty(repo.Report.Failures);
        LoadedModel model = repo.Repository.Resolve("digits");
        Assert.Equal(1, model.Version);
        Assert.Equal(10, model.Labels.Count);
        Assert.Equal("CPUExecutionProvider", model.ScoutProvider);
        Assert.Equal((3, 3), (model.Scout!.MapHeight, model.Scout.MapWidth));
        Assert.Equal("max_probability", model.DefaultPolicy.Kind);
        Assert.Equal(new Network.Shape3(1, 12, 12), model.Network.Input);
        Assert.Equal(8 * 12 * 12 + 24, model.Network.SpikingNeuronCount);
        Assert.Equal(2, model.FileHashes.Count);
    }

    public static TheoryData<string, string> CorruptCases() => new()
    {
        { "manifest-missing", "model.json: (file): missing" },
        { "manifest-malformed", "model.json: $: invalid JSON" },
        { "manifest-unknown-field", "model.json: $.colour: invalid JSON" },
        { "format-version", "model.json: format_version: is 2" },
        { "weights-missing", "weights.safetensors: (file): missing" },
        { "weights-sha-mismatch", "weights.safetensors: sha256: is " },
        { "weights-truncated", "weights.safetensors: " },
        { "weights-header-garbage", "weights.safetensors: header: header is not valid JSON" },
        { "tensor-missing", "model.json: layers[0].weight: tensor 'nope' not found" },
        { "tensor-wrong-shape", "weights.safetensors: l0.weight: shape [8, 1, 3, 2] does not match layers[0].weight" },
        { "tensor-nan", "weights.safetensors: l3.weight: element 5 is NaN" },
        { "tensor-infinity", "weights.safetensors: l0.bias: element 0 is Infinity" },
        { "tensor-dtype", "weights.safetensors: l0.bias.dtype: is 'F16'" },
        { "layer-unknown-type", "model.json: layers[1].type: unknown layer type 'lstm'" },
        { "layer-readout-not-last", "model.json: layers[5]: the readout must be the last layer" },
        { "neuron-alpha-range", "weights.safetensors: l0.alpha: layers[0].neuron.alpha must lie in [0, 1]" },
        { "neuron-theta-nonpositive", "weights.safetensors: l3.theta0: baseline threshold must be > 0" },
        { "neuron-model-unknown", "model.json: layers[0].neuron.model: must be 'alif' or 'lif'" },
        { "labels-count", "model.json: labels: has 3 entries but the readout has 10 units" },
        { "exit-policy-bounds", "model.json: exit_policy: need 1 ≤ min_timesteps (5) ≤ max_timesteps (3)" },
        { "exit-policy-threshold", "model.json: exit_policy: threshold for 'max_probability' must lie in [0, 1]" },
        { "scout-path-escape", "model.json: files['../escape.onnx']: must be a plain file name" },
        { "scout-no-hash", "model.json: files: has no sha256 entry for 'scout.onnx'" },
        { "scout-corrupt", "scout.onnx: (model): ONNX Runtime cannot load it" },
        { "scout-wrong-input", "scout.onnx: inputs.image: shape [-1, 1, 16, 16] does not fit the model input [1, 12, 12]" },
        { "scout-mode", "model.json: scout.mode: must be 'rate' or 'potential'" },
        { "input-shape", "model.json: input.shape: must be [C, H, W]" },
        { "encoder-kind", "model.json: encoder.kind: must be 'direct' or 'rate'" },
        { "pool-first", "model.json: layers[0]: a pool layer must follow a spiking" },
        { "conv-too-large", "model.json: layers[0]: kernel 15 with padding 0 does not fit the input [1, 12, 12]" },
    };

    [Theory]
    [MemberData(nameof(CorruptCases))]
    public void CorruptModel_RejectedWithFileAndField(string corruption, string expected)
    {
        using var directory = new TempDirectory();
        string folder = Path.Combine(directory.Path, "m", "1");
        Corrupt(folder, corruption);
        var loader = new ModelLoader(new ModelLoaderOptions { PreferCuda = false }, Microsoft.Extensions.Logging.Abstractions.NullLogger<ModelLoader>.Instance);

        var error = Assert.Throws<ModelLoadException>(() => loader.Load("m", 1, folder));

        Assert.Equal(ErrorKind.InvalidModel, error.Kind);
        Assert.Contains(expected, error.Message);
    }

    private static void Corrupt(string folder, string corruption)
    {
        var (manifest, tensors) = SyntheticModel.Build(WithScout);
        byte[] scout = OnnxTestGraphs.BlockMeanSigmoid(1, 12, 12, 4, 6f, -1f);
        string manifestPath = Path.Combine(folder, "model.json");
        string weightsPath = Path.Combine(folder, "weights.safetensors");
        TensorData Tensor(string name) => tensors.Single(t => t.Name == name);
        void Replace(TensorData t) => tensors[tensors.FindIndex(x => x.Name == t.Name)] = t;

        switch (corruption)
        {
            case "format-version": manifest.FormatVersion = 2; break;
            case "tensor-missing": manifest.Layers![0].Weight = "nope"; break;
            case "tensor-wrong-shape": Replace(Tensor("l0.weight") with { Shape = [8, 1, 3, 2], Values = new float[48] }); break;
            case "tensor-nan": Tensor("l3.weight").Values[5] = float.NaN; break;
            case "tensor-infinity": Tensor("l0.bias").Values[0] = float.PositiveInfinity; break;
            case "layer-unknown-type": manifest.Layers![1].Type = "lstm"; break;
            case "layer-readout-not-last": manifest.Layers!.Add(new LayerSpec { Type = "dense", Units = 3 }); break;
            case "neuron-alpha-range": Tensor("l0.alpha").Values[3] = 1.5f; break;
            case "neuron-theta-nonpositive": Tensor("l3.theta0").Values[2] = 0f; break;
            case "neuron-model-unknown": manifest.Layers![0].Neuron!.Model = "izhikevich"; break;
            case "labels-count": manifest.Labels = ["a", "b", "c"]; break;
            case "exit-policy-bounds": manifest.ExitPolicy!.MinTimesteps = 5; manifest.ExitPolicy.MaxTimesteps = 3; break;
            case "exit-policy-threshold": manifest.ExitPolicy!.Threshold = 1.5f; break;
            case "scout-path-escape": manifest.Scout!.File = "../escape.onnx"; break;
            case "scout-corrupt": scout = Encoding.ASCII.GetBytes("this is not an onnx model"); break;
            case "scout-wrong-input": scout = OnnxTestGraphs.BlockMeanSigmoid(1, 16, 16, 4, 1f, 0f); break;
            case "scout-mode": manifest.Scout!.Mode = "gate"; break;
            case "input-shape": manifest.Input!.Shape = [12, 12]; break;
            case "encoder-kind": manifest.Encoder!.Kind = "latency"; break;
            case "pool-first": manifest.Layers!.Insert(0, new LayerSpec { Type = "pool", Pool = "max", Size = 2 }); break;
            case "conv-too-large": manifest.Layers![0].Kernel = 15; manifest.Layers[0].Padding = 0; break;
        }

        if (corruption == "scout-path-escape")
        {
            manifest.Files = new() { ["../escape.onnx"] = SyntheticModel.Sha256(scout) };
            SyntheticModel.WriteFiles(folder, manifest, tensors, scout: null);
            return;
        }

        SyntheticModel.WriteFiles(folder, manifest, tensors, scout);
        switch (corruption)
        {
            case "manifest-missing":
                File.Delete(manifestPath);
                break;
            case "manifest-malformed":
                File.WriteAllText(manifestPath, "{ \"format_version\": 1, ");
                break;
            case "manifest-unknown-field":
                File.WriteAllText(manifestPath, File.ReadAllText(manifestPath).Replace("\"format_version\": 1,", "\"format_version\": 1, \"colour\": \"red\","));
                break;
            case "weights-missing":
                File.Delete(weightsPath);
                break;
            case "weights-sha-mismatch":
                byte[] bytes = File.ReadAllBytes(weightsPath);
                bytes[^1] ^= 0x40;
                File.WriteAllBytes(weightsPath, bytes);
                break;
            case "weights-truncated":
                RewriteWeights(folder, manifest, File.ReadAllBytes(weightsPath)[..^100]);
                break;
            case "weights-header-garbage":
                byte[] garbage = File.ReadAllBytes(weightsPath);
                garbage[8] = (byte)'#';
                RewriteWeights(folder, manifest, garbage);
                break;
            case "tensor-dtype":
                RewriteWeights(folder, manifest, Encoding.ASCII.GetBytes(Encoding.Latin1.GetString(File.ReadAllBytes(weightsPath))
                    .Replace("{\"dtype\":\"F32\",\"shape\":[8]", "{\"dtype\":\"F16\",\"shape\":[8]")).Select(b => b).ToArray());
                break;
            case "scout-no-hash":
                manifest.Files!.Remove("scout.onnx");
                SyntheticModel.WriteManifest(folder, manifest);
                break;
        }
    }

    // Replaces the weights file and updates its hash, so the content check (not the hash) must catch it.
    private static void RewriteWeights(string folder, ModelManifest manifest, byte[] bytes)
    {
        File.WriteAllBytes(Path.Combine(folder, "weights.safetensors"), bytes);
        manifest.Files!["weights.safetensors"] = SyntheticModel.Sha256(bytes);
        SyntheticModel.WriteManifest(folder, manifest);
    }
}
