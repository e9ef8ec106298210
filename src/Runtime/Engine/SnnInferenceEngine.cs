using System.Diagnostics;
using System.Runtime.CompilerServices;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Exit;
using SnnServe.Runtime.Kernels;
using SnnServe.Runtime.Repository;
using SnnServe.Runtime.Telemetry;

namespace SnnServe.Runtime.Engine;

/// <summary>
/// The per-request engine: each request runs its own timestep loop on the caller's thread with
/// the event-driven kernel, from the scout to the exit. (The continuous-batching scheduler slots
/// in behind <see cref="IInferenceEngine"/> as another implementation.)
/// </summary>
public sealed class SnnInferenceEngine(
    ModelRepository repository, SnnServeMetrics metrics, ModelLoaderOptions limits, TimeProvider? time = null, INetworkKernel? kernel = null)
    : IInferenceEngine
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly INetworkKernel _kernel = kernel ?? EventDrivenKernel.Instance;

    /// <summary>The kernel every timestep runs on.</summary>
    public INetworkKernel Kernel => _kernel;

    public ValueTask<InferenceResult> InferAsync(InferenceRequest request, CancellationToken cancellationToken = default)
    {
        try
        {
            return ValueTask.FromResult(Infer(request, cancellationToken));
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<InferenceResult>(ex);
        }
    }

    /// <summary>Synchronous form of <see cref="InferAsync"/>.</summary>
    public InferenceResult Infer(InferenceRequest request, CancellationToken cancellationToken = default)
    {
        long started = _time.GetTimestamp();
        if (InferSinglePass(request, started) is { } singlePass)
        {
            return singlePass;
        }

        InferenceRun run = StartRun(request, started);
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (run.DeadlinePassed)
                {
                    return Succeed(run, run.Finish(ExitReason.Deadline));
                }

                ExitDecision decision = run.Step();
                metrics.Stepped(run.Model.Name, run.Model.Version, 1);
                if (decision.Exit)
                {
                    return Succeed(run, run.Finish(decision.Reason));
                }
            }
        }
        catch (Exception ex)
        {
            Failed(run, ex);
            throw;
        }
        finally
        {
            End(run);
        }
    }

    public async IAsyncEnumerable<TimestepUpdate> StreamAsync(InferenceRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long started = _time.GetTimestamp();
        if (InferSinglePass(request, started) is { } singlePass)
        {
            yield return new TimestepUpdate
            {
                Timestep = 1, Probabilities = singlePass.Probabilities, LabelIndex = singlePass.LabelIndex, Label = singlePass.Label,
                Confidence = singlePass.Confidence, LayerSpikes = [], SpikesSoFar = 0, WouldExit = true, Result = singlePass,
            };
            yield break;
        }

        InferenceRun run = StartRun(request, started);
        try
        {
            while (true)
            {
                TimestepUpdate update;
                try
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    update = NextUpdate(run);
                }
                catch (Exception ex)
                {
                    Failed(run, ex);
                    throw;
                }

                yield return update;
                if (update.IsFinal)
                {
                    yield break;
                }

                await Task.Yield();
            }
        }
        finally
        {
            End(run);
        }
    }

    private TimestepUpdate NextUpdate(InferenceRun run)
    {
        if (run.DeadlinePassed)
        {
            InferenceResult atDeadline = Succeed(run, run.Finish(ExitReason.Deadline));
            return Update(run, new long[run.State.SpikesPerLayer.Length], false, atDeadline);
        }

        long[] before = run.State.SpikesPerLayer.ToArray();
        ExitDecision decision = run.Step();
        metrics.Stepped(run.Model.Name, run.Model.Version, 1);
        var perLayer = new long[before.Length];
        for (int l = 0; l < perLayer.Length; l++)
        {
            perLayer[l] = run.State.SpikesPerLayer[l] - before[l];
        }

        InferenceResult? result = decision.Exit ? Succeed(run, run.Finish(decision.Reason)) : null;
        return Update(run, perLayer, decision.PolicySatisfied, result);
    }

    private static TimestepUpdate Update(InferenceRun run, long[] layerSpikes, bool wouldExit, InferenceResult? result)
    {
        float[] probabilities = run.Probabilities.ToArray();
        int label = Probabilities.ArgMax(probabilities);
        return new TimestepUpdate
        {
            Timestep = run.State.Timestep,
            Probabilities = probabilities,
            LabelIndex = label,
            Label = run.Model.Labels[label],
            Confidence = probabilities[label],
            LayerSpikes = layerSpikes,
            SpikesSoFar = run.State.TotalSpikes,
            WouldExit = wouldExit,
            Result = result,
        };
    }

    /// <summary>
    /// Runs a request on an <c>onnx</c>-platform model (a single-pass classifier: one "timestep",
    /// no spikes, MACs as declared by its manifest), or returns null when the model is an SNN.
    /// </summary>
    private InferenceResult? InferSinglePass(InferenceRequest request, long started)
    {
        LoadedModel model;
        try
        {
            model = repository.Resolve(request.Model, request.Version);
        }
        catch (Exception ex)
        {
            metrics.RequestFailed(request.Model, request.Version, request.Protocol, Outcome(ex), _time.GetElapsedTime(started).TotalSeconds);
            throw;
        }

        if (!model.SinglePass)
        {
            return null;
        }

        if (!model.TryAcquire())
        {
            throw new SnnServeException(ErrorKind.Unavailable, $"model '{request.Model}' is being reloaded; retry");
        }

        metrics.RequestStarted(model.Name, model.Version, request.Protocol);
        using Activity? activity = SnnServeActivity.Source.StartActivity("snnserve.infer");
        try
        {
            InferenceRun.ValidateInput(model, request.Input.Span);
            InputSpec spec = model.Input;
            float[] input = request.Input.ToArray();
            for (int i = 0; i < input.Length; i++)
            {
                input[i] = (input[i] - spec.Mean) / spec.Std;
            }

            long t0 = _time.GetTimestamp();
            var logits = new float[model.Classes];
            model.Classifier!.Run(input, logits);
            var probabilities = new float[model.Classes];
            Probabilities.Softmax(logits, 1f, probabilities);
            double step = _time.GetElapsedTime(t0).TotalSeconds;
            int label = Probabilities.ArgMax(probabilities);
            long macs = model.Manifest.Macs ?? 0;
            var result = new InferenceResult
            {
                Model = model.Name, Version = model.Version, LabelIndex = label, Label = model.Labels[label],
                Probabilities = probabilities, ExitTimestep = 1, ExitReason = ExitReason.MaxTimesteps, Confidence = probabilities[label],
                SpikesPerLayer = [], TotalSpikes = 0, SynapticOps = 0, Macs = macs, EnergyJoules = EnergyModel.Joules(macs, 0),
                FiringRate = 0, Timings = new StageTimings(0, 0, step, _time.GetElapsedTime(started).TotalSeconds),
                Policy = "single_pass", Threshold = 1f, MaxTimesteps = 1, Seed = 0, Modulated = false,
                ScoutProvider = model.Classifier.ExecutionProvider,
            };
            activity?.SetTag("snnserve.model", model.Name);
            activity?.SetTag("snnserve.exit_timestep", 1);
            activity?.SetTag("snnserve.confidence", result.Confidence);
            activity?.SetTag("snnserve.spikes", 0L);
            metrics.RequestSucceeded(result, request.Protocol, result.Timings.TotalSeconds);
            return result;
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            metrics.RequestFailed(model.Name, model.Version, request.Protocol, Outcome(ex), _time.GetElapsedTime(started).TotalSeconds);
            throw;
        }
        finally
        {
            metrics.RequestEnded(model.Name, model.Version, request.Protocol);
            model.Release();
        }
    }

    private InferenceRun StartRun(InferenceRequest request, long started)
    {
        try
        {
            InferenceRun run = InferenceRun.Start(repository, _kernel, _time, limits.MaxTimesteps, request);
            metrics.RequestStarted(run.Model.Name, run.Model.Version, request.Protocol);
            return run;
        }
        catch (Exception ex)
        {
            metrics.RequestFailed(request.Model, request.Version, request.Protocol, Outcome(ex), _time.GetElapsedTime(started).TotalSeconds);
            throw;
        }
    }

    private InferenceResult Succeed(InferenceRun run, InferenceResult result)
    {
        metrics.RequestSucceeded(result, run.Request.Protocol, run.ElapsedSeconds);
        return result;
    }

    private void Failed(InferenceRun run, Exception ex)
    {
        run.Fail(ex.Message);
        metrics.RequestFailed(run.Model.Name, run.Model.Version, run.Request.Protocol, Outcome(ex), run.ElapsedSeconds);
    }

    private void End(InferenceRun run)
    {
        metrics.RequestEnded(run.Model.Name, run.Model.Version, run.Request.Protocol);
        run.Dispose();
    }

    internal static string Outcome(Exception ex) => ex switch
    {
        SnnServeException { Kind: var kind } => kind switch
        {
            ErrorKind.InvalidArgument => "invalid_argument",
            ErrorKind.NotFound => "not_found",
            ErrorKind.ResourceExhausted => "resource_exhausted",
            ErrorKind.Unavailable => "unavailable",
            ErrorKind.DeadlineExceeded => "deadline_exceeded",
            ErrorKind.InvalidModel => "invalid_model",
            _ => "internal",
        },
        OperationCanceledException => "cancelled",
        _ => "internal",
    };
}
