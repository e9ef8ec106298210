using System.Text.Json.Serialization;

namespace SnnServe.Api;

/// <summary>Body of <c>POST /v1/models/{name}/classify</c>.</summary>
public sealed class ClassifyBody
{
    /// <summary>The input tensor, channel-first, flattened.</summary>
    public float[]? Input { get; set; }

    public ClassifyBodyOptions? Options { get; set; }
}

/// <summary>Per-request options (all optional).</summary>
public sealed class ClassifyBodyOptions
{
    public string? Policy { get; set; }
    public float? Threshold { get; set; }
    public int? StableSteps { get; set; }
    public int? MinTimesteps { get; set; }
    public int? MaxTimesteps { get; set; }
    public string? Source { get; set; }
    public ulong? Seed { get; set; }
    public bool? Modulation { get; set; }

    /// <summary>Queue priority: 0 high, 1 normal (the default), 2 low.</summary>
    public int? Priority { get; set; }

    /// <summary>Anytime deadline in milliseconds from arrival.</summary>
    [JsonPropertyName("timeout_ms")]
    public int? TimeoutMs { get; set; }
}
