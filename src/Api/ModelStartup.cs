using SnnServe.Runtime.Engine;
using SnnServe.Runtime.Errors;
using SnnServe.Runtime.Repository;

namespace SnnServe.Api;

/// <summary>Loads the model repository at start, warms every model up with one inference, then marks the server ready.</summary>
internal sealed partial class ModelStartup(
    ModelRepository repository, SnnInferenceEngine engine, ServerReadiness readiness, ILogger<ModelStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ModelLoadReport report;
        try
        {
            report = repository.LoadAll();
        }
        catch (SnnServeException ex)
        {
            Log.RepositoryMissing(logger, ex.Message);
            return Task.CompletedTask;
        }

        foreach (LoadedModel model in report.Loaded)
        {
            var warmUp = new InferenceRequest
            {
                Model = model.Name, Version = model.Version, Protocol = "warmup",
                Input = new float[model.InputShape.Size].AsMemory(),
                Options = new InferenceOptions { MaxTimesteps = model.DefaultPolicy.MaxTimesteps },
            };
            InferenceResult result = engine.Infer(warmUp, cancellationToken);
            Log.WarmedUp(logger, model.Name, model.Version, result.ExitTimestep, result.Timings.TotalSeconds * 1000);
        }

        if (report.Loaded.Count == 0)
        {
            Log.NoModels(logger, repository.Root);
            return Task.CompletedTask;
        }

        if (report.Failures.Count == 0)
        {
            readiness.MarkReady();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Information, "Warm-up of {Model} v{Version}: {Timesteps} timesteps in {Milliseconds:F2} ms")]
        public static partial void WarmedUp(ILogger logger, string model, long version, int timesteps, double milliseconds);

        [LoggerMessage(2002, LogLevel.Warning, "No model loaded from {Root}: the server stays not-ready")]
        public static partial void NoModels(ILogger logger, string root);

        [LoggerMessage(2003, LogLevel.Error, "Model repository unavailable: {Error}")]
        public static partial void RepositoryMissing(ILogger logger, string error);
    }
}
