namespace SnnServe.Api;

/// <summary>gRPC on its own HTTP/2-only endpoint (h2c): Kestrel serves cleartext HTTP/2 only there.</summary>
public static class GrpcHostingExtensions
{
    /// <summary>Kestrel endpoint name of the gRPC port (8001 by default).</summary>
    public const string GrpcEndpoint = "Grpc";

    public static WebApplicationBuilder AddSnnGrpc(this WebApplicationBuilder builder)
    {
        builder.Services.AddGrpc(options => options.MaxReceiveMessageSize = 64 * 1024 * 1024);
        return builder;
    }

    public static IEndpointRouteBuilder MapSnnGrpc(this IEndpointRouteBuilder app)
    {
        app.MapGrpcService<KServeGrpcService>();
        return app;
    }
}
