namespace SnnServe.Runtime.Engine;

/// <summary>One classification request as the engine sees it, whatever transport it came by.</summary>
public sealed record InferenceRequest
{
    /// <summary>Model name.</summary>
    public required string Model { get; init; }

    /// <summary>Model version; null for the highest live version.</summary>
    public long? Version { get; init; }

    /// <summary>The input tensor, channel-first [C, H, W], float32.</summary>
    public required ReadOnlyMemory<float> Input { get; init; }

    public InferenceOptions Options { get; init; } = new();

    /// <summary>Transport name for metric tags, e.g. <c>grpc</c>, <c>rest</c>, <c>kserve-grpc</c>. Defaults to <c>inproc</c>.</summary>
    public string Protocol { get; init; } = "inproc";

    /// <summary>Client's request id, echoed in traces.</summary>
    public string? Id { get; init; }
}
