namespace SnnServe.Api;

/// <summary>Readiness: true once every model found at start has loaded and answered one warm-up inference.</summary>
public sealed class ServerReadiness
{
    private volatile bool _ready;

    public bool IsReady => _ready;

    internal void MarkReady() => _ready = true;
}
