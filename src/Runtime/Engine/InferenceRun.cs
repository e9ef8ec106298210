using System.Diagnostics;
using SnnServe.Runtime.Encoders;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Exit;
using SnnServe.Runtime.Kernels;
using SnnServe.Runtime.Network;
using SnnServe.Runtime.Repository;
using SnnServe.Runtime.Telemetry;

namespace SnnServe.Runtime.Engine;

/// <summary>
/// One request in progress: its model lease, pooled buffers, effective policy and clocks.
/// <see cref="Start"/> validates, runs the scout and prepares the encoder; <see cref="Step"/> runs
/// one timestep and evaluates the exit policy; <see cref="Finish"/> builds the answer.
/// </summary>
internal sealed class InferenceRun : IDisposable
{
    private readonly LoadedModel _model;
    private readonly RequestContext _context;
    private readonly INetworkKernel _kernel;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly DateTimeOffset? _deadline;
    private readonly Activity? _activity;
    private ExitProgress _progress = ExitProgress.Start;
    private double _scoutSeconds;
    private double _encodeSeconds;
    private double _stepSeconds;
    private bool _disposed;

    private InferenceRun(LoadedModel model, RequestContext context, INetworkKernel kernel, TimeProvider time, long started,
        ExitPolicy policy, ulong seed, bool modulated, InferenceRequest request)
    {
        _model = model;
        _context = context;
        _kernel = kernel;
        _time = time;
        _started = started;
        Policy = policy;
        Seed = seed;
        Modulated = modulated;
        Request = request;
        _deadline = request.Options.Deadline;
        _activity = SnnServeActivity.Source.StartActivity("snnserve.infer");
        if (_activity is not null)
        {
            _activity.SetTag("snnserve.model", model.Name);
            _activity.SetTag("snnserve.version", model.Version);
            _activity.SetTag("snnserve.protocol", request.Protocol);
            if (request.Id is not null)
            {
                _activity.SetTag("snnserve.request_id", request.Id);
            }
        }
    }

    public LoadedModel Model => _model;
    public ExitPolicy Policy { get; }
    public ulong Seed { get; }
    public bool Modulated { get; }
    public InferenceRequest Request { get; }
    public NetworkState State => _context.State;
    public ReadOnlySpan<float> Probabilities => _context.Probabilities;

    /// <summary>Resolves the model, validates the request, takes a lease and prepares the first timestep.</summary>
    /// <remarks>
    /// With <paramref name="prepare"/> false the scout and encoder are left to the caller
    /// (<see cref="Normalise"/>, a batched scout into <see cref="Attention"/>, <see cref="PrepareEncoder"/>).
    /// </remarks>
    public static InferenceRun Start(ModelRepository repository, INetworkKernel kernel, TimeProvider time, int serverMaxTimesteps, InferenceRequest request,
        bool prepare = true)
    {
        long started = time.GetTimestamp();
        LoadedModel model = repository.Resolve(request.Model, request.Version);
        if (!model.TryAcquire())
        {
            // Replaced between resolve and acquire: the replacement is live now.
            model = repository.Resolve(request.Model, request.Version);
            if (!model.TryAcquire())
            {
                throw new SnnServeException(ErrorKind.Unavailable, $"model '{request.Model}' is being reloaded; retry");
            }
        }

        RequestContext? context = null;
        try
        {
            ValidateInput(model, request.Input.Span);
            ExitPolicy policy = ResolvePolicy(model, request.Options, serverMaxTimesteps);
            ulong seed = request.Options.Seed ?? model.EncoderSettings.DefaultSeed;
            bool modulated = model.Scout is not null && request.Options.Modulation != false;
            context = model.RentContext();
            var run = new InferenceRun(model, context, kernel, time, started, policy, seed, modulated, request);
            if (prepare)
            {
                run.Prepare();
            }

            return run;
        }
        catch
        {
            if (context is not null)
            {
                model.ReturnContext(context);
            }

            model.Release();
            throw;
        }
    }

    /// <summary>True when the request has a deadline and it has passed.</summary>
    public bool DeadlinePassed => _deadline is { } deadline && _time.GetUtcNow() >= deadline;

    /// <summary>Runs the next timestep and evaluates the exit policy on its readout.</summary>
    public ExitDecision Step()
    {
        long t0 = _time.GetTimestamp();
        Encode();
        _kernel.Step(_model.Network, _context.State);
        return Evaluate(_time.GetElapsedTime(t0).TotalSeconds);
    }

