using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SnnServe.TestSupport;

namespace SnnServe.Api.Tests;

public sealed class KServeRestTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly float[] Input = SyntheticModel.RandomInput(ServerFixture.Model, 5);

    [Fact]
    public async Task ServerAndModelMetadata_DescribeTensors()
    {
        JsonElement meta = await server.Client.GetFromJsonAsync<JsonElement>("/v2");
        Assert.Equal("snnserve", meta.GetProperty("name").GetString());
        JsonElement model = await server.Client.GetFromJsonAsync<JsonElement>("/v2/models/synthetic");
        Assert.Equal("snnserve_snn", model.GetProperty("platform").GetString());
        Assert.Equal("[-1,1,12,12]", model.GetProperty("inputs")[0].GetProperty("shape").GetRawText());
        Assert.Equal(["1"], model.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        JsonElement ready = await server.Client.GetFromJsonAsync<JsonElement>("/v2/models/synthetic/versions/1/ready");
        Assert.True(ready.GetProperty("ready").GetBoolean());
    }

    [Fact]
    public async Task Infer_Batch2NestedData_EchoesIdAndHonoursRequestedOutputs()
    {
        float[] second = SyntheticModel.RandomInput(ServerFixture.Model, 6);
        var nested = new[] { Input, second }.Select(img => Enumerable.Range(0, 12).Select(r => img.Skip(r * 12).Take(12).ToArray()).ToArray()).ToArray();
        var body = new
        {
            id = "req-42",
            parameters = new { seed = 3, max_timesteps = 5 },
            inputs = new[] { new { name = "input", datatype = "FP32", shape = new[] { 2, 1, 12, 12 }, data = (object)nested.Select(img => new[] { img }).ToArray() } },
            outputs = new[] { new { name = "label" }, new { name = "exit_timestep" }, new { name = "probabilities" } },
        };

        JsonElement response = await server.Client.PostOkAsync("/v2/models/synthetic/infer", body);

        Assert.Equal("req-42", response.GetProperty("id").GetString());
        Assert.Equal(["label", "exit_timestep", "probabilities"], response.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()));
        JsonElement probabilities = response.GetProperty("outputs")[2];
        Assert.Equal("[2,10]", probabilities.GetProperty("shape").GetRawText());
        Assert.Equal(20, probabilities.GetProperty("data").GetArrayLength());
        Assert.All(response.GetProperty("outputs")[1].GetProperty("data").EnumerateArray(), t => Assert.InRange(t.GetInt32(), 1, 5));

        // The same images one at a time through /v1 give the same probabilities.
        JsonElement single = await server.Client.PostOkAsync("/v1/models/synthetic/classify", new { input = second, options = new { seed = 3, max_timesteps = 5 } });
        Assert.Equal(single.GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle()),
            probabilities.GetProperty("data").EnumerateArray().Skip(10).Select(p => p.GetSingle()));
    }

    public static TheoryData<string, string, HttpStatusCode, string> BadRequests() => new()
    {
        { "/v2/models/synthetic/infer", "{\"inputs\": [", HttpStatusCode.BadRequest, "malformed JSON" },
        { "/v2/models/synthetic/infer", "[1, 2]", HttpStatusCode.BadRequest, "must be a JSON object" },
        { "/v2/models/synthetic/infer", "{\"inputs\": []}", HttpStatusCode.BadRequest, "exactly one tensor" },
        { "/v2/models/synthetic/infer", "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"INT8\", \"shape\": [1, 1, 12, 12], \"data\": [1]}]}", HttpStatusCode.BadRequest, "datatype is INT8" },
        { "/v2/models/synthetic/infer", "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": [1, 1, 3, 3], \"data\": [1]}]}", HttpStatusCode.BadRequest, "does not match the model's" },
        { "/v2/models/synthetic/infer", "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": [2, 1, 12, 12], \"data\": [0.5]}]}", HttpStatusCode.BadRequest, "needs 288" },
        { "/v2/models/synthetic/infer", "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": [1, 1, 12, 12], \"data\": [\"x\"]}]}", HttpStatusCode.BadRequest, "must hold numbers" },
        { "/v2/models/synthetic/infer", "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": [0, 1, 12, 12], \"data\": []}]}", HttpStatusCode.BadRequest, "batch size 0" },
        { "/v2/models/ghost/infer", "{}", HttpStatusCode.NotFound, "not loaded" },
        { "/v2/models/synthetic/versions/7/infer", "{}", HttpStatusCode.NotFound, "no version 7" },
        { "/v2/models/synthetic/versions/x/infer", "{}", HttpStatusCode.BadRequest, "not a positive integer" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInfer_ErrorJson_ServerStillServes(string path, string json, HttpStatusCode status, string message)
    {
        HttpResponseMessage response = await server.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(status, response.StatusCode);
        JsonElement error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(message, error.GetProperty("error").GetString());
        await server.Client.PostOkAsync("/v2/models/synthetic/infer", new { inputs = new[] { new { name = "input", datatype = "FP32", shape = new[] { 1, 1, 12, 12 }, data = Input } } });
    }

    [Fact]
    public async Task BadParameters_400()
    {
        var response = await server.Client.PostAsJsonAsync("/v2/models/synthetic/infer", new
        {
            parameters = new { exit_threshold = 5 },
            inputs = new[] { new { name = "input", datatype = "FP32", shape = new[] { 1, 1, 12, 12 }, data = Input } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("must lie in [0, 1]", await response.Content.ReadAsStringAsync());
    }
}
