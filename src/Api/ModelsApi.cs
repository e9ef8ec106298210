using System.Text.Json;
using System.Text.Json.Serialization;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Exit;
using SnnServe.Runtime.Repository;

namespace SnnServe.Api;

/// <summary>
/// The own REST API under <c>/v1</c>: list and describe models, classify. Errors are
/// ProblemDetails with the status from <see cref="ErrorMapping"/>.
/// </summary>
public static class ModelsApi
{
    /// <summary>JSON of the /v1 API: snake_case, unknown members rejected.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder v1 = app.MapGroup("/v1/models");
        v1.MapGet("/", (ModelRepository repository) => Results.Json(repository.Models.Select(m => Describe(m, repository)), Json));
        v1.MapGet("/{name}", (string name, ModelRepository repository) => Run(() => Results.Json(Describe(repository.Resolve(name), repository), Json)));
        v1.MapPost("/{name}/classify", (string name, HttpRequest request, IInferenceEngine engine, TimeProvider time, CancellationToken ct) =>
            ClassifyAsync(name, null, request, engine, time, ct));
        v1.MapPost("/{name}/classify/stream", (string name, HttpContext http, IInferenceEngine engine, TimeProvider time) =>
            StreamAsync(name, null, http, engine, time));
        v1.MapPost("/{name}/versions/{version:long}/classify/stream", (string name, long version, HttpContext http, IInferenceEngine engine, TimeProvider time) =>
            StreamAsync(name, version, http, engine, time));
        v1.MapPost("/{name}/versions/{version:long}/classify", (string name, long version, HttpRequest request, IInferenceEngine engine, TimeProvider time, CancellationToken ct) =>
            ClassifyAsync(name, version, request, engine, time, ct));
        return app;
    }

    private static async Task<IResult> ClassifyAsync(string name, long? version, HttpRequest http, IInferenceEngine engine, TimeProvider time, CancellationToken ct)
    {
        var (request, error) = await ReadRequestAsync(name, version, http, time, ct);
        if (request is null)
        {
            return error!;
        }

        try
        {
            return Results.Json(Answer(await engine.InferAsync(request, ct)), Json);
        }
        catch (SnnServeException ex)
        {
            return ErrorMapping.Problem(ex);
        }
    }

    /// <summary>
    /// Server-Sent Events: one <c>timestep</c> event per timestep (running probabilities, spikes so
    /// far, whether the policy would exit) and a final <c>result</c> event carrying the answer. Errors
    /// found before the first event are ProblemDetails; a later failure is an <c>error</c> event.
    /// </summary>
    private static async Task StreamAsync(string name, long? version, HttpContext http, IInferenceEngine engine, TimeProvider time)
    {
        CancellationToken ct = http.RequestAborted;
        var (request, error) = await ReadRequestAsync(name, version, http.Request, time, ct);
        if (request is null)
        {
            await error!.ExecuteAsync(http);
            return;
        }

        await using IAsyncEnumerator<TimestepUpdate> updates = engine.StreamAsync(request, ct).GetAsyncEnumerator(ct);
        bool started = false;
        while (true)
        {
            try
            {
                if (!await updates.MoveNextAsync())
                {
                    return;
                }
            }
            catch (SnnServeException ex) when (!started)
            {
                await ErrorMapping.Problem(ex).ExecuteAsync(http);
                return;
            }
            catch (SnnServeException ex)
            {
                await WriteEventAsync(http.Response, "error", new { error = ex.Message }, ct);
                return;
            }

            if (!started)
            {
                started = true;
                http.Response.ContentType = "text/event-stream";
                http.Response.Headers.CacheControl = "no-cache";
            }

            TimestepUpdate u = updates.Current;
            await WriteEventAsync(http.Response, "timestep", new
            {
                timestep = u.Timestep,
                probabilities = u.Probabilities,
                label = u.Label,
                confidence = u.Confidence,
                layer_spikes = u.LayerSpikes,
                spikes_so_far = u.SpikesSoFar,
                would_exit = u.WouldExit,
            }, ct);
            if (u.Result is { } result)
            {
                await WriteEventAsync(http.Response, "result", Answer(result), ct);
            }
        }
    }

    private static async Task WriteEventAsync(HttpResponse response, string name, object data, CancellationToken ct)
    {
        await response.WriteAsync($"event: {name}\ndata: {JsonSerializer.Serialize(data, Json)}\n\n", ct);
        await response.Body.FlushAsync(ct);
    }

    // Parses and checks a classify body; returns the request, or the ProblemDetails to answer with.
    private static async Task<(InferenceRequest? Request, IResult? Error)> ReadRequestAsync(string name, long? version, HttpRequest http, TimeProvider time, CancellationToken ct)
    {
        DateTimeOffset arrived = time.GetUtcNow();
        ClassifyBody? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<ClassifyBody>(http.Body, Json, ct);
        }
        catch (JsonException ex)
        {
            return (null, ErrorMapping.BadRequest("malformed JSON body: " + ex.Message.Split(" Path:")[0]));
        }
        catch (BadHttpRequestException ex)
        {
            return (null, TypedResults.Problem(detail: ex.Message, statusCode: ex.StatusCode, title: "BadRequest"));
        }

        if (body?.Input is null)
        {
            return (null, ErrorMapping.BadRequest("body must be a JSON object with an 'input' array of numbers"));
        }

        ClassifyBodyOptions o = body.Options ?? new();
        if (o.TimeoutMs is <= 0)
        {
            return (null, ErrorMapping.BadRequest($"timeout_ms must be > 0, got {o.TimeoutMs}"));
        }

        return (new InferenceRequest
        {
            Model = name, Version = version, Input = body.Input, Protocol = "rest",
            Id = http.HttpContext.TraceIdentifier,
            Options = new InferenceOptions
            {
                Policy = o.Policy, Threshold = o.Threshold, StableSteps = o.StableSteps, MinTimesteps = o.MinTimesteps,
                MaxTimesteps = o.MaxTimesteps, Source = o.Source, Seed = o.Seed, Modulation = o.Modulation,
                Priority = o.Priority,
                Deadline = o.TimeoutMs is { } ms ? arrived.AddMilliseconds(ms) : null,
            },
        }, null);
    }

    private static IResult Run(Func<IResult> action)
    {
        try
        {
            return action();
        }
        catch (SnnServeException ex)
        {
            return ErrorMapping.Problem(ex);
        }
    }

    private static object Describe(LoadedModel m, ModelRepository repository) => new
    {
        name = m.Name,
        version = m.Version,
        versions = repository.Versions(m.Name),
        description = m.Manifest.Description,
        labels = m.Labels,
        input = new { shape = m.Manifest.Input!.Shape, dtype = m.Input.Dtype, min = m.Input.Min, max = m.Input.Max },
        platform = m.Platform,
        encoder = m.SinglePass ? null : m.Manifest.Encoder!.Kind,
        scout = m.Manifest.Scout is null ? null : new { mode = m.Manifest.Scout.Mode, strength = m.Manifest.Scout.Strength, provider = m.ScoutProvider },
        exit_policy = new { kind = m.DefaultPolicy.Kind, threshold = m.DefaultPolicy.Threshold, min_timesteps = m.DefaultPolicy.MinTimesteps, max_timesteps = m.DefaultPolicy.MaxTimesteps },
        calibration = m.Manifest.Calibration,
        provenance = m.Manifest.Provenance,
    };

    private static object Answer(InferenceResult r) => new
    {
        model = r.Model,
        version = r.Version,
        label = r.Label,
        label_index = r.LabelIndex,
        probabilities = r.Probabilities,
        confidence = r.Confidence,
        exit_timestep = r.ExitTimestep,
        exit_reason = r.ExitReason.ToWireName(),
        spikes = r.TotalSpikes,
        spikes_per_layer = r.SpikesPerLayer,
        synaptic_ops = r.SynapticOps,
        macs = r.Macs,
        energy_joules = r.EnergyJoules,
        firing_rate = r.FiringRate,
        attention = r.Attention is null ? null : new { height = r.AttentionHeight, width = r.AttentionWidth, values = r.Attention },
        policy = r.Policy,
        threshold = r.Threshold,
        max_timesteps = r.MaxTimesteps,
        seed = r.Seed,
        modulated = r.Modulated,
        timings = r.Timings,
    };
}