    /// <summary>Encodes the next timestep's input into <see cref="State"/> (the first half of <see cref="Step"/>).</summary>
    public void Encode() => _context.Encoder.Encode(_context.State);

    /// <summary>
    /// Evaluates the exit policy on the readout of the timestep just run (the second half of
    /// <see cref="Step"/>); <paramref name="stepSeconds"/> is added to the request's step time.
    /// </summary>
    public ExitDecision Evaluate(double stepSeconds)
    {
        long t0 = _time.GetTimestamp();
        NetworkState state = _context.State;
        ReadOnlySpan<float> logits = Policy.Source == ReadoutSource.Mean ? state.ReadoutSum : state.Readout;
        float scale = Policy.Source == ReadoutSource.Mean ? 1f / state.Timestep : 1f;
        Exit.Probabilities.Softmax(logits, scale, _context.Probabilities);
        ExitDecision decision = Policy.Evaluate(_context.Probabilities, state.Timestep, ref _progress);
        _stepSeconds += stepSeconds + _time.GetElapsedTime(t0).TotalSeconds;
        return decision;
    }

    /// <summary>Builds the answer at the current timestep. Throws DeadlineExceeded when no timestep has run.</summary>
    public InferenceResult Finish(ExitReason reason)
    {
        NetworkState state = _context.State;
        if (state.Timestep == 0)
        {
            throw new SnnServeException(ErrorKind.DeadlineExceeded, "deadline passed before the first timestep could run");
        }

        SnnNetwork network = _model.Network;
        var layers = new LayerSpikes[network.Hidden.Count];
        for (int l = 0; l < layers.Length; l++)
        {
            NetworkLayer layer = network.Hidden[l];
            layers[l] = new LayerSpikes(layer.Name, state.SpikesPerLayer[l], layer is SpikingLayer ? layer.Output.Size : 0);
        }

        float[] probabilities = _context.Probabilities.ToArray();
        int label = Exit.Probabilities.ArgMax(probabilities);
        long macs = state.Macs + (Modulated ? _model.Manifest.Scout!.Macs : 0);
        double total = _time.GetElapsedTime(_started).TotalSeconds;
        var result = new InferenceResult
        {
            Model = _model.Name,
            Version = _model.Version,
            LabelIndex = label,
            Label = _model.Labels[label],
            Probabilities = probabilities,
            ExitTimestep = state.Timestep,
            ExitReason = reason,
            Confidence = probabilities[label],
            SpikesPerLayer = layers,
            TotalSpikes = state.TotalSpikes,
            SynapticOps = state.SynapticOps,
            Macs = macs,
            EnergyJoules = EnergyModel.Joules(macs, state.SynapticOps),
            FiringRate = network.SpikingNeuronCount == 0 ? 0 : (double)state.TotalSpikes / ((double)network.SpikingNeuronCount * state.Timestep),
            Timings = new StageTimings(_scoutSeconds, _encodeSeconds, _stepSeconds, total),
            Policy = Policy.Kind,
            Threshold = Policy.Threshold,
            MaxTimesteps = Policy.MaxTimesteps,
            Seed = Seed,
            Modulated = Modulated,
            ScoutProvider = _model.ScoutProvider,
            Attention = Modulated ? _context.Attention.ToArray() : null,
            AttentionHeight = Modulated ? _model.Scout!.MapHeight : 0,
            AttentionWidth = Modulated ? _model.Scout!.MapWidth : 0,
        };
        if (_activity is not null)
        {
            _activity.SetTag("snnserve.exit_timestep", result.ExitTimestep);
            _activity.SetTag("snnserve.exit_reason", reason.ToWireName());
            _activity.SetTag("snnserve.confidence", result.Confidence);
            _activity.SetTag("snnserve.spikes", result.TotalSpikes);
            _activity.SetTag("snnserve.label", result.Label);
        }

        return result;
    }

    /// <summary>Seconds since the request started.</summary>
    public double ElapsedSeconds => _time.GetElapsedTime(_started).TotalSeconds;

