using System.Net.Http.Json;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

public sealed class RequestIdTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task ClientRequestId_EchoedAndUsedAsTraceId_OtherwiseGenerated()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models/synthetic/classify") { Content = JsonContent.Create(new { input = SyntheticModel.RandomInput(ServerFixture.Model, 2) }) };
        request.Headers.Add("X-Request-Id", "client-abc-123");
        HttpResponseMessage response = await server.Client.SendAsync(request);
        Assert.Equal("client-abc-123", Assert.Single(response.Headers.GetValues("X-Request-Id")));

        HttpResponseMessage generated = await server.Client.GetAsync("/v2/health/live");
        Assert.False(string.IsNullOrEmpty(Assert.Single(generated.Headers.GetValues("X-Request-Id"))));

        var hostile = new HttpRequestMessage(HttpMethod.Get, "/v2/health/live");
        hostile.Headers.TryAddWithoutValidation("X-Request-Id", new string('x', 500));
        Assert.NotEqual(new string('x', 500), Assert.Single((await server.Client.SendAsync(hostile)).Headers.GetValues("X-Request-Id")));
    }
}
