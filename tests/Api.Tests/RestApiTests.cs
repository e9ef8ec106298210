using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

public sealed class RestApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly float[] Input = SyntheticModel.RandomInput(ServerFixture.Model, 21);

    [Fact]
    public async Task Health_LiveAndReadyAfterWarmUp()
    {
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v2/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v2/health/ready")).StatusCode);
    }

    [Fact]
    public async Task ListAndDescribe_ShowModelWithPolicyAndScout()
    {
        JsonElement list = await server.Client.GetFromJsonAsync<JsonElement>("/v1/models");
        JsonElement model = Assert.Single(list.EnumerateArray().ToList());
        Assert.Equal("synthetic", model.GetProperty("name").GetString());
        JsonElement one = await server.Client.GetFromJsonAsync<JsonElement>("/v1/models/synthetic");
        Assert.Equal("max_probability", one.GetProperty("exit_policy").GetProperty("kind").GetString());
        Assert.Equal("CPUExecutionProvider", one.GetProperty("scout").GetProperty("provider").GetString());
    }

    [Fact]
    public async Task Classify_AnswersWithExitAndCosts_DeterministicPerSeed()
    {
        var body = new { input = Input, options = new { seed = 4, max_timesteps = 6 } };
        JsonElement a = await server.Client.PostOkAsync("/v1/models/synthetic/classify", body);
        JsonElement b = await server.Client.PostOkAsync("/v1/models/synthetic/versions/1/classify", body);

        Assert.Equal(a.GetProperty("probabilities").GetRawText(), b.GetProperty("probabilities").GetRawText());
        Assert.InRange(a.GetProperty("exit_timestep").GetInt32(), 1, 6);
        Assert.Contains(a.GetProperty("exit_reason").GetString(), new[] { "confident", "max_timesteps" });
        Assert.True(a.GetProperty("synaptic_ops").GetInt64() > 0);
        Assert.Equal(10, a.GetProperty("probabilities").GetArrayLength());
    }

    public static TheoryData<string, string, HttpStatusCode, string> BadRequests() => new()
    {
        { "/v1/models/synthetic/classify", "{\"input\": [1, 2", HttpStatusCode.BadRequest, "malformed JSON" },
        { "/v1/models/synthetic/classify", "{}", HttpStatusCode.BadRequest, "'input' array" },
        { "/v1/models/synthetic/classify", "{\"input\": [0.5], \"colour\": 1}", HttpStatusCode.BadRequest, "malformed JSON" },
        { "/v1/models/synthetic/classify", "{\"input\": [0.5]}", HttpStatusCode.BadRequest, "expects shape [1, 12, 12]" },
        { "/v1/models/synthetic/classify", "{\"input\": \"zeros\"}", HttpStatusCode.BadRequest, "malformed JSON" },
        { "/v1/models/ghost/classify", "{\"input\": [0.5]}", HttpStatusCode.NotFound, "not loaded" },
        { "/v1/models/synthetic/versions/9/classify", "{\"input\": [0.5]}", HttpStatusCode.NotFound, "no version 9" },
        { "/v1/models/..%2Fetc/classify", "{\"input\": [0.5]}", HttpStatusCode.BadRequest, "invalid model name" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_ProblemDetails_ServerStillServes(string path, string json, HttpStatusCode status, string detail)
    {
        HttpResponseMessage response = await server.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonElement problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
        await server.Client.PostOkAsync("/v1/models/synthetic/classify", new { input = Input });
    }

    [Fact]
    public async Task BadOptions_400WithReason()
    {
        var response = await server.Client.PostAsJsonAsync("/v1/models/synthetic/classify", new { input = Input, options = new { threshold = 3 } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("must lie in [0, 1]", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OutOfRangeInput_400NamesElement()
    {
        float[] bad = (float[])Input.Clone();
        bad[3] = 7f;
        var response = await server.Client.PostAsJsonAsync("/v1/models/synthetic/classify", new { input = bad });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("input[3] = 7 lies outside", await response.Content.ReadAsStringAsync());
    }
}
