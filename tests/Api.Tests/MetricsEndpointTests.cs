using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

public sealed partial class MetricsEndpointTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Prometheus_HistogramCountsMatchRequestsSent_OnlyOnMetricsPort()
    {
        const int requests = 7;
        for (int i = 0; i < requests; i++)
        {
            var response = await server.Client.PostAsJsonAsync("/v1/models/synthetic/classify", new { input = SyntheticModel.RandomInput(ServerFixture.Model, 100 + i) });
            response.EnsureSuccessStatusCode();
        }

        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.MetricsPort}") };
        string text = await metrics.GetStringAsync("/metrics");

        foreach (string histogram in new[] { "snnserve_request_timesteps", "snnserve_request_spikes", "snnserve_request_duration_seconds" })
        {
            Match count = Regex.Match(text, "^" + histogram + "_count\\{[^}]*protocol=\"rest\"[^}]*\\} (\\d+)", RegexOptions.Multiline);
            Assert.True(count.Success, $"{histogram}_count for protocol rest not found in:\n{text[..Math.Min(text.Length, 3000)]}");
            Assert.Equal(requests, int.Parse(count.Groups[1].Value));
        }

        Assert.Matches("snnserve_requests_total\\{[^}]*outcome=\"ok\"", text);
        var wrongPort = await server.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, wrongPort.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await metrics.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await metrics.GetAsync("/v2/health/live")).StatusCode);
    }
}
