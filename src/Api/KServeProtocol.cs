using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Exit;
using SnnServe.Runtime.Repository;

namespace SnnServe.Api;

/// <summary>What the KServe v2 REST and gRPC transports share: output names and types, input checks, options.</summary>
public static class KServeProtocol
{
    /// <summary>Output tensors an infer response can carry, in order.</summary>
    public static readonly string[] OutputNames =
        ["probabilities", "label", "label_index", "confidence", "exit_timestep", "exit_reason", "spikes", "synaptic_ops", "energy_joules"];

    /// <summary>Server version reported by server metadata.</summary>
    public static readonly string ServerVersion =
        typeof(KServeProtocol).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Extensions reported by server metadata.</summary>
    public static readonly string[] Extensions = ["snnserve_early_exit"];

    /// <summary>KServe platform name of a model.</summary>
    public static string Platform(LoadedModel model) => model.SinglePass ? "onnxruntime_onnx" : "snnserve_snn";

    /// <summary>KServe datatype of an output.</summary>
    public static string DataType(string output) => output switch
    {
        "probabilities" or "confidence" => "FP32",
        "label" or "exit_reason" => "BYTES",
        "exit_timestep" => "INT32",
        "energy_joules" => "FP64",
        _ => "INT64",
    };

    /// <summary>Checks datatype and shape ([N, C, H, W] or [C, H, W]) against the model; returns the batch size.</summary>
    public static int CheckInput(LoadedModel model, string datatype, IReadOnlyList<long> shape)
    {
        if (datatype != "FP32")
        {
            throw Invalid($"input datatype is {datatype}; the model takes FP32");
        }

        string expected = $"[-1, {model.InputShape.Channels}, {model.InputShape.Height}, {model.InputShape.Width}]";
        if (shape.Count is < 3 or > 4)
        {
            throw Invalid($"input 'shape' must be [N, C, H, W] or [C, H, W]; the model takes {expected}");
        }

        if (shape[^3] != model.InputShape.Channels || shape[^2] != model.InputShape.Height || shape[^1] != model.InputShape.Width)
        {
            throw Invalid($"input shape [{string.Join(", ", shape)}] does not match the model's {expected}");
        }

        long batch = shape.Count == 4 ? shape[0] : 1;
        return batch is >= 1 and <= 1024 ? (int)batch : throw Invalid($"batch size {batch} must lie in [1, 1024]");
    }

    /// <summary>Checks requested output names; all outputs when none are requested.</summary>
    public static string[] CheckOutputs(IReadOnlyList<string> requested)
    {
        if (requested.Count == 0)
        {
            return OutputNames;
        }

        string? unknown = requested.FirstOrDefault(n => !OutputNames.Contains(n));
        return unknown is null ? requested.ToArray() : throw Invalid($"unknown output '{unknown}' (known: {string.Join(", ", OutputNames)})");
    }

    /// <summary>Runs every item of a batch (concurrently, so the scheduler can step them together) and returns the answers in order.</summary>
    public static async Task<InferenceResult[]> InferBatchAsync(IInferenceEngine engine, LoadedModel model, float[] data, int batch, InferenceOptions options, string protocol, string? id, CancellationToken ct)
    {
        int size = model.InputShape.Size;
        if (data.Length != (long)batch * size)
        {
            throw Invalid($"input data has {data.Length} elements; the shape needs {(long)batch * size}");
        }

        if (batch == 1)
        {
            // The common case: no task array, no WhenAll, one continuation fewer.
            return [await engine.InferAsync(new InferenceRequest
            {
                Model = model.Name, Version = model.Version, Input = data, Options = options, Protocol = protocol, Id = id,
            }, ct)];
        }

        var pending = new Task<InferenceResult>[batch];
        for (int b = 0; b < batch; b++)
        {
            pending[b] = engine.InferAsync(new InferenceRequest
            {
                Model = model.Name, Version = model.Version, Input = data.AsMemory(b * size, size), Options = options, Protocol = protocol, Id = id,
            }, ct).AsTask();
        }

        return await Task.WhenAll(pending);
    }

    /// <summary>An output tensor's values across the batch, as a typed array.</summary>
    public static Array Values(string output, InferenceResult[] r) => output switch
    {
        "probabilities" => r.SelectMany(x => x.Probabilities).ToArray(),
        "label" => r.Select(x => x.Label).ToArray(),
        "label_index" => r.Select(x => (long)x.LabelIndex).ToArray(),
        "confidence" => r.Select(x => x.Confidence).ToArray(),
        "exit_timestep" => r.Select(x => x.ExitTimestep).ToArray(),
        "exit_reason" => r.Select(x => x.ExitReason.ToWireName()).ToArray(),
        "spikes" => r.Select(x => x.TotalSpikes).ToArray(),
        "synaptic_ops" => r.Select(x => x.SynapticOps).ToArray(),
        _ => r.Select(x => x.EnergyJoules).ToArray(),
    };

    /// <summary>Shape of an output for a batch of <paramref name="n"/>.</summary>
    public static long[] Shape(string output, int n, int classes) => output == "probabilities" ? [n, classes] : [n];

    /// <summary>An InvalidArgument error.</summary>
    public static SnnServeException Invalid(string message) => new(ErrorKind.InvalidArgument, message);
}
