using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

public sealed class StreamingTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Sse_OneEventPerTimestep_ThenResultEqualToUnary()
    {
        var body = new { input = SyntheticModel.RandomInput(ServerFixture.Model, 31), options = new { seed = 9, max_timesteps = 6 } };
        HttpResponseMessage response = await server.Client.PostAsJsonAsync("/v1/models/synthetic/classify/stream", body);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = ParseEvents(await response.Content.ReadAsStringAsync());

        JsonElement unary = await (await server.Client.PostAsJsonAsync("/v1/models/synthetic/classify", body)).Content.ReadFromJsonAsync<JsonElement>();
        int exit = unary.GetProperty("exit_timestep").GetInt32();
        Assert.Equal(Enumerable.Repeat("timestep", exit).Append("result"), events.Select(e => e.Name));
        Assert.Equal(Enumerable.Range(1, exit), events.Take(exit).Select(e => e.Data.GetProperty("timestep").GetInt32()));
        JsonElement result = events[^1].Data;
        Assert.Equal(unary.GetProperty("probabilities").GetRawText(), result.GetProperty("probabilities").GetRawText());
        Assert.Equal(unary.GetProperty("spikes").GetInt64(), events[exit - 1].Data.GetProperty("spikes_so_far").GetInt64());
    }

    [Theory]
    [InlineData("/v1/models/synthetic/classify/stream", "{\"input\": [0.5]}", HttpStatusCode.BadRequest)]
    [InlineData("/v1/models/ghost/classify/stream", "{\"input\": [0.5]}", HttpStatusCode.NotFound)]
    [InlineData("/v1/models/synthetic/classify/stream", "not json", HttpStatusCode.BadRequest)]
    public async Task Sse_ErrorBeforeFirstEvent_IsProblemDetails(string path, string json, HttpStatusCode status)
    {
        HttpResponseMessage response = await server.Client.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static List<(string Name, JsonElement Data)> ParseEvents(string text) =>
        text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(block =>
        {
            string[] lines = block.Split('\n');
            string name = lines.Single(l => l.StartsWith("event: ", StringComparison.Ordinal))["event: ".Length..];
            string data = lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..];
            return (name, JsonDocument.Parse(data).RootElement.Clone());
        }).ToList();
}
