using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Exit;
using SnnServe.Runtime.Repository;

namespace SnnServe.Api;

/// <summary>
/// The KServe / Triton Open Inference Protocol v2 over REST: server metadata, model metadata and
/// readiness, and <c>infer</c> with FP32 tensors (flat or nested <c>data</c>, batch dimension ≥ 1).
/// Errors are <c>{"error": "..."}</c> with the status from <see cref="ErrorMapping"/>. Outputs and
/// request parameters are listed in docs/api.md.
/// </summary>
public static class KServeRestApi
{
    /// <summary>Output tensors an infer response can carry, in order.</summary>
    public static readonly string[] OutputNames =
        ["probabilities", "label", "label_index", "confidence", "exit_timestep", "exit_reason", "spikes", "synaptic_ops", "energy_joules"];

    private static readonly string ServerVersion =
        typeof(KServeRestApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static IEndpointRouteBuilder MapKServeRestApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v2", () => Results.Json(new { name = "snnserve", version = ServerVersion, extensions = new[] { "snnserve_early_exit" } }));
        RouteGroupBuilder models = app.MapGroup("/v2/models/{name}");
        models.MapGet("/", (string name, ModelRepository repository) => Metadata(repository, name, null));
        models.MapGet("/versions/{version}", (string name, string version, ModelRepository repository) => WithVersion(version, v => Metadata(repository, name, v)));
        models.MapGet("/ready", (string name, ModelRepository repository) => Ready(repository, name, null));
        models.MapGet("/versions/{version}/ready", (string name, string version, ModelRepository repository) => WithVersion(version, v => Ready(repository, name, v)));
        models.MapPost("/infer", (string name, HttpRequest http, SnnInferenceEngine engine, ModelRepository repository, TimeProvider time, CancellationToken ct) =>
            InferAsync(name, null, http, engine, repository, time, ct));
        models.MapPost("/versions/{version}/infer", (string name, string version, HttpRequest http, SnnInferenceEngine engine, ModelRepository repository, TimeProvider time, CancellationToken ct) =>
            WithVersionAsync(version, v => InferAsync(name, v, http, engine, repository, time, ct)));
        return app;
    }

    private static IResult Metadata(ModelRepository repository, string name, long? version) => Guard(() =>
    {
        LoadedModel m = repository.Resolve(name, version);
        int[] shape = [-1, m.InputShape.Channels, m.InputShape.Height, m.InputShape.Width];
        return Results.Json(new
        {
            name = m.Name,
            versions = repository.Versions(m.Name).Select(v => v.ToString()).ToArray(),
            platform = m.SinglePass ? "onnxruntime_onnx" : "snnserve_snn",
            inputs = new[] { new { name = m.Input.Name, datatype = "FP32", shape } },
            outputs = OutputNames.Select(o => new { name = o, datatype = DataType(o), shape = o == "probabilities" ? new[] { -1, m.Classes } : new[] { -1 } }),
        });
    });

    private static IResult Ready(ModelRepository repository, string name, long? version) => Guard(() =>
    {
        LoadedModel m = repository.Resolve(name, version);
        return Results.Json(new { name = m.Name, ready = !m.Retired });
    });

    private static async Task<IResult> InferAsync(string name, long? version, HttpRequest http, SnnInferenceEngine engine, ModelRepository repository, TimeProvider time, CancellationToken ct)
    {
        DateTimeOffset arrived = time.GetUtcNow();
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(http.Body, cancellationToken: ct);
        }
        catch (JsonException ex)
        {
            return Error(StatusCodes.Status400BadRequest, "malformed JSON body: " + ex.Message.Split(" Path:")[0]);
        }

