using Grpc.Core;
using SnnServe.Contracts.V1;

using TimestepUpdate = SnnServe.Contracts.V1.TimestepUpdate;
using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Exit;
using SnnServe.Runtime.Repository;

namespace SnnServe.Api;

/// <summary>
/// The own gRPC API <c>snnserve.v1.Classifier</c>: unary classify, server-streaming classify (one
/// message per timestep, the last with the answer) and the model list. The call deadline is the
/// request's anytime deadline; errors map through <see cref="ErrorMapping"/>.
/// </summary>
public sealed class ClassifierGrpcService(IInferenceEngine engine, ModelRepository repository) : Classifier.ClassifierBase
{
    public override async Task<ClassifyResponse> Classify(ClassifyRequest request, ServerCallContext context)
    {
        try
        {
            return Response(await engine.InferAsync(ToRuntime(request, context), context.CancellationToken));
        }
        catch (SnnServeException ex)
        {
            throw ErrorMapping.Rpc(ex);
        }
    }

    public override async Task ClassifyStream(ClassifyRequest request, IServerStreamWriter<TimestepUpdate> responseStream, ServerCallContext context)
    {
        try
        {
            await foreach (var u in engine.StreamAsync(ToRuntime(request, context), context.CancellationToken))
            {
                var update = new TimestepUpdate
                {
                    Timestep = u.Timestep, Label = u.Label, Confidence = u.Confidence, SpikesSoFar = u.SpikesSoFar, WouldExit = u.WouldExit,
                    Probabilities = { u.Probabilities }, LayerSpikes = { u.LayerSpikes },
                };
                if (u.Result is { } result)
                {
                    update.Result = Response(result);
                }

                await responseStream.WriteAsync(update, context.CancellationToken);
            }
        }
        catch (SnnServeException ex)
        {
            throw ErrorMapping.Rpc(ex);
        }
    }

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context) =>
        Task.FromResult(new ListModelsResponse { Models = { repository.Models.Select(Info) } });

    public override Task<ModelInfo> DescribeModel(DescribeModelRequest request, ServerCallContext context)
    {
        try
        {
            return Task.FromResult(Info(repository.Resolve(request.Name, request.Version == 0 ? null : request.Version)));
        }
        catch (SnnServeException ex)
        {
            throw ErrorMapping.Rpc(ex);
        }
    }

    private static ModelInfo Info(LoadedModel m) => new()
    {
        Name = m.Name, Version = m.Version, Platform = m.Platform, Labels = { m.Labels },
        InputShape = { m.InputShape.Channels, m.InputShape.Height, m.InputShape.Width },
        ExitPolicy = m.DefaultPolicy.Kind, ExitThreshold = m.DefaultPolicy.Threshold, MaxTimesteps = m.DefaultPolicy.MaxTimesteps,
        Description = m.Manifest.Description ?? "",
    };

    private static InferenceRequest ToRuntime(ClassifyRequest request, ServerCallContext context)
    {
        ClassifyOptions o = request.Options ?? new ClassifyOptions();
        if (request.Version < 0)
        {
            throw new SnnServeException(ErrorKind.InvalidArgument, $"version must be ≥ 0 (0: latest), got {request.Version}");
        }

        return new InferenceRequest
        {
            Model = request.Model,
            Version = request.Version == 0 ? null : request.Version,
            Input = request.Input.ToArray(),
            Protocol = "grpc",
            Options = new InferenceOptions
            {
                Policy = o.HasPolicy ? o.Policy : null,
                Threshold = o.HasThreshold ? o.Threshold : null,
                StableSteps = o.HasStableSteps ? o.StableSteps : null,
                MinTimesteps = o.HasMinTimesteps ? o.MinTimesteps : null,
                MaxTimesteps = o.HasMaxTimesteps ? o.MaxTimesteps : null,
                Source = o.HasSource ? o.Source : null,
                Seed = o.HasSeed ? o.Seed : null,
                Modulation = o.HasModulation ? o.Modulation : null,
                Priority = o.HasPriority ? o.Priority : null,
                Deadline = context.Deadline == DateTime.MaxValue ? null : new DateTimeOffset(context.Deadline.ToUniversalTime(), TimeSpan.Zero),
            },
        };
    }

    private static ClassifyResponse Response(InferenceResult r) => new()
    {
        Model = r.Model, Version = r.Version, Label = r.Label, LabelIndex = r.LabelIndex, Probabilities = { r.Probabilities },
        Confidence = r.Confidence, ExitTimestep = r.ExitTimestep, ExitReason = r.ExitReason.ToWireName(), Spikes = r.TotalSpikes,
        SpikesPerLayer = { r.SpikesPerLayer.Select(l => new Contracts.V1.LayerSpikes { Layer = l.Layer, Spikes = l.Spikes, Neurons = l.Neurons }) },
        SynapticOps = r.SynapticOps, Macs = r.Macs, EnergyJoules = r.EnergyJoules, FiringRate = r.FiringRate, Policy = r.Policy,
        Threshold = r.Threshold, MaxTimesteps = r.MaxTimesteps, Seed = r.Seed, Modulated = r.Modulated, TotalSeconds = r.Timings.TotalSeconds,
    };
}
