namespace SnnServe.Api;

/// <summary>KServe v2 health routes: liveness (the process answers) and readiness (models loaded and warmed up).</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder health = app.MapGroup("/v2/health");
        health.MapGet("/live", () => TypedResults.Ok(new { live = true }));
        health.MapGet("/ready", (ServerReadiness readiness) => readiness.IsReady
            ? Results.Ok(new { ready = true })
            : Results.Json(new { ready = false }, statusCode: StatusCodes.Status503ServiceUnavailable));
        return app;
    }
}
