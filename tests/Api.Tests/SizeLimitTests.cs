using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using SnnServe.Contracts.Inference;

namespace SnnServe.Api.Tests;

/// <summary>Bodies and messages over the configured limits (2 MB in the fixture) are refused with a clear error, and serving goes on.</summary>
public sealed class SizeLimitTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly string Oversized = "{\"input\": [" + string.Join(',', Enumerable.Repeat("0.5", 800_000)) + "]}";

    [Theory]
    [InlineData("/v1/models/synthetic/classify", "detail")]
    [InlineData("/v2/models/synthetic/infer", "error")]
    public async Task OversizedRestBody_413WithJsonError(string path, string field)
    {
        // Expect: 100-continue lets the server refuse before the client uploads the body, so the
        // client reads the 413 instead of racing the server's connection close.
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(Oversized, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        HttpResponseMessage response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        JsonElement body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("too large", body.GetProperty(field).GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v2/health/ready")).StatusCode);
    }

    [Fact]
    public async Task OversizedGrpcMessage_ResourceExhausted()
    {
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}"));
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Shape = { 4000, 1, 12, 12 }, Contents = new InferTensorContents() };
        tensor.Contents.Fp32Contents.AddRange(new float[4000 * 144]);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelInferAsync(new ModelInferRequest { ModelName = "synthetic", Inputs = { tensor } }));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.True((await client.ServerLiveAsync(new ServerLiveRequest())).Live);
    }
}
