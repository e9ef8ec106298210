using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

/// <summary>
/// The real host (the same registration and routes as Program.cs) on Kestrel, bound to a free
/// loopback port, over a temporary repository holding one synthetic model.
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _models = new("snnserve-api");
    private WebApplication? _app;

    public static readonly SyntheticModelOptions Model = new() { ScoutMode = "rate", Encoder = "rate", Threshold = 0.95f, MaxTimesteps = 10 };

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The model repository folder (tests may add versions to it).</summary>
    public string ModelsPath => _models.Path;

    /// <summary>Extra configuration of a derived fixture, applied before the host is built.</summary>
    protected virtual void Configure(WebApplicationBuilder builder)
    {
    }

    /// <summary>The running host's services.</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("the server is not started");

    /// <summary>Port of the gRPC (h2c) endpoint.</summary>
    public int GrpcPort { get; private set; }

    /// <summary>Port of the metrics endpoint (Prometheus text at /metrics).</summary>
    public int MetricsPort { get; private set; }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task InitializeAsync()
    {
        SyntheticModel.Write(Path.Combine(_models.Path, "synthetic", "1"), Model);
        // The gRPC and metrics ports are chosen free and bound a moment later; anything else on the
        // machine (another test's outgoing connection) can take one in between: start again then.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await StartAsync();
                break;
            }
            catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException && attempt < 5)
            {
                await _app!.DisposeAsync();
                _app = null;
            }
        }
    }

    private async Task StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration["Kestrel:Endpoints:Rest:Url"] = "http://127.0.0.1:0";
        builder.Configuration["Kestrel:Limits:MaxRequestBodySize"] = (2 * 1024 * 1024).ToString();
        builder.Configuration["SnnServe:Grpc:MaxReceiveMessageBytes"] = (2 * 1024 * 1024).ToString();
        MetricsPort = FreePort();
        GrpcPort = FreePort();
        builder.Configuration["Kestrel:Endpoints:Grpc:Url"] = $"http://127.0.0.1:{GrpcPort}";
        builder.Configuration["Kestrel:Endpoints:Grpc:Protocols"] = "Http2";
        builder.Configuration["Kestrel:Endpoints:Metrics:Url"] = $"http://127.0.0.1:{MetricsPort}";
        builder.Configuration["SnnServe:Models:RepositoryPath"] = _models.Path;
        builder.Configuration["SnnServe:Models:PreferCuda"] = "false";
        Configure(builder);
        builder.AddSnnRuntime();
        builder.AddSnnTelemetry();
        builder.AddSnnGrpc();
        _app = builder.Build();
        _app.UseRequestIds();
        _app.MapDemoPage();
        _app.MapHealthApi();
        _app.MapModelsApi();
        _app.MapAdminApi();
        _app.MapKServeRestApi();
        _app.MapSnnGrpc();
        _app.MapMetrics();
        await _app.StartAsync();
        string address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
            .First(a => new Uri(a).Port != MetricsPort && new Uri(a).Port != GrpcPort);
        Client = new HttpClient { BaseAddress = new Uri(address) };
    }

    /// <summary>Stops the host (graceful shutdown) without touching the client.</summary>
    public Task StopServerAsync() => _app!.StopAsync();

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _models.Dispose();
    }
}
