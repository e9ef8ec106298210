namespace SnnServe.Api;

/// <summary>
/// gRPC on its own HTTP/2-only endpoint (h2c: Kestrel serves cleartext HTTP/2 only there): the KServe
/// service, <c>grpc.health.v1.Health</c> (SERVING once the models are loaded and warmed up) and server reflection.
/// </summary>
public static class GrpcHostingExtensions
{
    /// <summary>Kestrel endpoint name of the gRPC port (8001 by default).</summary>
    public const string GrpcEndpoint = "Grpc";

    public static WebApplicationBuilder AddSnnGrpc(this WebApplicationBuilder builder)
    {
        // Largest request message; a larger one is RESOURCE_EXHAUSTED. Defaults to 16 MB.
        int maxBytes = builder.Configuration.GetValue("SnnServe:Grpc:MaxReceiveMessageBytes", 16 * 1024 * 1024);
        builder.Services.AddGrpc(options => options.MaxReceiveMessageSize = maxBytes);
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks()
            .AddCheck<ReadinessHealthCheck>("models", tags: ["ready"]);
        return builder;
    }

    public static IEndpointRouteBuilder MapSnnGrpc(this IEndpointRouteBuilder app)
    {
        app.MapGrpcService<KServeGrpcService>();
        app.MapGrpcService<ClassifierGrpcService>();
        app.MapGrpcService<AdminGrpcService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        return app;
    }
}
