using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using SnnServe.Runtime.Classifier;
using SnnServe.Runtime.Encoders;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Exit;
using SnnServe.Runtime.Network;
using SnnServe.Runtime.Scout;

namespace SnnServe.Runtime.Repository;

/// <summary>
/// Loads one version folder (<c>models/&lt;name&gt;/&lt;version&gt;/</c>) into a <see cref="LoadedModel"/>:
/// reads <c>model.json</c> strictly, verifies the sha256 of every file it references, reads the
/// safetensors weights, compiles the network and loads the scout. Either everything passes and a
/// model is returned, or a <see cref="ModelLoadException"/> names the file and field at fault and
/// nothing is kept (a half-built scout session is disposed).
/// </summary>
public sealed class ModelLoader(ModelLoaderOptions options, ILogger<ModelLoader> logger)
{
    /// <summary>Manifest file name.</summary>
    public const string ManifestFile = "model.json";

    /// <summary>Weights file name.</summary>
    public const string WeightsFile = "weights.safetensors";

    /// <summary>JSON settings of the manifest: snake_case names, unknown members rejected, comments and trailing commas refused.</summary>
    public static readonly JsonSerializerOptions ManifestJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public ModelLoaderOptions Options => options;

    /// <summary>Loads the version folder <paramref name="directory"/> as model <paramref name="name"/>, version <paramref name="version"/>.</summary>
    public LoadedModel Load(string name, long version, string directory)
    {
        ModelManifest manifest = ReadManifest(directory);
        if (manifest.FormatVersion != ModelManifest.CurrentFormatVersion)
        {
            throw new ModelLoadException(ManifestFile, "format_version", $"is {manifest.FormatVersion}, this runtime reads {ModelManifest.CurrentFormatVersion}");
        }

        Dictionary<string, string> hashes = manifest.Files
            ?? throw new ModelLoadException(ManifestFile, "files", "missing: list every file with its sha256");
        var contents = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (file, expected) in hashes)
        {
            contents[file] = ReadVerified(directory, file, expected);
        }

        switch (manifest.Platform)
        {
            case null or "snn":
                break;
            case "onnx":
                return LoadClassifier(name, version, directory, manifest, contents, ValidateInput(manifest), ValidateLabels(manifest), hashes);
            default:
                throw new ModelLoadException(ManifestFile, "platform", $"must be 'snn' or 'onnx', got '{manifest.Platform}'");
        }

        byte[] weightsBytes = Referenced(contents, WeightsFile, "files");
        IReadOnlyDictionary<string, TensorData> tensors = SafetensorsReader.Read(weightsBytes, WeightsFile);
        foreach (TensorData tensor in tensors.Values)
        {
            int bad = Array.FindIndex(tensor.Values, v => !float.IsFinite(v));
            if (bad >= 0)
            {
                throw new ModelLoadException(WeightsFile, tensor.Name, $"element {bad} is {tensor.Values[bad].ToString(System.Globalization.CultureInfo.InvariantCulture)}: weights must be finite");
            }
        }

        Shape3 input = ValidateInput(manifest);
        IReadOnlyList<string> labels = ValidateLabels(manifest);
        EncoderKind encoder = ValidateEncoder(manifest);
        var builder = new NetworkBuilder(tensors, WeightsFile);
        SnnNetwork network = builder.Build(input, manifest.Layers ?? throw new ModelLoadException(ManifestFile, "layers", "missing"));
        if (network.Classes != labels.Count)
        {
            throw new ModelLoadException(ManifestFile, "labels", $"has {labels.Count} entries but the readout has {network.Classes} units");
        }

        ExitPolicy policy = ValidatePolicy(manifest);
        ValidateCalibration(manifest, policy);

        OnnxScout? scout = null;
        ModulationMode modulation = ModulationMode.Rate;
        if (manifest.Scout is { } scoutSpec)
        {
            modulation = ValidateScoutSpec(scoutSpec, network);
            byte[] scoutBytes = Referenced(contents, scoutSpec.File, "scout.file");
            scout = OnnxScout.Load(scoutBytes, scoutSpec.File, input, options.PreferCuda, logger);
        }

