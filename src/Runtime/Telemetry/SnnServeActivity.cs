using System.Diagnostics;

namespace SnnServe.Runtime.Telemetry;

/// <summary>The runtime's <see cref="ActivitySource"/>: one span per request, <c>snnserve.infer</c>.</summary>
public static class SnnServeActivity
{
    /// <summary>Source name (also the meter name).</summary>
    public const string SourceName = "SnnServe";

    /// <summary>The shared source.</summary>
    public static readonly ActivitySource Source = new(SourceName);
}
