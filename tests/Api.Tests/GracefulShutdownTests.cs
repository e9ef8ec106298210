using System.Net;
using System.Net.Http.Json;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

/// <summary>Stopping the server while requests are in flight: every request it admitted is answered in full.</summary>
public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task StopWithRequestsInFlight_AdmittedRequestsAllAnswered()
    {
        var server = new ServerFixture();
        await server.InitializeAsync();
        float[] input = SyntheticModel.RandomInput(ServerFixture.Model, 1);
        await server.Client.PostOkAsync("/v1/models/synthetic/classify", new { input });
        var requests = Enumerable.Range(0, 64).Select(async i =>
        {
            try
            {
                HttpResponseMessage response = await server.Client.PostAsJsonAsync("/v1/models/synthetic/classify/stream", new { input, options = new { max_timesteps = 10, threshold = 1.0 } });
                string body = await response.Content.ReadAsStringAsync();
                return (Admitted: true, Status: response.StatusCode, Complete: body.Contains("event: result"));
            }
            catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError)
            {
                // Refused at connect: never admitted.
                return (Admitted: false, Status: HttpStatusCode.ServiceUnavailable, Complete: false);
            }
        }).ToList();

        await Task.Delay(20);
        await server.StopServerAsync();
        var results = await Task.WhenAll(requests);
        await server.DisposeAsync();

        Assert.Contains(results, r => r.Admitted);
        Assert.All(results.Where(r => r.Admitted), r =>
        {
            Assert.Equal(HttpStatusCode.OK, r.Status);
            Assert.True(r.Complete, "an admitted stream ended without its result event");
        });
    }
}