    /// <summary>Marks the span as failed.</summary>
    public void Fail(string error) => _activity?.SetStatus(ActivityStatusCode.Error, error);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _activity?.Dispose();
        _model.ReturnContext(_context);
        _model.Release();
    }

    private void Prepare()
    {
        long t0 = _time.GetTimestamp();
        Normalise();
        if (Modulated)
        {
            _model.Scout!.Run(_context.NormalisedInput, _context.Attention);
        }

        PrepareEncoder(_time.GetElapsedTime(t0).TotalSeconds);
    }

    /// <summary>The normalised input (x − mean) / std, channel-first, once <see cref="Normalise"/> has run: what the scout sees.</summary>
    public float[] NormalisedInput => _context.NormalisedInput;

    /// <summary>Where the scout's h × w attention map goes before <see cref="PrepareEncoder"/>.</summary>
    public float[] Attention => _context.Attention;

    /// <summary>Writes (x − mean) / std of the request's input into <see cref="NormalisedInput"/>.</summary>
    public void Normalise()
    {
        InputSpec input = _model.Input;
        ReadOnlySpan<float> raw = Request.Input.Span;
        float[] normalised = _context.NormalisedInput;
        float inverseStd = 1f / input.Std;
        for (int i = 0; i < normalised.Length; i++)
        {
            normalised[i] = (raw[i] - input.Mean) * inverseStd;
        }
    }

    /// <summary>
    /// Prepares the encoder from the raw input and, when <see cref="Modulated"/>, the attention map
    /// already in <see cref="Attention"/>; <paramref name="scoutSeconds"/> is the time the scout took.
    /// </summary>
    public void PrepareEncoder(double scoutSeconds)
    {
        long t1 = _time.GetTimestamp();
        ReadOnlySpan<float> attention = default;
        int mapHeight = 0, mapWidth = 0;
        if (Modulated)
        {
            attention = _context.Attention;
            mapHeight = _model.Scout!.MapHeight;
            mapWidth = _model.Scout.MapWidth;
            _scoutSeconds = scoutSeconds;
        }

        ScoutSpec? scout = _model.Manifest.Scout;
        InputSpec input = _model.Input;
        _context.Encoder.Prepare(_context.State, Request.Input.Span, _model.Encoder, _model.EncoderSettings.Gain, input.Mean, input.Std,
            attention, mapHeight, mapWidth, _model.Modulation, scout?.Strength ?? 0f, Seed);
        _encodeSeconds = _time.GetElapsedTime(t1).TotalSeconds;
    }

    internal static void ValidateInput(LoadedModel model, ReadOnlySpan<float> input)
    {
        Shape3 shape = model.InputShape;
        if (input.Length != shape.Size)
        {
            throw new SnnServeException(ErrorKind.InvalidArgument,
                $"input has {input.Length} elements; model '{model.Name}' expects shape {shape} ({shape.Size} elements)");
        }

        InputSpec spec = model.Input;
        for (int i = 0; i < input.Length; i++)
        {
            float v = input[i];
            if (!float.IsFinite(v))
            {
                throw new SnnServeException(ErrorKind.InvalidArgument, $"input[{i}] is {v}; inputs must be finite");
            }

            if (v < spec.Min || v > spec.Max)
            {
                throw new SnnServeException(ErrorKind.InvalidArgument, $"input[{i}] = {v} lies outside the model's range [{spec.Min}, {spec.Max}]");
            }
        }
    }

    private static ExitPolicy ResolvePolicy(LoadedModel model, InferenceOptions options, int serverMaxTimesteps)
    {
        ExitPolicy fallback = model.DefaultPolicy;
        bool unchanged = options.Policy is null && options.Threshold is null && options.StableSteps is null
            && options.MinTimesteps is null && options.MaxTimesteps is null && options.Source is null;
        if (unchanged)
        {
            return fallback;
        }

        ExitPolicySpec defaults = model.Manifest.ExitPolicy!;
        string kind = options.Policy ?? fallback.Kind;
        float threshold = options.Threshold ?? (kind == fallback.Kind ? fallback.Threshold : DefaultThreshold(kind));
        int max = options.MaxTimesteps ?? fallback.MaxTimesteps;
        if (max > serverMaxTimesteps)
        {
            throw new SnnServeException(ErrorKind.InvalidArgument, $"max_timesteps {max} exceeds the server's limit of {serverMaxTimesteps}");
        }

        int min = options.MinTimesteps ?? Math.Min(fallback.MinTimesteps, max);
        try
        {
            return ExitPolicyFactory.Create(kind, threshold, options.StableSteps ?? defaults.StableSteps, min, max,
                options.Source is null ? fallback.Source : ExitPolicyFactory.ParseSource(options.Source));
        }
        catch (ArgumentException ex)
        {
            throw new SnnServeException(ErrorKind.InvalidArgument, ex.Message, ex);
        }
    }

    // A sensible threshold when a request switches policy kind without giving one.
    private static float DefaultThreshold(string kind) => kind switch
    {
        "margin" => 0.8f,
        "entropy" => 0.3f,
        _ => 0.9f,
    };
}
