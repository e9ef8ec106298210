using System.Net;
using System.Net.Http.Json;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

/// <summary>
/// Stopping the server while streams are in flight: every request the server admitted (it sent
/// response headers) is answered in full. A request that fails before any response header — a
/// refused connection, or an idle keep-alive connection the server closed as it stopped — was
/// never admitted.
/// </summary>
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
            HttpResponseMessage response;
            try
            {
                var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models/synthetic/classify/stream")
                {
                    Content = JsonContent.Create(new { input, options = new { max_timesteps = 10, threshold = 1.0 } }),
                };
                response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            }
            catch (HttpRequestException)
            {
                return (Admitted: false, Status: HttpStatusCode.ServiceUnavailable, Complete: false);
            }

            // Admitted: from here on, any failure is a lost request and fails the test.
            string body = await response.Content.ReadAsStringAsync();
            return (Admitted: true, Status: response.StatusCode, Complete: body.Contains("event: result"));
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