        try
        {
            LoadedModel model = repository.Resolve(name, version);
            if (body is not JsonObject request)
            {
                throw Invalid("the body must be a JSON object with 'inputs'");
            }

            var (batch, items) = ReadInput(request, model);
            InferenceOptions options = ReadParameters(request["parameters"] as JsonObject, arrived);
            string[] requested = RequestedOutputs(request);
            var results = new InferenceResult[batch];
            for (int b = 0; b < batch; b++)
            {
                results[b] = engine.Infer(new InferenceRequest
                {
                    Model = model.Name, Version = model.Version, Input = items[b], Options = options, Protocol = "kserve-rest",
                    Id = request["id"]?.GetValue<string>(),
                }, ct);
            }

            return Results.Json(new
            {
                model_name = model.Name,
                model_version = model.Version.ToString(),
                id = request["id"]?.GetValue<string>(),
                outputs = requested.Select(o => Output(o, results, model.Classes)),
            });
        }
        catch (SnnServeException ex)
        {
            return Error(ErrorMapping.HttpStatus(ex.Kind), ex.Message);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            return Error(StatusCodes.Status400BadRequest, "malformed request: " + ex.Message);
        }
    }

    private static (int Batch, ReadOnlyMemory<float>[] Items) ReadInput(JsonObject request, LoadedModel model)
    {
        if (request["inputs"] is not JsonArray { Count: 1 } inputs || inputs[0] is not JsonObject input)
        {
            throw Invalid($"'inputs' must hold exactly one tensor (model '{model.Name}' has one input, '{model.Input.Name}')");
        }

        string datatype = input["datatype"]?.GetValue<string>() ?? throw Invalid("input 'datatype' is missing");
        if (datatype != "FP32")
        {
            throw Invalid($"input datatype is {datatype}; the model takes FP32");
        }

        if (input["shape"] is not JsonArray shapeNode || shapeNode.Count is < 3 or > 4)
        {
            throw Invalid($"input 'shape' must be [N, C, H, W] or [C, H, W]; the model takes [-1, {model.InputShape.Channels}, {model.InputShape.Height}, {model.InputShape.Width}]");
        }

        long[] shape = shapeNode.Select(d => d!.GetValue<long>()).ToArray();
        long[] item = shape[^3..];
        if (item[0] != model.InputShape.Channels || item[1] != model.InputShape.Height || item[2] != model.InputShape.Width)
        {
            throw Invalid($"input shape [{string.Join(", ", shape)}] does not match the model's [-1, {model.InputShape.Channels}, {model.InputShape.Height}, {model.InputShape.Width}]");
        }

        long batch = shape.Length == 4 ? shape[0] : 1;
        if (batch is < 1 or > 1024)
        {
            throw Invalid($"batch size {batch} must lie in [1, 1024]");
        }

        var values = new List<float>((int)(batch * model.InputShape.Size));
        Flatten(input["data"] ?? throw Invalid("input 'data' is missing"), values);
        if (values.Count != batch * model.InputShape.Size)
        {
            throw Invalid($"input 'data' has {values.Count} elements; shape [{string.Join(", ", shape)}] needs {batch * model.InputShape.Size}");
        }

        float[] all = values.ToArray();
        int size = model.InputShape.Size;
        return ((int)batch, Enumerable.Range(0, (int)batch).Select(b => (ReadOnlyMemory<float>)all.AsMemory(b * size, size)).ToArray());
    }

    private static void Flatten(JsonNode node, List<float> values)
    {
        if (node is JsonArray array)
        {
            foreach (JsonNode? child in array)
            {
                Flatten(child ?? throw Invalid("input 'data' holds null"), values);
            }

            return;
        }

        if (node is JsonValue value && value.TryGetValue(out double number))
        {
            values.Add((float)number);
            return;
        }

        throw Invalid("input 'data' must hold numbers");
    }

    private static InferenceOptions ReadParameters(JsonObject? p, DateTimeOffset arrived)
    {
        if (p is null)
        {
            return new InferenceOptions();
        }

        int? timeout = p["timeout_ms"]?.GetValue<int>();
        if (timeout is <= 0)
        {
            throw Invalid($"timeout_ms must be > 0, got {timeout}");
        }

        return new InferenceOptions
        {
            Policy = p["exit_policy"]?.GetValue<string>(),
            Threshold = p["exit_threshold"]?.GetValue<float>(),
            StableSteps = p["stable_steps"]?.GetValue<int>(),
            MinTimesteps = p["min_timesteps"]?.GetValue<int>(),
            MaxTimesteps = p["max_timesteps"]?.GetValue<int>(),
            Source = p["readout_source"]?.GetValue<string>(),
            Seed = p["seed"]?.GetValue<ulong>(),
            Modulation = p["modulation"]?.GetValue<bool>(),
            Deadline = timeout is { } ms ? arrived.AddMilliseconds(ms) : null,
        };
    }

    private static string[] RequestedOutputs(JsonObject request)
    {
        if (request["outputs"] is not JsonArray outputs || outputs.Count == 0)
        {
            return OutputNames;
        }

        string[] names = outputs.Select(o => o?["name"]?.GetValue<string>() ?? throw Invalid("each requested output needs a 'name'")).ToArray();
        string? unknown = names.FirstOrDefault(n => !OutputNames.Contains(n));
        return unknown is null ? names : throw Invalid($"unknown output '{unknown}' (known: {string.Join(", ", OutputNames)})");
    }

    private static object Output(string name, InferenceResult[] r, int classes)
    {
        int n = r.Length;
        object data = name switch
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
        return new { name, datatype = DataType(name), shape = name == "probabilities" ? new[] { n, classes } : new[] { n }, data };
    }

    private static string DataType(string output) => output switch
    {
        "probabilities" or "confidence" => "FP32",
        "label" or "exit_reason" => "BYTES",
        "exit_timestep" => "INT32",
        "energy_joules" => "FP64",
        _ => "INT64",
    };

    private static SnnServeException Invalid(string message) => new(ErrorKind.InvalidArgument, message);

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);

    private static IResult Guard(Func<IResult> action)
    {
        try
        {
            return action();
        }
        catch (SnnServeException ex)
        {
            return Error(ErrorMapping.HttpStatus(ex.Kind), ex.Message);
        }
    }

    private static IResult WithVersion(string version, Func<long, IResult> action) =>
        long.TryParse(version, out long v) && v > 0 ? action(v) : Error(StatusCodes.Status400BadRequest, $"version '{version}' is not a positive integer");

    private static Task<IResult> WithVersionAsync(string version, Func<long, Task<IResult>> action) =>
        long.TryParse(version, out long v) && v > 0 ? action(v) : Task.FromResult(Error(StatusCodes.Status400BadRequest, $"version '{version}' is not a positive integer"));
}
