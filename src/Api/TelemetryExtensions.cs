using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SnnServe.Runtime.Telemetry;

namespace SnnServe.Api;

/// <summary>
/// OpenTelemetry, wired once: the runtime's meter and activity source (contract 4) plus ASP.NET
/// Core's own, exported in Prometheus text at <c>/metrics</c> on the metrics endpoint (port 8002), and
/// over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>Kestrel endpoint name whose port serves <c>/metrics</c>.</summary>
    public const string MetricsEndpoint = "Metrics";

    public static WebApplicationBuilder AddSnnTelemetry(this WebApplicationBuilder builder)
    {
        var otel = builder.Services.AddOpenTelemetry();
        otel.WithMetrics(metrics => metrics
            .AddMeter(SnnServeMetrics.MeterName)
            .AddAspNetCoreInstrumentation()
            .AddPrometheusExporter());
        if (OtlpConfigured(builder.Configuration))
        {
            // Metrics and traces also go to an OTLP collector (endpoint, protocol and headers from the
            // standard OTEL_EXPORTER_OTLP_* settings). Spans are recorded only then: with nowhere to
            // send them, recording one per request (ASP.NET Core's and snnserve.infer) is pure cost.
            otel.WithTracing(tracing => tracing
                    .AddSource(SnnServeActivity.SourceName)
                    .AddAspNetCoreInstrumentation())
                .UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>True when an OTLP endpoint is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), i.e. when spans are recorded and exported.</summary>
    public static bool OtlpConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    /// <summary>
    /// Serves the Prometheus scrape at <c>/metrics</c> on the metrics port. That port serves only
    /// <c>/metrics</c> and the <c>/v2/health/*</c> probes (404 for everything else), and the API
    /// ports do not serve <c>/metrics</c>.
    /// </summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        string url = app.Configuration[$"Kestrel:Endpoints:{MetricsEndpoint}:Url"] ?? "http://0.0.0.0:8002";
        int port = new Uri(url.Replace("0.0.0.0", "localhost", StringComparison.Ordinal).Replace("*", "localhost", StringComparison.Ordinal)).Port;
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
            context.Connection.LocalPort == port && context.Request.Path == "/metrics");
        app.Use((context, next) =>
        {
            bool metricsPort = context.Connection.LocalPort == port;
            if (metricsPort && !context.Request.Path.StartsWithSegments("/v2/health", StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
        return app;
    }
}
