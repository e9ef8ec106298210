using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SnnServe.Api;

/// <summary>Healthy once every model found at start has loaded and answered a warm-up inference.</summary>
internal sealed class ReadinessHealthCheck(ServerReadiness readiness) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(readiness.IsReady
            ? HealthCheckResult.Healthy("models loaded and warmed up")
            : HealthCheckResult.Unhealthy("models not loaded yet"));
}