        return new LoadedModel(name, version, directory, manifest, network, input, labels, encoder, scout, modulation, policy, hashes);
    }

    // The onnx platform: a single-pass classifier (an ANN baseline); one "timestep", no spikes.
    private LoadedModel LoadClassifier(string name, long version, string directory, ModelManifest manifest,
        Dictionary<string, byte[]> contents, Shape3 input, IReadOnlyList<string> labels, Dictionary<string, string> hashes)
    {
        string file = manifest.ModelFile ?? throw new ModelLoadException(ManifestFile, "model_file", "missing: the onnx platform needs its ONNX file");
        if (manifest.Macs is < 0)
        {
            throw new ModelLoadException(ManifestFile, "macs", $"must be ≥ 0, got {manifest.Macs}");
        }

        byte[] bytes = Referenced(contents, file, "model_file");
        var classifier = OnnxClassifier.Load(bytes, file, input, labels.Count, options.PreferCuda, logger);
        var policy = new MaxProbabilityExitPolicy(1f, 1, 1);
        return new LoadedModel(name, version, directory, manifest, null, input, labels, EncoderKind.Direct, null, ModulationMode.Rate, policy, hashes, classifier);
    }

    private ModelManifest ReadManifest(string directory)
    {
        string path = Path.Combine(directory, ManifestFile);
        if (!File.Exists(path))
        {
            throw new ModelLoadException(ManifestFile, "(file)", "missing");
        }

        byte[] bytes = ReadBounded(path, ManifestFile);
        try
        {
            return JsonSerializer.Deserialize<ModelManifest>(bytes, ManifestJson)
                ?? throw new ModelLoadException(ManifestFile, "$", "is null");
        }
        catch (JsonException ex)
        {
            throw new ModelLoadException(ManifestFile, ex.Path ?? "$", "invalid JSON: " + ex.Message.Split(" Path:")[0], ex);
        }
    }

    private byte[] ReadVerified(string directory, string file, string expected)
    {
        if (!ModelNames.IsPlainFileName(file))
        {
            throw new ModelLoadException(ManifestFile, $"files['{file}']", "must be a plain file name inside the version folder");
        }

        string path = ModelNames.ContainedPath(directory, file, ManifestFile, $"files['{file}']");
        if (!File.Exists(path))
        {
            throw new ModelLoadException(file, "(file)", "missing (listed in model.json files)");
        }

        byte[] bytes = ReadBounded(path, file);
        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelLoadException(file, "sha256", $"is {actual}, model.json files says {expected}");
        }

        return bytes;
    }

    private byte[] ReadBounded(string path, string file)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Length > options.MaxFileBytes)
            {
                throw new ModelLoadException(file, "(file)", $"is {info.Length} bytes, over the {options.MaxFileBytes}-byte limit");
            }

            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A dangling link (File.Exists is true for the link itself), a file removed or a folder
            // replaced while loading, no permission: a load failure like any other, never a crash.
            // The message names the file, not the server's path.
            throw new ModelLoadException(file, "(file)", "cannot be read: " + ex switch
            {
                FileNotFoundException or DirectoryNotFoundException => "it is gone or a dangling link",
                UnauthorizedAccessException => "access denied (or it is a folder)",
                _ => $"I/O error ({ex.GetType().Name})",
            }, ex);
        }
    }

    private static byte[] Referenced(Dictionary<string, byte[]> contents, string file, string field)
    {
        if (!ModelNames.IsPlainFileName(file))
        {
            throw new ModelLoadException(ManifestFile, field, $"'{file}' must be a plain file name inside the version folder");
        }

        return contents.TryGetValue(file, out byte[]? bytes)
            ? bytes
            : throw new ModelLoadException(ManifestFile, "files", $"has no sha256 entry for '{file}'");
    }

    private static Shape3 ValidateInput(ModelManifest manifest)
    {
        InputSpec spec = manifest.Input ?? throw new ModelLoadException(ManifestFile, "input", "missing");
        if (spec.Shape is not { Count: 3 } shape || shape.Any(d => d < 1 || d > 4096))
        {
            throw new ModelLoadException(ManifestFile, "input.shape", "must be [C, H, W] with each dimension in [1, 4096]");
        }

        if (spec.Dtype != "float32")
        {
            throw new ModelLoadException(ManifestFile, "input.dtype", $"is '{spec.Dtype}', only float32 is supported");
        }

        if (!float.IsFinite(spec.Min) || !float.IsFinite(spec.Max) || spec.Min >= spec.Max)
        {
            throw new ModelLoadException(ManifestFile, "input.min", $"need finite min < max, got [{spec.Min}, {spec.Max}]");
        }

        if (!float.IsFinite(spec.Mean) || !float.IsFinite(spec.Std) || spec.Std <= 0f)
        {
            throw new ModelLoadException(ManifestFile, "input.std", $"need finite mean and std > 0, got mean {spec.Mean}, std {spec.Std}");
        }

        long size = (long)shape[0] * shape[1] * shape[2];
        if (size > 16_777_216)
        {
            throw new ModelLoadException(ManifestFile, "input.shape", $"has {size} elements, over the 16M limit");
        }

        return new Shape3(shape[0], shape[1], shape[2]);
    }

    private static IReadOnlyList<string> ValidateLabels(ModelManifest manifest)
    {
        if (manifest.Labels is not { Count: > 0 } labels)
        {
            throw new ModelLoadException(ManifestFile, "labels", "missing or empty");
        }

        int blank = labels.FindIndex(string.IsNullOrWhiteSpace);
        if (blank >= 0)
        {
            throw new ModelLoadException(ManifestFile, $"labels[{blank}]", "is empty");
        }

        return labels.AsReadOnly();
    }

    private static EncoderKind ValidateEncoder(ModelManifest manifest)
    {
        EncoderSpec spec = manifest.Encoder ?? throw new ModelLoadException(ManifestFile, "encoder", "missing");
        if (!float.IsFinite(spec.Gain) || spec.Gain <= 0f)
        {
            throw new ModelLoadException(ManifestFile, "encoder.gain", $"must be a finite number > 0, got {spec.Gain}");
        }

        return spec.Kind switch
        {
            "direct" => EncoderKind.Direct,
            "rate" => EncoderKind.Rate,
            _ => throw new ModelLoadException(ManifestFile, "encoder.kind", $"must be 'direct' or 'rate', got '{spec.Kind}'"),
        };
    }

    private ExitPolicy ValidatePolicy(ModelManifest manifest)
    {
        ExitPolicySpec spec = manifest.ExitPolicy ?? throw new ModelLoadException(ManifestFile, "exit_policy", "missing");
        if (spec.MaxTimesteps > options.MaxTimesteps)
        {
            throw new ModelLoadException(ManifestFile, "exit_policy.max_timesteps", $"is {spec.MaxTimesteps}, over the server's limit of {options.MaxTimesteps}");
        }

        try
        {
            return ExitPolicyFactory.Create(spec.Kind, spec.Threshold, spec.StableSteps, spec.MinTimesteps, spec.MaxTimesteps, ExitPolicyFactory.ParseSource(spec.Source));
        }
        catch (ArgumentException ex)
        {
            throw new ModelLoadException(ManifestFile, "exit_policy", ex.Message, ex);
        }
    }

    private static void ValidateCalibration(ModelManifest manifest, ExitPolicy policy)
    {
        List<CalibrationPoint> table = manifest.Calibration ?? [];
        for (int i = 0; i < table.Count; i++)
        {
            CalibrationPoint p = table[i];
            if (!double.IsFinite(p.Accuracy) || p.Accuracy is < 0 or > 1)
            {
                throw new ModelLoadException(ManifestFile, $"calibration[{i}].accuracy", $"must lie in [0, 1], got {p.Accuracy}");
            }

            if (!double.IsFinite(p.MeanTimesteps) || p.MeanTimesteps < 1 || p.MeanTimesteps > policy.MaxTimesteps)
            {
                throw new ModelLoadException(ManifestFile, $"calibration[{i}].mean_timesteps", $"must lie in [1, {policy.MaxTimesteps}], got {p.MeanTimesteps}");
            }
        }
    }

    private static ModulationMode ValidateScoutSpec(ScoutSpec spec, SnnNetwork network)
    {
        if (!float.IsFinite(spec.Strength) || spec.Strength < 0f)
        {
            throw new ModelLoadException(ManifestFile, "scout.strength", $"must be a finite number ≥ 0, got {spec.Strength}");
        }

        if (spec.Macs < 0)
        {
            throw new ModelLoadException(ManifestFile, "scout.macs", $"must be ≥ 0, got {spec.Macs}");
        }

        switch (spec.Mode)
        {
            case "rate":
                if (spec.Strength > 1f)
                {
                    throw new ModelLoadException(ManifestFile, "scout.strength", $"rate modulation needs strength in [0, 1], got {spec.Strength}");
                }

                return ModulationMode.Rate;
            case "potential":
                if (network.Hidden[0].Output.Height == 1 && network.Hidden[0].Output.Width == 1)
                {
                    throw new ModelLoadException(ManifestFile, "scout.mode", "potential modulation needs a conv first layer (a spatial map to raise)");
                }

                return ModulationMode.Potential;
            default:
                throw new ModelLoadException(ManifestFile, "scout.mode", $"must be 'rate' or 'potential', got '{spec.Mode}'");
        }
    }
}
