using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

/// <summary>
/// With OTEL_EXPORTER_OTLP_ENDPOINT set, traces and metrics are posted to the collector (here a
/// loopback listener); without it no tracer is registered, so no span is recorded per request.
/// </summary>
public sealed class OtlpExportTests
{
    private sealed class OtlpServerFixture(string endpoint) : ServerFixture
    {
        protected override void Configure(WebApplicationBuilder builder)
        {
            builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;
            builder.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        }
    }

    [Fact]
    public async Task OtlpEndpointSet_TracesAndMetricsPostedToCollector()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var paths = new List<string>();
        var receiving = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await collector.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                lock (paths)
                {
                    paths.Add(context.Request.Url!.AbsolutePath);
                }

                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        var server = new OtlpServerFixture($"http://127.0.0.1:{port}");
        await server.InitializeAsync();
        (await server.Client.PostAsJsonAsync("/v1/models/synthetic/classify", new { input = SyntheticModel.RandomInput(ServerFixture.Model, 1) })).EnsureSuccessStatusCode();
        await server.DisposeAsync(); // shutting down flushes both exporters

        collector.Stop();
        await receiving;
        Assert.Contains("/v1/traces", paths);
        Assert.Contains("/v1/metrics", paths);
    }

    [Fact]
    public async Task NoOtlpEndpoint_NoTracerProvider_MetricsStillServed()
    {
        var server = new ServerFixture();
        await server.InitializeAsync();
        try
        {
            Assert.Null(server.Services.GetService(typeof(OpenTelemetry.Trace.TracerProvider)));
            Assert.NotNull(server.Services.GetService(typeof(OpenTelemetry.Metrics.MeterProvider)));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task OtlpEndpointSet_TracerProviderRegistered()
    {
        var server = new OtlpServerFixture("http://127.0.0.1:9");
        await server.InitializeAsync();
        try
        {
            Assert.NotNull(server.Services.GetService(typeof(OpenTelemetry.Trace.TracerProvider)));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
