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
    public static IEndpointRouteBuilder MapKServeRestApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v2", () => Results.Json(new { name = "snnserve", version = KServeProtocol.ServerVersion, extensions = KServeProtocol.Extensions }));
        RouteGroupBuilder models = app.MapGroup("/v2/models/{name}");
        models.MapGet("/", (string name, ModelRepository repository) => Metadata(repository, name, null));
        models.MapGet("/versions/{version}", (string name, string version, ModelRepository repository) => WithVersion(version, v => Metadata(repository, name, v)));
        models.MapGet("/ready", (string name, ModelRepository repository) => Ready(repository, name, null));
        models.MapGet("/versions/{version}/ready", (string name, string version, ModelRepository repository) => WithVersion(version, v => Ready(repository, name, v)));
        models.MapPost("/infer", (string name, HttpRequest http, IInferenceEngine engine, ModelRepository repository, TimeProvider time, CancellationToken ct) =>
            InferAsync(name, null, http, engine, repository, time, ct));
        models.MapPost("/versions/{version}/infer", (string name, string version, HttpRequest http, IInferenceEngine engine, ModelRepository repository, TimeProvider time, CancellationToken ct) =>
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
            platform = KServeProtocol.Platform(m),
            inputs = new[] { new { name = m.Input.Name, datatype = "FP32", shape } },
            outputs = KServeProtocol.OutputNames.Select(o => new { name = o, datatype = KServeProtocol.DataType(o), shape = KServeProtocol.Shape(o, -1, m.Classes) }),
        });
    });

    private static IResult Ready(ModelRepository repository, string name, long? version) => Guard(() =>
    {
        LoadedModel m = repository.Resolve(name, version);
        return Results.Json(new { name = m.Name, ready = !m.Retired });
    });

    private static async Task<IResult> InferAsync(string name, long? version, HttpRequest http, IInferenceEngine engine, ModelRepository repository, TimeProvider time, CancellationToken ct)
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
        catch (BadHttpRequestException ex)
        {
            return Error(ex.StatusCode, ex.Message);
        }

        try
        {
            LoadedModel model = repository.Resolve(name, version);
            if (body is not JsonObject request)
            {
                throw Invalid("the body must be a JSON object with 'inputs'");
            }

            var (batch, data) = ReadInput(request, model);
            InferenceOptions options = ReadParameters(request["parameters"] as JsonObject, arrived);
            string[] requested = RequestedOutputs(request);
            InferenceResult[] results = await KServeProtocol.InferBatchAsync(engine, model, data, batch, options, "kserve-rest", request["id"]?.GetValue<string>(), ct);
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
            return ErrorMapping.WithRetryAfter(Error(ErrorMapping.HttpStatus(ex.Kind), ex.Message), ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            return Error(StatusCodes.Status400BadRequest, "malformed request: " + ex.Message);
        }
    }

    private static (int Batch, float[] Data) ReadInput(JsonObject request, LoadedModel model)
    {
        if (request["inputs"] is not JsonArray { Count: 1 } inputs || inputs[0] is not JsonObject input)
        {
            throw Invalid($"'inputs' must hold exactly one tensor (model '{model.Name}' has one input, '{model.Input.Name}')");
        }

        string datatype = input["datatype"]?.GetValue<string>() ?? throw Invalid("input 'datatype' is missing");
        if (input["shape"] is not JsonArray shapeNode)
        {
            throw Invalid("input 'shape' is missing");
        }

        int batch = KServeProtocol.CheckInput(model, datatype, shapeNode.Select(d => d!.GetValue<long>()).ToArray());
        var values = new List<float>(batch * model.InputShape.Size);
        Flatten(input["data"] ?? throw Invalid("input 'data' is missing"), values);
        return (batch, values.ToArray());
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
            Priority = p["priority"]?.GetValue<int>(),
            Deadline = timeout is { } ms ? arrived.AddMilliseconds(ms) : null,
        };
    }

    private static string[] RequestedOutputs(JsonObject request) =>
        KServeProtocol.CheckOutputs(request["outputs"] is JsonArray outputs
            ? outputs.Select(o => o?["name"]?.GetValue<string>() ?? throw Invalid("each requested output needs a 'name'")).ToArray()
            : []);

    private static object Output(string name, InferenceResult[] r, int classes) =>
        new { name, datatype = KServeProtocol.DataType(name), shape = KServeProtocol.Shape(name, r.Length, classes), data = KServeProtocol.Values(name, r) };

    private static SnnServeException Invalid(string message) => KServeProtocol.Invalid(message);

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);

    private static IResult Guard(Func<IResult> action)
    {
        try
        {
            return action();
        }
        catch (SnnServeException ex)
        {
            return ErrorMapping.WithRetryAfter(Error(ErrorMapping.HttpStatus(ex.Kind), ex.Message), ex);
        }
    }

    private static IResult WithVersion(string version, Func<long, IResult> action) =>
        long.TryParse(version, out long v) && v > 0 ? action(v) : Error(StatusCodes.Status400BadRequest, $"version '{version}' is not a positive integer");

    private static Task<IResult> WithVersionAsync(string version, Func<long, Task<IResult>> action) =>
        long.TryParse(version, out long v) && v > 0 ? action(v) : Task.FromResult(Error(StatusCodes.Status400BadRequest, $"version '{version}' is not a positive integer"));
}
