namespace SnnServe.Runtime.Engine;

/// <summary>
/// What transports call. Errors are <see cref="Errors.SnnServeException"/>s whose
/// <see cref="Errors.SnnServeException.Kind"/> the transport maps to a status; cancellation is an
/// <see cref="OperationCanceledException"/>.
/// </summary>
public interface IInferenceEngine
{
    /// <summary>Runs a request to its exit and returns the answer.</summary>
    ValueTask<InferenceResult> InferAsync(InferenceRequest request, CancellationToken cancellationToken = default);

    /// <summary>Runs a request, yielding one update per timestep; the last one carries the answer.</summary>
    IAsyncEnumerable<TimestepUpdate> StreamAsync(InferenceRequest request, CancellationToken cancellationToken = default);
}
