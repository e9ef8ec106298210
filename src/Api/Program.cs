using SnnServe.Api;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.AddSnnRuntime();
builder.AddSnnTelemetry();
builder.AddSnnGrpc();

WebApplication app = builder.Build();
app.UseRequestIds();
app.MapDemoPage();
app.MapHealthApi();
app.MapModelsApi();
app.MapAdminApi();
app.MapKServeRestApi();
app.MapSnnGrpc();
app.MapMetrics();
app.Run();

/// <summary>Entry point, visible to functional tests.</summary>
public partial class Program;
