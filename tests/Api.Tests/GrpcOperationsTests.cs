using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;

namespace SnnServe.Api.Tests;

public sealed class GrpcOperationsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private GrpcChannel Channel() => GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}");

    [Fact]
    public async Task Health_ServingAfterWarmUp()
    {
        var health = new Health.HealthClient(Channel());
        HealthCheckResponse response = await health.CheckAsync(new HealthCheckRequest { Service = "" });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Reflection_ListsTheKServeService()
    {
        var reflection = new ServerReflection.ServerReflectionClient(Channel());
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        string[] services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToArray();
        Assert.Contains("inference.GRPCInferenceService", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }
}
